/**
 * Reductions over `{ axis, keepDims }` (axis: a number, an array, negative allowed; none means
 * every axis), and the stable softmax family built on them.
 * @module
 */
import { bind } from "../dispatch.ts"
import { defaultFloat, isFloat } from "../dtype.ts"
import { check } from "../errors.ts"
import { checkOptions } from "../options.ts"
import { keptShape, normalizeAxes, normalizeAxis, sizeOf } from "../shape.ts"
import type { Tensor } from "../tensor.ts"
import type { TensorLike } from "./convert.ts"
import { asTensor, cast } from "./convert.ts"
import { add, div, equal, exp, log, neg, sub, where } from "./elementwise.ts"
import { reshape } from "./movement.ts"

/** Which axes to reduce and whether to keep them as size 1. */
export interface ReduceOptions {
  readonly axis?: number | ReadonlyArray<number>
  readonly keepDims?: boolean
}

/** Options for ops along one axis. */
export interface AxisOptions {
  readonly axis?: number
  readonly keepDims?: boolean
}

const reduceSpec = { axis: "integers", keepDims: "boolean" } as const
const axisSpec = { axis: "integer", keepDims: "boolean" } as const
const softmaxSpec = { axis: "integer" } as const

const reduceWith =
  (op: string, prim: "sum" | "max") =>
  (input: TensorLike, given?: ReduceOptions): Tensor => {
    const options = checkOptions(op, given, reduceSpec)
    const x = asTensor(op, "x", input)
    const axes = normalizeAxes(op, options.axis, x.rank)
    if (prim === "max")
      check(
        axes.every((a) => x.shape[a]! > 0),
        op,
        () =>
          `cannot reduce over an axis of size 0 (shape [${x.shape.join(", ")}], axis ${JSON.stringify(options.axis)}): the result has no identity`,
      )
    const out = axes.length === 0 ? x : bind(prim, [x], { axes })
    return options.keepDims === true ? reshape(out, keptShape(x.shape, axes)) : out
  }

/**
 * Sum of elements over `axis` (all by default).
 * @example
 * import * as T from "@fnn/tensor"
 * T.sum(T.tensor([[1, 2], [3, 4]]), { axis: 0 }) // [4, 6]
 */
export const sum = reduceWith("sum", "sum")

/**
 * Largest element over `axis` (NaN wins, as in NumPy).
 * @example
 * import * as T from "@fnn/tensor"
 * T.max(T.tensor([[1, 5], [3, 4]]), { axis: 1 }) // [5, 4]
 */
export const max = reduceWith("max", "max")

/** `max` whose errors name the composite op that called it. */
const maxAs = (op: string): typeof max => (op === "max" ? max : reduceWith(op, "max"))

/**
 * Smallest element over `axis`.
 * @example
 * import * as T from "@fnn/tensor"
 * T.min(T.tensor([[1, 5], [3, 4]])) // 1
 */
export const min = (x: TensorLike, options?: ReduceOptions): Tensor =>
  neg(maxAs("min")(neg(asTensor("min", "x", x)), checkOptions("min", options, reduceSpec)))

/**
 * Arithmetic mean over `axis`; integers average as float32.
 * @example
 * import * as T from "@fnn/tensor"
 * T.mean(T.tensor([1, 2, 3, 4])) // 2.5
 */
export const mean = (input: TensorLike, given?: ReduceOptions): Tensor => {
  const options = checkOptions("mean", given, reduceSpec)
  const x = asTensor("mean", "x", input)
  const axes = normalizeAxes("mean", options.axis, x.rank)
  const count = sizeOf(axes.map((a) => x.shape[a]!))
  const xf = isFloat(x.dtype) ? x : cast(x, defaultFloat)
  return div(sum(xf, options), count)
}

const argWith =
  (op: string, flip: boolean) =>
  (input: TensorLike, given?: AxisOptions): Tensor => {
    const options = checkOptions(op, given, axisSpec)
    const x0 = asTensor(op, "x", input)
    const flat = options.axis === undefined
    const x = flat ? reshape(x0, [-1]) : x0
    const axis = flat ? 0 : normalizeAxis(op, options.axis, x.rank)
    check(
      x.shape[axis]! > 0,
      op,
      () => `cannot take ${op} over an axis of size 0 (shape [${x0.shape.join(", ")}])`,
    )
    const out = bind("argmax", [flip ? neg(x) : x], { axis })
    if (options.keepDims !== true) return out
    return reshape(out, flat ? x0.shape.map(() => 1) : x.shape.map((d, i) => (i === axis ? 1 : d)))
  }

