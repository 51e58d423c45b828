/**
 * Changing shape and picking elements: reshape, transpose, broadcast, slice, concat, gather.
 * @module
 */
import { bind } from "../dispatch.ts"
import { check, describeValue, TensorError } from "../errors.ts"
import { checkOptions } from "../options.ts"
import type { Shape } from "../shape.ts"
import {
  broadcastShapes,
  checkShape,
  isArray,
  normalizeAxis,
  shapesEqual,
  showShape,
  sizeOf,
} from "../shape.ts"
import { isConcrete, Tensor } from "../tensor.ts"
import type { TensorLike } from "./convert.ts"
import { asTensor, promote } from "./convert.ts"
import { eye } from "./creation.ts"

/**
 * The same elements in C order with a new shape; one size may be `-1` (inferred).
 * @example
 * import * as T from "@fnn/tensor"
 * T.reshape(T.arange(6), [2, -1]) // shape [2, 3]
 */
export const reshape = (input: TensorLike, shape: Shape): Tensor => {
  const x = asTensor("reshape", "x", input)
  if (!isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1))
    throw new TensorError("reshape", `shape must be integers ≥ -1, got ${JSON.stringify(shape)}`)
  const unknown = shape.filter((d) => d === -1).length
  check(unknown <= 1, "reshape", () => `only one size may be -1, got ${showShape(shape)}`)
  let out = shape
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1))
    check(
      known > 0 && x.size % known === 0,
      "reshape",
      () => `cannot reshape ${showShape(x.shape)} (${x.size} elements) to ${showShape(shape)}`,
    )
    out = shape.map((d) => (d === -1 ? x.size / known : d))
  }
  check(
    sizeOf(out) === x.size,
    "reshape",
    () =>
      `cannot reshape ${showShape(x.shape)} (${x.size} elements) to ${showShape(shape)} (${sizeOf(out)} elements)`,
  )
  return shapesEqual(out, x.shape) ? x : bind("reshape", [x], { shape: out.slice() })
}

/**
 * Permutes axes; by default reverses them (a matrix transpose for 2-D).
 * @example
 * import * as T from "@fnn/tensor"
 * T.transpose(T.zeros([2, 3, 4]), [0, 2, 1]).shape // [2, 4, 3]
 */
export const transpose = (input: TensorLike, perm?: ReadonlyArray<number>): Tensor => {
  const x = asTensor("transpose", "x", input)
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i)
  check(
    p.length === x.rank,
    "transpose",
    () =>
      `perm ${JSON.stringify(p)} must list every axis of a tensor of shape ${showShape(x.shape)}`,
  )
  const norm = p.map((a) => normalizeAxis("transpose", a, x.rank))
  check(
    new Set(norm).size === norm.length,
    "transpose",
    () => `perm ${JSON.stringify(p)} repeats an axis`,
  )
  return norm.every((a, i) => a === i) ? x : bind("transpose", [x], { perm: norm })
}

/**
 * Stretches size-1 axes (and adds leading axes) to reach `shape`, NumPy style.
 * @example
 * import * as T from "@fnn/tensor"
 * T.broadcastTo(T.tensor([1, 2]), [3, 2])
 */
export const broadcastTo = (input: TensorLike, shape: Shape): Tensor => {
  const x = asTensor("broadcastTo", "x", input)
  checkShape("broadcastTo", "shape", shape)
  const b = broadcastShapes("broadcastTo", x.shape, shape)
  check(
    shapesEqual(b, shape),
    "broadcastTo",
    () => `cannot broadcast ${showShape(x.shape)} to ${showShape(shape)}`,
  )
  return shapesEqual(x.shape, shape) ? x : bind("broadcastTo", [x], { shape: shape.slice() })
}

/**
 * Inserts a size-1 axis at `axis` (negative counts from the end of the result).
 * @example
 * import * as T from "@fnn/tensor"
 * T.expandDims(T.zeros([3]), 0).shape // [1, 3]
 */
export const expandDims = (input: TensorLike, axis: number): Tensor => {
  const x = asTensor("expandDims", "x", input)
  const a = normalizeAxis("expandDims", axis, x.rank + 1)
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)])
}

