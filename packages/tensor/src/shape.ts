/**
 * Shapes, strides, broadcasting and axis normalisation: the arithmetic every op shares.
 * @module
 */
import { shapeError } from "./errors.ts"

/** The extent of each axis, outermost first (C order). */
export type Shape = ReadonlyArray<number>

/** Number of elements of a tensor of shape `s`. */
export const sizeOf = (s: Shape): number => {
  let n = 1
  for (const d of s) n *= d
  return n
}

/** C-order strides, in elements. */
export const stridesOf = (s: Shape): number[] => {
  const strides = new Array<number>(s.length)
  let acc = 1
  for (let i = s.length - 1; i >= 0; i--) {
    strides[i] = acc
    acc *= s[i]!
  }
  return strides
}

/** Whether two shapes are equal. */
export const shapesEqual = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/** Renders a shape as NumPy does: `[2, 3]`. */
export const showShape = (s: Shape): string => `[${s.join(", ")}]`

/**
 * Whether `x` broadcasts to `shape` without changing it (NumPy rules: aligned on the right, each of
 * x's axes 1 or equal), so a broadcast of the two has exactly `shape`.
 */
export const fitsInto = (x: Shape, shape: Shape): boolean => {
  const pad = shape.length - x.length
  if (pad < 0) return false
  for (let i = 0; i < x.length; i++) {
    const d = x[i]!
    if (d !== 1 && d !== shape[pad + i]) return false
  }
  return true
}

/**
 * The NumPy broadcast of several shapes, or throws naming `op` and every shape.
 * Axes are aligned on the right; an axis of size 1 stretches to match.
 */
export const broadcastShapes = (op: string, ...shapes: ReadonlyArray<Shape>): Shape => {
  // the common case, one operand fitting into the other, allocates nothing
  if (shapes.length === 2) {
    const [a, b] = shapes as readonly [Shape, Shape]
    if (fitsInto(b, a)) return a
    if (fitsInto(a, b)) return b
  }
  const rankOut = Math.max(0, ...shapes.map((s) => s.length))
  const out = new Array<number>(rankOut).fill(1)
  for (const s of shapes) {
    const offset = rankOut - s.length
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!
      const o = out[offset + i]!
      if (d === o || d === 1) continue
      if (o === 1) out[offset + i] = d
      else
        throw shapeError(
          op,
          `shapes ${shapes.map(showShape).join(" and ")} do not broadcast (axis ${i - s.length} has sizes ${o} and ${d})`,
        )
    }
  }
  return out
}

/** Whether a shape is made of non-negative integer sizes. */
export const isValidShape = (s: ReadonlyArray<unknown>): s is Shape =>
  s.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)

/** Checks that `s` is a valid shape, naming `op` and `arg` otherwise. */
export const checkShape = (op: string, arg: string, s: unknown): Shape => {
  if (!isArray(s) || !isValidShape(s))
    throw shapeError(
      op,
      `${arg} must be an array of non-negative integers, got ${JSON.stringify(s)}`,
    )
  return s
}

/** `Array.isArray` that narrows to a readonly array of unknowns rather than `any[]`. */
export const isArray = (x: unknown): x is ReadonlyArray<unknown> => Array.isArray(x)

/**
 * `shape` with each of `axes` set to 1: the shape of a reduction over `axes` with kept dims, so a
 * reduced value reshaped to it broadcasts back against the input.
 */
export const keptShape = (shape: Shape, axes: ReadonlyArray<number>): number[] =>
  shape.map((d, i) => (axes.includes(i) ? 1 : d))

/** Turns a possibly negative axis into one in `[0, rank)`, naming `op` when it is out of range. */
export const normalizeAxis = (op: string, axis: number, rank: number): number => {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw shapeError(op, `axis ${axis} is out of range for a tensor of rank ${rank}`)
  return axis < 0 ? axis + rank : axis
}

/**
 * Normalises an `axis` option to a sorted list of distinct axes: `undefined` means every axis.
 */
export const normalizeAxes = (
  op: string,
  axis: number | ReadonlyArray<number> | undefined,
  rank: number,
): number[] => {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i)
  const list = typeof axis === "number" ? [axis] : axis
  const out = list.map((a) => normalizeAxis(op, a, rank))
  if (new Set(out).size !== out.length)
    throw shapeError(op, `axis ${JSON.stringify(list)} repeats an axis`)
  return out.sort((a, b) => a - b)
}
