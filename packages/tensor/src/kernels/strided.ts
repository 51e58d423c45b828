/**
 * Strided iteration shared by kernels: broadcasting, transposes and slices all read an input
 * through per-axis strides (0 on a broadcast axis). Adjacent axes that are contiguous for every
 * operand are merged first, so the innermost loop is as long as possible.
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
 * Merges adjacent axes where every operand's strides are contiguous, and drops size-1 axes.
 * Returns the merged shape and each operand's merged strides.
 */
export const coalesce = (
  shape: Shape,
  strides: ReadonlyArray<ReadonlyArray<number>>,
): { shape: number[]; strides: number[][] } => {
  const outShape: number[] = []
  const outStrides: number[][] = strides.map(() => [])
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!
    if (d === 1) continue
    const last = outShape.length - 1
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[i]! * d)) {
      outShape[last] = outShape[last]! * d
      strides.forEach((s, k) => (outStrides[k]![last] = s[i]!))
    } else {
      outShape.push(d)
      strides.forEach((s, k) => outStrides[k]!.push(s[i]!))
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
  const merged = coalesce(shape, strides)
  const rank = merged.shape.length
  const operands = strides.length
  if (shape.some((d) => d === 0)) return
  if (rank === 0) {
    row(baseOffsets, 1, new Array<number>(operands).fill(0))
    return
  }
  const n = merged.shape[rank - 1]!
  const inner = merged.strides.map((s) => s[rank - 1]!)
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