/**
 * Removes size-1 axes: the given ones (an error if one is not size 1), or all.
 * @example
 * import * as T from "@fnn/tensor"
 * T.squeeze(T.zeros([1, 3, 1])).shape // [3]
 */
export const squeeze = (input: TensorLike, axis?: number | ReadonlyArray<number>): Tensor => {
  const x = asTensor("squeeze", "x", input)
  const axes =
    axis === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : (typeof axis === "number" ? [axis] : axis).map((a) => normalizeAxis("squeeze", a, x.rank))
  for (const a of axes)
    check(
      x.shape[a] === 1,
      "squeeze",
      () => `axis ${a} of shape ${showShape(x.shape)} has size ${x.shape[a]}, not 1`,
    )
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  )
}

/**
 * The box `starts[i] ≤ index < ends[i]` on each axis, like Python's `x[a:b, c:d]`: negative
 * positions count from the end, out-of-range ones are clamped, `null` or a missing entry means the
 * whole axis.
 * @example
 * import * as T from "@fnn/tensor"
 * T.slice(T.arange(10), [2], [5]) // [2, 3, 4]
 * T.slice(T.zeros([4, 5]), [null, 1], [null, -1]).shape // [4, 3]
 */
export const slice = (
  input: TensorLike,
  starts: ReadonlyArray<number | null>,
  ends: ReadonlyArray<number | null> = [],
): Tensor => {
  const x = asTensor("slice", "x", input)
  check(
    starts.length <= x.rank && ends.length <= x.rank,
    "slice",
    () =>
      `got ${Math.max(starts.length, ends.length)} positions for a tensor of shape ${showShape(x.shape)}`,
  )
  const clampPos = (p: number, d: number): number => {
    check(Number.isInteger(p), "slice", () => `positions must be integers, got ${p}`)
    return Math.min(d, Math.max(0, p < 0 ? p + d : p))
  }
  const begin = x.shape.map((d, i) => clampPos(starts[i] ?? 0, d))
  const size = x.shape.map((d, i) => Math.max(0, clampPos(ends[i] ?? d, d) - begin[i]!))
  if (shapesEqual(size, x.shape)) return x
  return bind("slice", [x], { starts: begin, sizes: size })
}

/**
 * Joins tensors along an existing `axis` (default 0); the other sizes must agree.
 * @example
 * import * as T from "@fnn/tensor"
 * T.concat([T.zeros([2, 3]), T.ones([1, 3])]).shape // [3, 3]
 */
export const concat = (inputs: ReadonlyArray<TensorLike>, axis = 0): Tensor => {
  check(
    Array.isArray(inputs),
    "concat",
    () =>
      `takes an array of tensors, got ${inputs instanceof Tensor ? "a Tensor" : describeValue(inputs)}: write concat([a, b], axis)`,
  )
  check(inputs.length > 0, "concat", () => "needs at least one tensor")
  const xs = promote("concat", inputs)
  const first = xs[0]!
  check(first.rank > 0, "concat", () => "cannot concatenate 0-d tensors (use stack)")
  const a = normalizeAxis("concat", axis, first.rank)
  xs.forEach((x, i) =>
    check(
      x.rank === first.rank && x.shape.every((d, j) => j === a || d === first.shape[j]),
      "concat",
      () =>
        `tensor ${i} has shape ${showShape(x.shape)}, incompatible with tensor 0's ${showShape(first.shape)} along axis ${a}`,
    ),
  )
  return xs.length === 1 ? first : bind("concat", xs, { axis: a })
}

/**
 * Joins same-shaped tensors along a new `axis` (default 0).
 * @example
 * import * as T from "@fnn/tensor"
 * T.stack([T.zeros([3]), T.ones([3])]).shape // [2, 3]
 */
export const stack = (inputs: ReadonlyArray<TensorLike>, axis = 0): Tensor => {
  check(
    Array.isArray(inputs),
    "stack",
    () =>
      `takes an array of tensors, got ${inputs instanceof Tensor ? "a Tensor" : describeValue(inputs)}: write stack([a, b], axis)`,
  )
  check(inputs.length > 0, "stack", () => "needs at least one tensor")
  const xs = promote("stack", inputs)
  const first = xs[0]!
  xs.forEach((x, i) =>
    check(
      shapesEqual(x.shape, first.shape),
      "stack",
      () =>
        `tensor ${i} has shape ${showShape(x.shape)} but tensor 0 has ${showShape(first.shape)}`,
    ),
  )
  const a = normalizeAxis("stack", axis, first.rank + 1)
  return concat(
    xs.map((x) => expandDims(x, a)),
    a,
  )
}

