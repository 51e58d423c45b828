/**
 * Strided iteration shared by kernels: broadcasting, transposes and slices all read an input
 * through per-axis strides (0 on a broadcast axis). Adjacent axes that are contiguous for every
 * operand are merged first, so the innermost loop is as long as possible. The broadcasts that
 * need no strides at all (a scalar, a row or a column vector against a full operand) are
 * recognised by `readPattern`.
 * @module
 */
import type { Shape } from "../shape.ts"
import { stridesOf } from "../shape.ts"

/** Strides for reading a tensor of `shape` as if broadcast to `outShape` (0 where it stretches). */
export const broadcastStrides = (shape: Shape, outShape: Shape): number[] => {
  const own = stridesOf(shape)
  const offset = outShape.length - shape.length
  return outShape.map((_, i) => {
    const j = i - offset
    return j < 0 || shape[j] === 1 ? 0 : own[j]!
  })
}

/**
 * How an operand that fits into `shape` (see `fitsInto`) is read, in C order, when broadcast to
 * it. With `n` elements out of the output's `size` (both > 0), the broadcast reads element `i` of
 * the output from the operand's element
 * - `same`: `i` (n = size: every axis of size 1 in the operand is 1 in `shape` too);
 * - `scalar`: 0 (n = 1);
 * - `rows`: `i mod n` (the operand is `shape`'s trailing axes, after leading 1s: `[16]` in
 *   `[32, 16]`);
 * - `cols`: `⌊i / (size / n)⌋` (the operand is `shape`'s leading axes, then 1s: `[32, 1]` in
 *   `[32, 10]`);
 * - `other`: none of these (e.g. `[1, 16, 1]` in `[4, 16, 8]`); use strides.
 */
export type ReadPattern = "same" | "scalar" | "rows" | "cols" | "other"

/** The `ReadPattern` of an operand of shape `x` and `n` elements in `shape` of `size` elements. */
export const readPattern = (x: Shape, n: number, shape: Shape, size: number): ReadPattern => {
  if (n === size) return "same"
  if (n === 1) return "scalar"
  const pad = shape.length - x.length
  let lead = 0
  while (lead < x.length && x[lead] === 1) lead++
  let k = lead
  while (k < x.length && x[k] === shape[pad + k]) k++
  if (k === x.length) return "rows"
  for (let p = 0; p < pad; p++) if (shape[p] !== 1) return "other"
  let j = 0
  while (j < x.length && x[j] === shape[pad + j]) j++
  while (j < x.length && x[j] === 1) j++
  return j === x.length ? "cols" : "other"
}

/**
 * Merges adjacent axes where every operand's strides are contiguous, and drops size-1 axes.
 * Returns the merged shape and each operand's merged strides.
 */
export const coalesce = (
  shape: Shape,
  strides: ReadonlyArray<ReadonlyArray<number>>,
): { shape: number[]; strides: number[][] } => {
  const operands = strides.length
  const outShape: number[] = []
  const outStrides: number[][] = []
  for (let k = 0; k < operands; k++) outStrides.push([])
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!
    if (d === 1) continue
    const last = outShape.length - 1
    let merge = last >= 0
    for (let k = 0; merge && k < operands; k++) merge = outStrides[k]![last] === strides[k]![i]! * d
    if (merge) {
      outShape[last] = outShape[last]! * d
      for (let k = 0; k < operands; k++) outStrides[k]![last] = strides[k]![i]!
    } else {
      outShape.push(d)
      for (let k = 0; k < operands; k++) outStrides[k]!.push(strides[k]![i]!)
    }
  }
  return { shape: outShape, strides: outStrides }
}

/**
 * Calls `row(offsets, n)` for every innermost row of an iteration over `shape`, where
 * `offsets[k]` is operand k's offset of the row's first element; operand k then advances by
 * `innerStrides[k]` per element. The row length `n` is the innermost (merged) extent.
 */
export const forEachRow = (
  shape: Shape,
  strides: ReadonlyArray<ReadonlyArray<number>>,
  baseOffsets: ReadonlyArray<number>,
  row: (offsets: ReadonlyArray<number>, n: number, innerStrides: ReadonlyArray<number>) => void,
): void => {
  for (const d of shape) if (d === 0) return
  const merged = coalesce(shape, strides)
  const rank = merged.shape.length
  const operands = strides.length
  const inner = new Array<number>(operands)
  for (let k = 0; k < operands; k++) inner[k] = rank === 0 ? 0 : merged.strides[k]![rank - 1]!
  if (rank === 0) {
    row(baseOffsets, 1, inner)
    return
  }
  const n = merged.shape[rank - 1]!
  const offsets = baseOffsets.slice()
  const counter = new Array<number>(rank - 1).fill(0)
  let rows = 1
  for (let i = 0; i < rank - 1; i++) rows *= merged.shape[i]!
  for (let r = 0; r < rows; r++) {
    row(offsets, n, inner)
    // advance the outer counter like an odometer
    for (let axis = rank - 2; axis >= 0; axis--) {
      counter[axis]! += 1
      for (let k = 0; k < operands; k++) offsets[k]! += merged.strides[k]![axis]!
      if (counter[axis]! < merged.shape[axis]!) break
      for (let k = 0; k < operands; k++)
        offsets[k]! -= merged.strides[k]![axis]! * merged.shape[axis]!
      counter[axis] = 0
    }
  }
}

/** Copies the elements of `src` read through `strides` from `offset`, in C order of `shape`. */
export const stridedCopy = <A extends { [i: number]: number; length: number }>(
  src: A,
  offset: number,
  strides: ReadonlyArray<number>,
  shape: Shape,
  dst: A,
): A => {
  let pos = 0
  forEachRow(shape, [strides, stridesOf(shape)], [offset, 0], (offsets, n, inner) => {
    const s = inner[0]!
    let o = offsets[0]!
    if (s === 1) for (let j = 0; j < n; j++) dst[pos++] = src[o++]!
    else for (let j = 0; j < n; j++, o += s) dst[pos++] = src[o]!
  })
  return dst
}
