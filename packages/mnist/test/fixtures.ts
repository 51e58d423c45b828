import { Tensor } from "@fnn/tensor"
import type { Dataset, IdxArray } from "../src/index.ts"

/** Deterministic pseudo-random bytes (a tiny LCG), so fixtures need no randomness source. */
export const bytesFrom = (seed: number, n: number, mod = 256): Uint8Array => {
  const out = new Uint8Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s >>> 24) % mod
  }
  return out
}

/** IDX images `[n, rows, cols]` and labels `[n]` with labels 0–9. */
export const idxPair = (
  n: number,
  rows: number,
  cols: number,
  seed = 1,
): { images: IdxArray; labels: IdxArray } => ({
  images: { dtype: "ubyte", shape: [n, rows, cols], data: bytesFrom(seed, n * rows * cols) },
  labels: { dtype: "ubyte", shape: [n], data: bytesFrom(seed + 7, n, 10) },
})

/**
 * A dataset whose row `i` is `[i, i, …]` (so a row tells which example it is) and whose label
 * is `i % 10`.
 */
export const indexedDataset = (n: number, rows = 1, cols = 2): Dataset => {
  const p = rows * cols
  const x = new Float32Array(n * p)
  for (let i = 0; i < n; i++) x.fill(i, i * p, i * p + p)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) y[i] = i % 10
  return {
    images: new Tensor("float32", [n, p], x),
    labels: new Tensor("int32", [n], y),
    rows,
    cols,
  }
}

/** The example indices a batch's rows stand for, given an `indexedDataset`. */
export const rowIds = (x: Tensor, p: number): number[] => {
  const ids: number[] = []
  for (let r = 0; r < x.shape[0]!; r++) ids.push(x.data[r * p]!)
  return ids
}