const checkIndices = (
  op: string,
  indices: TensorLike,
  n: number,
  x: Tensor,
  axis: number,
): Tensor => {
  const idx = asTensor(op, "indices", indices)
  check(idx.dtype === "int32", op, () => `indices must be int32, got ${idx.dtype}`)
  // indices standing for many values (under vmap) are checked by the transformation, which sees
  // them all; here negative ones are turned around with ops
  if (!isConcrete(idx)) {
    const n32 = new Tensor("int32", [], Int32Array.of(n))
    const zero = new Tensor("int32", [], Int32Array.of(0))
    const negative = bind("greater", [zero, idx], {})
    return bind("add", [idx, bind("mul", [negative, n32], {})], {})
  }
  const d = idx.data
  let negative = false
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!
    if (v < -n || v >= n)
      throw new TensorError(
        op,
        `index ${v} (at position ${i} of indices) is out of range for axis ${axis} of size ${n} (x has shape ${showShape(x.shape)})`,
      )
    if (v < 0) negative = true
  }
  if (!negative) return idx
  const fixed = new Int32Array(d.length)
  for (let i = 0; i < d.length; i++) fixed[i] = d[i]! < 0 ? d[i]! + n : d[i]!
  return new Tensor("int32", idx.shape, fixed)
}

/**
 * Picks entries of `x` along `axis` at int32 `indices` (any shape; negative counts from the end):
 * the result's shape is `x.shape` with that axis replaced by `indices.shape`.
 * @example
 * import * as T from "@fnn/tensor"
 * T.gather(T.tensor([[1, 2], [3, 4], [5, 6]]), T.tensor([2, 0], { dtype: "int32" }), 0) // [[5, 6], [1, 2]]
 */
export const gather = (input: TensorLike, indices: TensorLike, axis = 0): Tensor =>
  gatherAs("gather", input, indices, axis)

const gatherAs = (op: string, input: TensorLike, indices: TensorLike, axis: number): Tensor => {
  const x = asTensor(op, "x", input)
  check(x.rank > 0, op, () => `cannot ${op} from a 0-d tensor`)
  const a = normalizeAxis(op, axis, x.rank)
  const idx = checkIndices(op, indices, x.shape[a]!, x, a)
  return bind("gather", [x, idx], { axis: a })
}

/**
 * NumPy's `take`: like `gather`, but with no `axis` it indexes the flattened tensor.
 * @example
 * import * as T from "@fnn/tensor"
 * T.take(T.tensor([[1, 2], [3, 4]]), T.tensor([3], { dtype: "int32" })) // [4]
 */
export const take = (input: TensorLike, indices: TensorLike, axis?: number): Tensor =>
  axis === undefined
    ? gatherAs("take", reshape(asTensor("take", "x", input), [-1]), indices, 0)
    : gatherAs("take", input, indices, axis)

/**
 * One-hot rows: `labels` (int32, any shape) → `[...labels.shape, n]`, float32 by default.
 * A label outside `[0, n)` is an error.
 * @example
 * import * as T from "@fnn/tensor"
 * T.oneHot(T.tensor([0, 2], { dtype: "int32" }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export const oneHot = (
  labels: TensorLike,
  n: number,
  given?: { readonly dtype?: "float32" | "float64" | "int32" },
): Tensor => {
  const options = checkOptions("oneHot", given, { dtype: "dtype" })
  const l = asTensor("oneHot", "labels", labels)
  check(l.dtype === "int32", "oneHot", () => `labels must be int32, got ${l.dtype}`)
  check(Number.isInteger(n) && n > 0, "oneHot", () => `n must be a positive integer, got ${n}`)
  if (isConcrete(l)) {
    const d = l.data
    for (let i = 0; i < d.length; i++)
      if (d[i]! < 0 || d[i]! >= n)
        throw new TensorError("oneHot", `label ${d[i]} at position ${i} is outside [0, ${n})`)
  }
  return gather(eye(n, n, { dtype: options.dtype ?? "float32" }), l, 0)
}
