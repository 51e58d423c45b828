/**
 * Elementwise ops. Binary ops broadcast (NumPy rules) and promote dtypes; numbers work wherever
 * a scalar does. Composite ops (`square`, `relu`, `softplus`…) are built from primitives, so they
 * are differentiable wherever the primitives are.
 * @module
 */
import type { BinaryPrimitive, ComparePrimitive, UnaryPrimitive } from "../primitives.ts"
import { bind } from "../dispatch.ts"
import { defaultFloat, isFloat } from "../dtype.ts"
import { broadcastShapes } from "../shape.ts"
import type { Tensor } from "../tensor.ts"
import type { TensorLike } from "./convert.ts"
import { asTensor, cast, promote } from "./convert.ts"

const keepType =
  (prim: UnaryPrimitive) =>
  (x: TensorLike): Tensor =>
    bind(prim, [asTensor(prim, "x", x)], {})

/** Functions of reals: an int32 input is computed in float32. */
const floatType =
  (prim: UnaryPrimitive) =>
  (x: TensorLike): Tensor => {
    const t = asTensor(prim, "x", x)
    return bind(prim, [isFloat(t.dtype) ? t : cast(t, defaultFloat)], {})
  }

const binaryOp =
  (prim: BinaryPrimitive) =>
  (a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = promote(prim, [a, b]) as [Tensor, Tensor]
    broadcastShapes(prim, x.shape, y.shape)
    return bind(prim, [x, y], {})
  }

/** `less` is `greater` with its arguments swapped; errors still name the op that was called. */
const compareOp =
  (prim: ComparePrimitive, swap = false, op: string = prim) =>
  (a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = promote(op, [a, b]) as [Tensor, Tensor]
    broadcastShapes(op, x.shape, y.shape)
    return swap ? bind(prim, [y, x], {}) : bind(prim, [x, y], {})
  }

/** `-x`. @example T.neg(T.tensor([1, -2])) // [-1, 2] */
export const neg = keepType("neg")
/** `|x|`. @example T.abs(T.tensor([-1, 2])) // [1, 2] */
export const abs = keepType("abs")
/** `-1`, `0` or `1` by the sign of `x`. @example T.sign(T.tensor([-3, 0, 2])) // [-1, 0, 1] */
export const sign = keepType("sign")
/** `eˣ`. @example T.exp(T.tensor([0, 1])) // [1, 2.718…] */
export const exp = floatType("exp")
/** Natural logarithm. @example T.log(T.tensor([1])) // [0] */
export const log = floatType("log")
/** `log(1 + x)`, accurate for small `x`. @example T.log1p(T.tensor([1e-8])) */
export const log1p = floatType("log1p")
/** Square root. @example T.sqrt(T.tensor([4])) // [2] */
export const sqrt = floatType("sqrt")
/** Sine. @example T.sin(T.tensor([0])) // [0] */
export const sin = floatType("sin")
/** Cosine. @example T.cos(T.tensor([0])) // [1] */
export const cos = floatType("cos")
/** Hyperbolic tangent. @example T.tanh(T.tensor([0])) // [0] */
export const tanh = floatType("tanh")
/**
 * The logistic function `σ(x) = 1 / (1 + e⁻ˣ)`, computed stably (finite and exact at ±1e4).
 * @example T.sigmoid(T.tensor([0])) // [0.5]
 */
export const sigmoid = floatType("sigmoid")

/** `a + b`, broadcasting. @example T.add(T.tensor([[1, 2], [3, 4]]), T.tensor([10, 20])) */
export const add = binaryOp("add")
/** `a - b`, broadcasting. @example T.sub(T.tensor([3]), 1) // [2] */
export const sub = binaryOp("sub")
/** `a * b`, broadcasting. @example T.mul(T.tensor([1, 2]), 3) // [3, 6] */
export const mul = binaryOp("mul")
/** `a ** b`, broadcasting. @example T.pow(T.tensor([2, 3]), 2) // [4, 9] */
export const pow = binaryOp("pow")
/** Elementwise larger (NaN wins). @example T.maximum(T.tensor([1, 5]), 3) // [3, 5] */
export const maximum = binaryOp("maximum")
/** Elementwise smaller (NaN wins). @example T.minimum(T.tensor([1, 5]), 3) // [1, 3] */
export const minimum = binaryOp("minimum")

