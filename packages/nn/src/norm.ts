/**
 * Layer normalization (Ba et al. 2016): each example's features, normalized to mean 0 and
 * variance 1 over the last axis, then scaled and shifted by learned per-feature parameters. No
 * running statistics, so it stays a pure function of parameters and input (unlike BatchNorm).
 * @module
 */
import * as T from "@fnn/tensor"
import type { Shape } from "@fnn/tensor"
import type { Layer } from "./layers.ts"
import { checkInputShape, showShape } from "./layers.ts"
import { applySpec, checkOptions, initSpec } from "./checks.ts"

/** The parameters of `LayerNorm`: `scale` (starts at 1) and `offset` (starts at 0), `[features]`. */
export type LayerNormParams = { readonly scale: T.Tensor; readonly offset: T.Tensor }

/**
 * `y = (x − mean) / √(var + epsilon) · scale + offset` over the last axis.
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const [, p] = nn.LayerNorm().init(T.random.key(0), [-1, 4]) // scale [1, 1, 1, 1], offset zeros
 */
export const LayerNorm = (epsilon = 1e-5): Layer<LayerNormParams> => {
  if (!(Number.isFinite(epsilon) && epsilon > 0))
    throw new T.TensorError("LayerNorm", `epsilon must be a finite number > 0, got ${epsilon}`)
  const name = "LayerNorm"
  const outputShape = (s: Shape): Shape => {
    checkInputShape(name, s, 1)
    if (s[s.length - 1]! < 1)
      throw new T.TensorError(
        name,
        `the last axis of the input shape ${showShape(s)} must have a known size`,
      )
    return s
  }
  return {
    description: { layer: "LayerNorm", epsilon },
    outputShape,
    init(_key, inputShape, options) {
      const out = outputShape(inputShape)
      const features = [inputShape[inputShape.length - 1]!]
      const dtype = checkOptions(name, options, initSpec).dtype ?? "float32"
      return [out, { scale: T.ones(features, { dtype }), offset: T.zeros(features, { dtype }) }]
    },
    apply({ scale, offset }, x, options) {
      checkOptions(name, options, applySpec)
      if (x.rank < 1 || x.shape[x.rank - 1] !== scale.shape[0])
        throw new T.TensorError(
          name,
          `the input of shape ${showShape(x.shape)} should have ${scale.shape[0]} features on its last axis`,
        )
      const mean = T.mean(x, { axis: -1, keepDims: true })
      const centred = T.sub(x, mean)
      const variance = T.mean(T.square(centred), { axis: -1, keepDims: true })
      return T.add(T.mul(T.div(centred, T.sqrt(T.add(variance, epsilon))), scale), offset)
    },
  }
}
