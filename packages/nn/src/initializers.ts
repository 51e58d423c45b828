/**
 * Parameter initializers: `(key, shape, dtype) → Tensor`, pure functions of a PRNG key.
 *
 * The variance-scaling family follows JAX's `jax.nn.initializers`: for a weight of shape
 * `[..., fanIn, fanOut]` the receptive field is the product of the leading axes, `fanIn` and
 * `fanOut` are the last two axes times it, and the variance is `scale / n` with `n` the fan in,
 * the fan out or their mean. A rank-1 shape `[n]` has fan in and fan out `n`; a scalar has 1.
 *
 * The named initializers carry a `description`, so a `Dense` layer that uses them is described
 * (and rebuilt by `fromDescription`) with them; a plain function works as an initializer too.
 * @module
 */
import * as T from "@fnn/tensor"
import type { DType, Shape, Tensor } from "@fnn/tensor"

/** A PRNG key (see `T.random`). */
export type Key = T.random.Key

/** How a named initializer is written in a network description. */
export type InitializerDescription =
  | { readonly name: "glorotUniform" }
  | { readonly name: "glorotNormal" }
  | { readonly name: "heNormal" }
  | { readonly name: "heUniform" }
  | { readonly name: "lecunNormal" }
  | { readonly name: "lecunUniform" }
  | { readonly name: "zeros" }
  | { readonly name: "ones" }
  | { readonly name: "normal"; readonly std: number }
  | { readonly name: "uniform"; readonly scale: number }
  | { readonly name: "constant"; readonly value: number }

/**
 * Makes a tensor of `shape` from `key`. Float dtypes only (default float32). `description` is set
 * on the named initializers of this module.
 */
export interface Initializer {
  (key: Key, shape: Shape, dtype?: DType): Tensor
  readonly description?: InitializerDescription
}

const named = (
  description: InitializerDescription,
  f: (key: Key, shape: Shape, dtype: DType) => Tensor,
): Initializer =>
  Object.assign((key: Key, shape: Shape, dtype: DType = "float32") => f(key, shape, dtype), {
    description,
  })

const floatDType = (op: string, dtype: DType): "float32" | "float64" => {
  if (dtype === "int32") throw new T.TensorError(op, `initializers make float tensors, not int32`)
  return dtype
}

/**
 * `[fanIn, fanOut]` of a weight shape, as JAX computes them (`in_axis = -2`, `out_axis = -1`,
 * the other axes a receptive field that multiplies both).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.fans([784, 16]) // [784, 16]
 * nn.fans([3, 3, 8, 16]) // [72, 144]
 */
export const fans = (shape: Shape): readonly [number, number] => {
  if (shape.length === 0) return [1, 1]
  if (shape.length === 1) return [shape[0]!, shape[0]!]
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1)
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive]
}

/** Which fan the variance is divided by. */
export type FanMode = "fanIn" | "fanOut" | "fanAvg"

/** The distribution a variance-scaling initializer draws from. */
export type Distribution = "uniform" | "normal" | "truncatedNormal"

// The standard deviation of a standard normal truncated to (-2, 2): dividing by it makes the
// truncated samples have the requested variance (JAX's constant).
const truncatedStd = 0.87962566103423978

/**
 * Samples with variance `scale / n`, `n` the fan chosen by `mode`: uniform on `±√(3·scale/n)`,
 * normal with std `√(scale/n)`, or a normal truncated to ±2 std rescaled to that variance.
 * The named initializers below are instances.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const init = nn.varianceScaling(2, "fanIn", "normal")
 * const w = init(T.random.key(0), [784, 256])
 */
export const varianceScaling =
  (scale: number, mode: FanMode, distribution: Distribution): Initializer =>
  (key, shape, dtype = "float32") =>
    varianceScaled(scale, mode, distribution, key, shape, dtype)

const varianceScaled = (
  scale: number,
  mode: FanMode,
  distribution: Distribution,
  key: Key,
  shape: Shape,
  dtype: DType,
): Tensor => {
  const op = "varianceScaling"
  const d = floatDType(op, dtype)
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new T.TensorError(op, `scale must be a positive finite number, got ${scale}`)
  const [fanIn, fanOut] = fans(shape)
  const n = mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2
  // an empty weight has no elements to scale; avoid dividing by a zero fan
  const variance = scale / Math.max(n, 1)
  switch (distribution) {
    case "uniform": {
      const limit = Math.sqrt(3 * variance)
      return T.random.uniform(key, shape, { min: -limit, max: limit, dtype: d })
    }
    case "normal":
      return T.random.normal(key, shape, { std: Math.sqrt(variance), dtype: d })
    case "truncatedNormal":
      return T.mul(
        T.random.truncatedNormal(key, shape, { lower: -2, upper: 2, dtype: d }),
        Math.sqrt(variance) / truncatedStd,
      )
  }
}

/**
 * Glorot (Xavier) uniform: `U(±√(6 / (fanIn + fanOut)))`. The default weight initializer of
 * `Dense`; suits sigmoid and tanh layers.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.glorotUniform(T.random.key(0), [784, 16]) // values within ±√(6/800) ≈ ±0.0866
 */