/**
 * Index of the largest element along `axis` (of the flattened tensor when no axis), int32.
 * @example
 * import * as T from "@fnn/tensor"
 * T.argmax(T.tensor([[1, 5], [7, 4]]), { axis: 1 }) // [1, 0]
 */
export const argmax = argWith("argmax", false)

/**
 * Index of the smallest element along `axis` (of the flattened tensor when no axis), int32.
 * @example
 * import * as T from "@fnn/tensor"
 * T.argmin(T.tensor([3, 1, 2])) // 1
 */
export const argmin = argWith("argmin", true)

/**
 * `log(Σ eˣ)` over `axis`, computed as `m + log(Σ e^(x-m))` with `m` the maximum, so it is
 * finite for large inputs (and `-∞` only when every input is `-∞`).
 * @example
 * import * as T from "@fnn/tensor"
 * T.logSumExp(T.tensor([1e4, 1e4])) // 1e4 + log 2
 */
export const logSumExp = (input: TensorLike, given?: ReduceOptions): Tensor => {
  const options = checkOptions("logSumExp", given, reduceSpec)
  const x0 = asTensor("logSumExp", "x", input)
  const x = isFloat(x0.dtype) ? x0 : cast(x0, defaultFloat)
  const m = maxAs("logSumExp")(x, { ...options, keepDims: true })
  // a row of -∞ (or +∞) would give ∞ - ∞: shift by 0 there instead
  const finite = equal(sub(m, m), 0)
  const shift = where(finite, m, 0)
  const lse = add(log(sum(exp(sub(x, shift)), { ...options, keepDims: true })), shift)
  if (options.keepDims === true) return lse
  const axes = normalizeAxes("logSumExp", options.axis, x.rank)
  return reshape(
    lse,
    x.shape.filter((_, i) => !axes.includes(i)),
  )
}

/**
 * `x - m` with `m` the maximum along `axis` (kept as size 1), or `x` itself where that maximum is
 * not finite (a row of -∞ would give ∞ - ∞). Softmax is unchanged by the shift.
 */
const shiftByMax = (op: string, x: Tensor, axis: number): Tensor => {
  const m = maxAs(op)(x, { axis, keepDims: true })
  return sub(x, where(equal(sub(m, m), 0), m, 0))
}

/**
 * `log softmax` along `axis` (default the last): `x - logSumExp(x)`, computed as
 * `(x - m) - log Σ e^(x-m)` so no large intermediate is rounded (accurate at ±1e4 in float32).
 * @example
 * import * as T from "@fnn/tensor"
 * T.logSoftmax(T.tensor([[1, 2, 3]]))
 */
export const logSoftmax = (input: TensorLike, given?: { readonly axis?: number }): Tensor => {
  const options = checkOptions("logSoftmax", given, softmaxSpec)
  const x0 = asTensor("logSoftmax", "x", input)
  const x = isFloat(x0.dtype) ? x0 : cast(x0, defaultFloat)
  const axis = options.axis ?? -1
  const z = shiftByMax("logSoftmax", x, axis)
  return sub(z, log(sum(exp(z), { axis, keepDims: true })))
}

/**
 * `eˣ / Σ eˣ` along `axis` (default the last), computed as `e^(x-m) / Σ e^(x-m)`: rows sum to 1
 * and stay finite at ±1e4.
 * @example
 * import * as T from "@fnn/tensor"
 * T.softmax(T.tensor([[1, 2, 3]]))
 */
export const softmax = (input: TensorLike, given?: { readonly axis?: number }): Tensor => {
  const options = checkOptions("softmax", given, softmaxSpec)
  const x0 = asTensor("softmax", "x", input)
  const x = isFloat(x0.dtype) ? x0 : cast(x0, defaultFloat)
  const axis = options.axis ?? -1
  const e = exp(shiftByMax("softmax", x, axis))
  return div(e, sum(e, { axis, keepDims: true }))
}
