/**
 * Reductions. A reduction over a contiguous block of axes views the input as `[A, R, B]` and
 * reduces the middle; any other set of axes is first transposed to the end.
 * Sums accumulate in float64 whatever the dtype.
 * @module
 */
import type { Params } from "../primitives.ts"
import type { Shape } from "../shape.ts"
import { outputArray } from "../dtype.ts"
import type { TypedArray } from "../dtype.ts"
import { sizeOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"
import { transpose } from "./movement.ts"

interface Blocked {
  x: Tensor
  A: number
  R: number
  B: number
  outShape: Shape
}

/** Brings the reduced axes into one contiguous block and measures `[A, R, B]`. */
const block = (x: Tensor, axes: ReadonlyArray<number>): Blocked => {
  const shape = x.shape
  const rank = shape.length
  if (axes.length === 0) return { x, A: x.size, R: 1, B: 1, outShape: shape }
  // walk the axes (sorted and distinct from the op layer) and the shape together
  const kept: number[] = []
  let k = 0
  let contiguous = true
  for (let i = 0; i < rank; i++) {
    if (axes[k] === i) {
      if (k > 0 && axes[k - 1] !== i - 1) contiguous = false
      k++
    } else kept.push(shape[i]!)
  }
  if (k !== axes.length || !contiguous) {
    const reduced = new Set(axes)
    const outShape = shape.filter((_, i) => !reduced.has(i))
    const perm = [
      ...Array.from({ length: rank }, (_, i) => i).filter((i) => !reduced.has(i)),
      ...axes,
    ]
    const moved = transpose([x], { perm })
    return {
      x: moved,
      A: sizeOf(outShape),
      R: sizeOf(axes.map((a) => shape[a]!)),
      B: 1,
      outShape,
    }
  }
  const first = axes[0]!
  const last = axes[axes.length - 1]!
  let A = 1
  let R = 1
  let B = 1
  for (let i = 0; i < rank; i++) {
    const d = shape[i]!
    if (i < first) A *= d
    else if (i <= last) R *= d
    else B *= d
  }
  return { x, A, R, B, outShape: kept }
}

/** Accumulators wider than this are not kept between calls. */
const keptAccumulator = 1 << 16
let scratch = new Float64Array(64)

/**
 * `n` float64 zeros to accumulate in. Up to `keptAccumulator` they come from one buffer reused by
 * every call: a kernel runs to completion before the next starts, and the buffer never escapes.
 */
const accumulator = (n: number): Float64Array => {
  if (n > keptAccumulator) return new Float64Array(n)
  if (scratch.length < n) scratch = new Float64Array(Math.min(keptAccumulator, 2 * n))
  scratch.fill(0, 0, n)
  return scratch
}

/** Sum over `axes`. */
export const sum = (
  [input]: ReadonlyArray<Tensor>,
  { axes }: Params["sum"],
  into?: TypedArray,
): Tensor => {
  const { x, A, R, B, outShape } = block(input!, axes)
  const d = x.data
  const out = outputArray(into, x.dtype, A * B)
  if (B === 1) {
    for (let a = 0; a < A; a++) {
      let acc = 0
      const base = a * R
      for (let r = 0; r < R; r++) acc += d[base + r]!
      out[a] = acc
    }
  } else {
    // rows of B accumulate together, each element in the same order as a plain loop over r
    const acc = accumulator(B)
    for (let a = 0; a < A; a++) {
      if (a > 0) acc.fill(0, 0, B)
      for (let r = 0; r < R; r++) {
        const base = (a * R + r) * B
        for (let b = 0; b < B; b++) acc[b]! += d[base + b]!
      }
      const o = a * B
      for (let b = 0; b < B; b++) out[o + b] = acc[b]!
    }
  }
  return new Tensor(x.dtype, outShape, out)
}

/** Maximum over `axes` (NaN wins, as in NumPy). The op layer rejects empty reductions. */
export const max = (
  [input]: ReadonlyArray<Tensor>,
  { axes }: Params["max"],
  into?: TypedArray,
): Tensor => {
  const { x, A, R, B, outShape } = block(input!, axes)
  const d = x.data
  const out = outputArray(into, x.dtype, A * B)
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      let m = -Infinity
      for (let r = 0; r < R; r++) {
        const v = d[(a * R + r) * B + b]!
        if (v > m || v !== v) {
          m = v
          if (v !== v) break
        }
      }
      out[a * B + b] = m
    }
  }
  return new Tensor(x.dtype, outShape, out)
}

/** Index of the first maximum along `axis` (a NaN counts as the maximum), as int32. */
export const argmax = (
  [x]: ReadonlyArray<Tensor>,
  { axis }: Params["argmax"],
  into?: TypedArray,
): Tensor => {
  const A = sizeOf(x!.shape.slice(0, axis))
  const R = x!.shape[axis]!
  const B = sizeOf(x!.shape.slice(axis + 1))
  const d = x!.data
  const out = outputArray(into, "int32", A * B)
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      let m = -Infinity
      let best = 0
      for (let r = 0; r < R; r++) {
        const v = d[(a * R + r) * B + b]!
        if (v > m || v !== v) {
          m = v
          best = r
          if (v !== v) break
        }
      }
      out[a * B + b] = best
    }
  }
  return new Tensor(
    "int32",
    x!.shape.filter((_, i) => i !== axis),
    out,
  )
}