export const glorotUniform: Initializer = named({ name: "glorotUniform" }, (k, s, d) =>
  varianceScaled(1, "fanAvg", "uniform", k, s, d),
)

/**
 * Glorot (Xavier) normal as in JAX: a normal truncated to ±2 std with variance
 * `2 / (fanIn + fanOut)`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.glorotNormal(T.random.key(0), [784, 16])
 */
export const glorotNormal: Initializer = named({ name: "glorotNormal" }, (k, s, d) =>
  varianceScaled(1, "fanAvg", "truncatedNormal", k, s, d),
)

/**
 * He (Kaiming) normal as in JAX: truncated normal with variance `2 / fanIn`. For ReLU layers.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.heNormal(T.random.key(0), [784, 256])
 */
export const heNormal: Initializer = named({ name: "heNormal" }, (k, s, d) =>
  varianceScaled(2, "fanIn", "truncatedNormal", k, s, d),
)

/**
 * He (Kaiming) uniform: `U(±√(6 / fanIn))`. For ReLU layers.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.heUniform(T.random.key(0), [784, 256])
 */
export const heUniform: Initializer = named({ name: "heUniform" }, (k, s, d) =>
  varianceScaled(2, "fanIn", "uniform", k, s, d),
)

/**
 * LeCun normal as in JAX: truncated normal with variance `1 / fanIn`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.lecunNormal(T.random.key(0), [784, 16])
 */
export const lecunNormal: Initializer = named({ name: "lecunNormal" }, (k, s, d) =>
  varianceScaled(1, "fanIn", "truncatedNormal", k, s, d),
)

/**
 * LeCun uniform: `U(±√(3 / fanIn))`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.lecunUniform(T.random.key(0), [784, 16])
 */
export const lecunUniform: Initializer = named({ name: "lecunUniform" }, (k, s, d) =>
  varianceScaled(1, "fanIn", "uniform", k, s, d),
)

/**
 * Normal samples with mean 0 and standard deviation `std` (default 0.01, as in JAX).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const b = nn.normal(1e-6)(T.random.key(0), [16])
 */
export const normal = (std = 0.01): Initializer => {
  if (!(std >= 0 && Number.isFinite(std)))
    throw new T.TensorError("normal", `std must be a finite number ≥ 0, got ${std}`)
  const sd = std === 0 ? 0 : std // not −0, which JSON cannot write
  return named({ name: "normal", std: sd }, (k, s, d) =>
    T.random.normal(k, s, { std: sd, dtype: floatDType("normal", d) }),
  )
}

/**
 * Uniform samples in `[0, scale)` (default 0.01, as in JAX).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const w = nn.uniform(0.1)(T.random.key(0), [3, 3])
 */
export const uniform = (scale = 0.01): Initializer => {
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new T.TensorError("uniform", `scale must be a positive finite number, got ${scale}`)
  return named({ name: "uniform", scale }, (k, s, d) =>
    T.random.uniform(k, s, { min: 0, max: scale, dtype: floatDType("uniform", d) }),
  )
}

/**
 * Every element `value`; the key is not used.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.constant(0.1)(T.random.key(0), [3]) // [0.1, 0.1, 0.1]
 */
export const constant = (value: number): Initializer => {
  if (!Number.isFinite(value))
    throw new T.TensorError("constant", `value must be a finite number, got ${value}`)
  // JSON writes −0 as 0: take 0 so that the initializer and its description agree bit for bit
  const c = value === 0 ? 0 : value
  return named({ name: "constant", value: c }, (_k, s, d) =>
    T.full(s, c, { dtype: floatDType("constant", d) }),
  )
}

/**
 * All zeros; the default bias initializer of `Dense`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.zeros(T.random.key(0), [16]) // 16 zeros
 */
export const zeros: Initializer = named({ name: "zeros" }, (_k, s, d) =>
  T.zeros(s, { dtype: floatDType("zeros", d) }),
)

/**
 * All ones.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.ones(T.random.key(0), [16]) // 16 ones
 */
export const ones: Initializer = named({ name: "ones" }, (_k, s, d) =>
  T.ones(s, { dtype: floatDType("ones", d) }),
)

/**
 * The initializer a description names (the inverse of `Initializer.description`).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.initializerFromDescription({ name: "normal", std: 0.1 }) // nn.normal(0.1)
 */
export const initializerFromDescription = (d: InitializerDescription): Initializer => {
  switch (d.name) {
    case "glorotUniform":
      return glorotUniform
    case "glorotNormal":
      return glorotNormal
    case "heNormal":
      return heNormal
    case "heUniform":
      return heUniform
    case "lecunNormal":
      return lecunNormal
    case "lecunUniform":
      return lecunUniform
    case "zeros":
      return zeros
    case "ones":
      return ones
    case "normal":
      return normal(d.std)
    case "uniform":
      return uniform(d.scale)
    case "constant":
      return constant(d.value)
  }
}