/**
 * True division `a / b`, broadcasting; integers divide as floats (`int32 / int32 → float32`).
 * @example T.div(T.tensor([1, 2]), 4) // [0.25, 0.5]
 */
export const div = (a: TensorLike, b: TensorLike): Tensor => {
  const [x, y] = promote("div", [a, b]) as [Tensor, Tensor]
  const f = isFloat(x.dtype) ? x.dtype : defaultFloat
  broadcastShapes("div", x.shape, y.shape)
  return bind("div", [cast(x, f), cast(y, f)], {})
}

/** `x * x`. @example T.square(T.tensor([3])) // [9] */
export const square = (x: TensorLike): Tensor => {
  const t = asTensor("square", "x", x)
  return bind("mul", [t, t], {})
}

/** `1 / x`. @example T.reciprocal(T.tensor([4])) // [0.25] */
export const reciprocal = (x: TensorLike): Tensor => div(1, asTensor("reciprocal", "x", x))

/** `a == b` as int32 ones and zeros. @example T.equal(T.tensor([1, 2]), 2) // [0, 1] */
export const equal = compareOp("equal")
/** `a > b` as int32. @example T.greater(T.tensor([1, 2]), 1) // [0, 1] */
export const greater = compareOp("greater")
/** `a >= b` as int32. @example T.greaterEqual(T.tensor([1, 2]), 2) // [0, 1] */
export const greaterEqual = compareOp("greaterEqual")
/** `a < b` as int32. @example T.less(T.tensor([1, 2]), 2) // [1, 0] */
export const less = compareOp("greater", true, "less")
/** `a <= b` as int32. @example T.lessEqual(T.tensor([1, 2]), 1) // [1, 0] */
export const lessEqual = compareOp("greaterEqual", true, "lessEqual")

/**
 * `a` where `cond` is non-zero, else `b`; all three broadcast.
 * @example T.where(T.greater(x, 0), x, 0) // relu
 */
export const where = (cond: TensorLike, a: TensorLike, b: TensorLike): Tensor => {
  const raw = asTensor("where", "cond", cond)
  // non-zero (NaN included) means true, as in NumPy
  const c = raw.dtype === "int32" ? raw : sub(1, equal(raw, 0))
  const [x, y] = promote("where", [a, b]) as [Tensor, Tensor]
  broadcastShapes("where", c.shape, x.shape, y.shape)
  return bind("where", [c, x, y], {})
}

/**
 * `max(x, 0)`; NaN stays NaN. Its derivative at 0 is taken as 0, as in JAX.
 * @example T.relu(T.tensor([-1, 0, 2])) // [0, 0, 2]
 */
export const relu = (x: TensorLike): Tensor => {
  const t = asTensor("relu", "x", x)
  // `x <= 0` is false for NaN, so NaN passes through (as maximum(NaN, 0) does)
  return where(lessEqual(t, 0), 0, t)
}

/**
 * `log(1 + eˣ)`, computed as `max(x, 0) + log1p(e^-|x|)` so it is finite for any finite `x`.
 * Both pieces switch on the same side of 0, so the derivative there is σ(0) = ½.
 * @example T.softplus(T.tensor([0])) // [0.693…]
 */
export const softplus = (x: TensorLike): Tensor => {
  const t = asTensor("softplus", "x", x)
  const positive = greater(t, 0)
  return add(where(positive, t, 0), log1p(exp(where(positive, neg(t), t))))
}

/**
 * Limits values to `[lo, hi]`.
 * @example T.clip(T.tensor([-2, 0.5, 3]), 0, 1) // [0, 0.5, 1]
 */
export const clip = (x: TensorLike, lo: TensorLike, hi: TensorLike): Tensor => {
  const [t, l, h] = promote("clip", [x, lo, hi])
  broadcastShapes("clip", t!.shape, l!.shape, h!.shape)
  return minimum(maximum(t!, l!), h!)
}
