/**
 * Movement kernels: reshape shares storage (tensors are immutable, so sharing is invisible);
 * the others copy through strides.
 * @module
 */
import type { Params } from "../primitives.ts"
import { outputArray } from "../dtype.ts"
import type { TypedArray } from "../dtype.ts"
import { sizeOf, stridesOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"
import { broadcastStrides, stridedCopy } from "./strided.ts"

/** Same elements, new shape; no copy. */
export const reshape = ([x]: ReadonlyArray<Tensor>, { shape }: Params["reshape"]): Tensor =>
  new Tensor(x!.dtype, shape, x!.data)

/** Materialises a NumPy broadcast. */
export const broadcastTo = (
  [x]: ReadonlyArray<Tensor>,
  { shape }: Params["broadcastTo"],
  into?: TypedArray,
): Tensor => {
  const out = outputArray(into, x!.dtype, sizeOf(shape))
  if (x!.size === 1) out.fill(x!.data[0] ?? 0)
  else stridedCopy(x!.data, 0, broadcastStrides(x!.shape, shape), shape, out)
  return new Tensor(x!.dtype, shape, out)
}

/** Permutes axes: output axis i is input axis `perm[i]`. */
export const transpose = (
  [x]: ReadonlyArray<Tensor>,
  { perm }: Params["transpose"],
  into?: TypedArray,
): Tensor => {
  const inStrides = stridesOf(x!.shape)
  const shape = perm.map((p) => x!.shape[p]!)
  const out = outputArray(into, x!.dtype, x!.size)
  if (x!.rank === 2 && perm[0] === 1) transpose2d(x!.data, x!.shape[0]!, x!.shape[1]!, out)
  else
    stridedCopy(
      x!.data,
      0,
      perm.map((p) => inStrides[p]!),
      shape,
      out,
    )
  return new Tensor(x!.dtype, shape, out)
}

/** Cache-blocked transpose of a rows×cols matrix. */
const transpose2d = (
  src: { readonly [i: number]: number },
  rows: number,
  cols: number,
  dst: { [i: number]: number },
): void => {
  const tile = 32
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(rows, r0 + tile)
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(cols, c0 + tile)
      for (let r = r0; r < r1; r++)
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c]!
    }
  }
}

/** A box `[starts, starts + sizes)` of the input. */
export const slice = (
  [x]: ReadonlyArray<Tensor>,
  { starts, sizes }: Params["slice"],
  into?: TypedArray,
): Tensor => {
  const strides = stridesOf(x!.shape)
  let offset = 0
  for (let i = 0; i < starts.length; i++) offset += starts[i]! * strides[i]!
  const out = outputArray(into, x!.dtype, sizeOf(sizes))
  stridedCopy(x!.data, offset, strides, sizes, out)
  return new Tensor(x!.dtype, sizes, out)
}

/** Zero padding around the input (the transpose of `slice`). */
export const pad = (
  [x]: ReadonlyArray<Tensor>,
  { lo, hi }: Params["pad"],
  into?: TypedArray,
): Tensor => {
  const shape = x!.shape.map((d, i) => d + lo[i]! + hi[i]!)
  const out = outputArray(into, x!.dtype, sizeOf(shape))
  if (out === into) out.fill(0)
  const outStrides = stridesOf(shape)
  let offset = 0
  for (let i = 0; i < shape.length; i++) offset += lo[i]! * outStrides[i]!
  // scatter the input's rows into the output through the output's strides
  const src = x!.data
  const n = x!.shape.length === 0 ? 1 : x!.shape[x!.shape.length - 1]!
  const rows = n === 0 ? 0 : x!.size / n
  const outer = x!.shape.slice(0, -1)
  const counter = new Array<number>(outer.length).fill(0)
  for (let r = 0; r < rows; r++) {
    let o = offset
    for (let i = 0; i < outer.length; i++) o += counter[i]! * outStrides[i]!
    out.set(src.subarray(r * n, r * n + n), o)
    for (let i = outer.length - 1; i >= 0; i--) {
      counter[i]! += 1
      if (counter[i]! < outer[i]!) break
      counter[i] = 0
    }
  }
  return new Tensor(x!.dtype, shape, out)
}

/** Joins tensors along `axis` (all other axes equal). */
export const concat = (
  xs: ReadonlyArray<Tensor>,
  { axis }: Params["concat"],
  into?: TypedArray,
): Tensor => {
  const first = xs[0]!
  const shape = first.shape.slice()
  shape[axis] = xs.reduce((acc, x) => acc + x.shape[axis]!, 0)
  const A = sizeOf(first.shape.slice(0, axis))
  const B = sizeOf(first.shape.slice(axis + 1))
  const out = outputArray(into, first.dtype, sizeOf(shape))
  const rowOut = shape[axis] * B
  let start = 0
  for (const x of xs) {
    const chunk = x.shape[axis]! * B
    const d = x.data
    for (let a = 0; a < A; a++) out.set(d.subarray(a * chunk, (a + 1) * chunk), a * rowOut + start)
    start += chunk
  }
  return new Tensor(first.dtype, shape, out)
}

/** Picks slices of `x` along `axis` at `indices` (int32, any shape, already in range). */
export const gather = (
  [x, indices]: ReadonlyArray<Tensor>,
  { axis }: Params["gather"],
  into?: TypedArray,
): Tensor => {
  const A = sizeOf(x!.shape.slice(0, axis))
  const N = x!.shape[axis]!
  const B = sizeOf(x!.shape.slice(axis + 1))
  const idx = indices!.data
  const I = idx.length
  const shape = [...x!.shape.slice(0, axis), ...indices!.shape, ...x!.shape.slice(axis + 1)]
  const out = outputArray(into, x!.dtype, A * I * B)
  const d = x!.data
  for (let a = 0; a < A; a++)
    for (let i = 0; i < I; i++) {
      const from = (a * N + idx[i]!) * B
      if (B === 1) out[a * I + i] = d[from]!
      else out.set(d.subarray(from, from + B), (a * I + i) * B)
    }
  return new Tensor(x!.dtype, shape, out)
}

/** Adds slices of `updates` into zeros of `shape` at `indices` along `axis` (gather's transpose). */
export const scatterAdd = (
  [updates, indices]: ReadonlyArray<Tensor>,
  { axis, shape }: Params["scatterAdd"],
  into?: TypedArray,
): Tensor => {
  const A = sizeOf(shape.slice(0, axis))
  const N = shape[axis]!
  const B = sizeOf(shape.slice(axis + 1))
  const idx = indices!.data
  const I = idx.length
  const u = updates!.data
  const acc = new Float64Array(A * N * B)
  for (let a = 0; a < A; a++)
    for (let i = 0; i < I; i++) {
      const to = (a * N + idx[i]!) * B
      const from = (a * I + i) * B
      for (let b = 0; b < B; b++) acc[to + b]! += u[from + b]!
    }
  const out = outputArray(into, updates!.dtype, acc.length)
  out.set(acc)
  return new Tensor(updates!.dtype, shape, out)
}
