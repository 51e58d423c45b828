/**
 * Layers as `(init, apply)` pairs, in the style of JAX's stax. A layer is a value:
 * `init(key, inputShape)` makes its parameters (a pytree of tensors) and says what shape comes
 * out; `apply(params, x)` is a pure function of the parameters and the input. `serial(...)` of
 * layers is a layer, whose parameters are the tuple of its layers' parameters.
 *
 * Shapes given to `init` may use `-1` for the batch axis (`[-1, 784]`). Parameter-free layers
 * have the empty record `{}` as parameters.
 * @module
 */
import * as T from "@fnn/tensor"
import type { DType, Shape, Tensor } from "@fnn/tensor"
import type { LayerDescription, SimpleLayerName } from "./description.ts"
import type { Initializer, Key } from "./initializers.ts"
import { glorotUniform, zeros } from "./initializers.ts"
import { leavesOf } from "./pytree.ts"
import { applySpec, checkOptions, initSpec } from "./checks.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** Parameters: a pytree (nested readonly records and arrays) of tensors. */
export type Params = Tensor | ReadonlyArray<Params> | { readonly [name: string]: Params }

/** The parameters of a layer that has none. */
export type EmptyParams = Readonly<Record<string, never>>

/** The parameters of `Dense`: `x·w + b`. */
export type DenseParams = { readonly w: Tensor; readonly b: Tensor }

/** Options of `init`. */
export interface InitOptions {
  /** The float dtype of the parameters (default float32). */
  readonly dtype?: DType
}

/** Options of `apply`. */
export interface ApplyOptions {
  /** Randomness for stochastic layers (`Dropout`); `serial` splits it per layer. */
  readonly key?: Key
  /**
   * Training mode. Defaults to `true` when a key is given and `false` otherwise; stochastic
   * layers act only in training mode with a key, and are the identity otherwise.
   */
  readonly train?: boolean
}

/**
 * What flows between layers: one tensor, or a tuple of tensors (between `FanOut` and a fan-in).
 */
export type Flow = Tensor | ReadonlyArray<Tensor>

/** The shape of a flow: a shape for a tensor, a tuple of shapes for a tuple. */
export type FlowShape<F extends Flow> = F extends Tensor ? Shape : ReadonlyArray<Shape>

/**
 * A layer: parameters made by `init`, a pure `apply`, and its JSON `description`. Most layers
 * take and give one tensor; branching layers (`FanOut`, `parallel`, `FanInSum`, `FanInConcat`)
 * take or give tuples of them.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const layer = nn.Dense(10)
 * const [outShape, params] = layer.init(T.random.key(0), [-1, 784]) // [-1, 10], { w, b }
 * const y = layer.apply(params, T.zeros([32, 784])) // [32, 10]
 */
export interface Layer<
  P extends Params = Params,
  In extends Flow = Tensor,
  Out extends Flow = Tensor,
> {
  /** How to rebuild this layer (see `describe`). */
  readonly description: LayerDescription
  /** Parameters for inputs of `inputShape` (`-1` for the batch axis) and the output shape. */
  init(key: Key, inputShape: FlowShape<In>, options?: InitOptions): readonly [FlowShape<Out>, P]
  /** The layer as a function of its parameters and its input. Pure. */
  apply(params: P, x: In, options?: ApplyOptions): Out
  /** The output shape for inputs of `inputShape`, without making parameters; throws naming the layer when it cannot take them. */
  outputShape(inputShape: FlowShape<In>): FlowShape<Out>
}

/** Any layer, whatever flows in and out. */
export type AnyLayer = Layer<Params, Flow, Flow>

/** The parameters of a layer. */
export type ParamsOf<L> = L extends Layer<infer P, Flow, Flow> ? P : never

// -------------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------------

const isDim = (d: number): boolean => Number.isSafeInteger(d) && d >= -1

/** Throws naming the layer `op` unless `s` is a shape of rank ≥ `minRank`. */
export const checkInputShape = (op: string, s: Shape, minRank: number): void => {
  if (!Array.isArray(s) || s.length < minRank || !s.every((d) => typeof d === "number" && isDim(d)))
    throw new T.TensorError(
      op,
      `expected an input shape of rank ≥ ${minRank} with integer sizes (-1 for an unknown batch size), got ${JSON.stringify(s)}`,
    )
}

/** `[a, b, c]`. */
export const showShape = (s: Shape): string => `[${s.join(", ")}]`

// `Array.isArray` would narrow a readonly array to `any[]`
const isList = (x: unknown): boolean => Array.isArray(x)

// -------------------------------------------------------------------------------------------
// Dense
// -------------------------------------------------------------------------------------------

/** Options of `Dense`. */
export interface DenseOptions {
  /** Initializer of the weights `w` (default `glorotUniform`). */
  readonly init?: Initializer
  /** Initializer of the bias `b` (default `zeros`). */
  readonly biasInit?: Initializer
}

/**
 * A fully connected layer `y = x·w + b` on the last axis: `w` is `[in, units]`, `b` is `[units]`.
 * Weights start Glorot-uniform and biases zero unless `init` / `biasInit` say otherwise.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const [shape, { w, b }] = nn.Dense(16).init(T.random.key(0), [-1, 784])
 * shape // [-1, 16]; w.shape [784, 16]; b.shape [16]
 */
export const Dense = (units: number, given?: DenseOptions): Layer<DenseParams> => {
  const op = `Dense(${units})`
  const options = checkOptions("Dense", given, { init: "function", biasInit: "function" })
  if (!Number.isSafeInteger(units) || units < 1)
    throw new T.TensorError("Dense", `units must be a positive integer, got ${units}`)
  const wInit = options.init ?? glorotUniform
  const bInit = options.biasInit ?? zeros
  const outputShape = (s: Shape): Shape => {
    checkInputShape(op, s, 1)
    const inputs = s[s.length - 1]!
    if (inputs < 0)
      throw new T.TensorError(
        op,
        `the last axis of the input shape ${showShape(s)} must have a known size`,
      )
    return [...s.slice(0, -1), units]
  }
  return {
    description: {
      layer: "Dense",
      units,
      ...(wInit.description === undefined ? {} : { init: wInit.description }),
      ...(bInit.description === undefined ? {} : { biasInit: bInit.description }),
    },
    outputShape,
    init(key, inputShape, initOptions) {
      const out = outputShape(inputShape)
      const dtype = checkOptions(op, initOptions, initSpec).dtype ?? "float32"
      const [kw, kb] = T.random.split(key, 2)
      const inputs = inputShape[inputShape.length - 1]!
      const w = wInit(kw!, [inputs, units], dtype)
      const b = bInit(kb!, [units], dtype)
      return [out, { w, b }]
    },
    apply({ w, b }, x, options) {
      checkOptions(op, options, applySpec)
      const inputs = w.shape[0]
      if (x.rank < 1 || x.shape[x.rank - 1] !== inputs)
        throw new T.TensorError(
          op,
          `the input of shape ${showShape(x.shape)} should have ${inputs} features on its last axis (w is ${showShape(w.shape)})`,
        )
      if (x.rank === 2) return T.add(T.matmul(x, w), b)
      const flat = T.reshape(x, [-1, inputs!])
      return T.reshape(T.add(T.matmul(flat, w), b), [...x.shape.slice(0, -1), units])
    },
  }
}

// -------------------------------------------------------------------------------------------
// parameter-free layers
// -------------------------------------------------------------------------------------------

/** The parameters of every parameter-free layer. */
export const empty: EmptyParams = Object.freeze({})

const shapePreserving = (
  description: LayerDescription,
  f: (x: Tensor, options: ApplyOptions) => Tensor,
): Layer<EmptyParams> => {
  const outputShape = (s: Shape): Shape => {
    checkInputShape(description.layer, s, 0)
    return s
  }
  return {
    description,
    outputShape,
    init: (_key, inputShape) => [outputShape(inputShape), empty],
    apply: (_params, x, options) => f(x, checkOptions(description.layer, options, applySpec)),
  }
}

const simple = (layer: SimpleLayerName, f: (x: Tensor) => Tensor): Layer<EmptyParams> =>
  shapePreserving({ layer }, f)

/**
 * The logistic function `σ(x) = 1 / (1 + e⁻ˣ)` elementwise: 3Blue1Brown's squashing layer.
 * @example nn.serial(nn.Dense(16), nn.Sigmoid)
 */
export const Sigmoid: Layer<EmptyParams> = simple("Sigmoid", (x) => T.sigmoid(x))

/**
 * `max(x, 0)` elementwise (gradient 0 at 0).
 * @example nn.serial(nn.Dense(256), nn.Relu)
 */
export const Relu: Layer<EmptyParams> = simple("Relu", (x) => T.relu(x))

/**
 * `tanh(x)` elementwise.
 * @example nn.serial(nn.Dense(64), nn.Tanh)
 */
export const Tanh: Layer<EmptyParams> = simple("Tanh", (x) => T.tanh(x))

/**
 * Softmax over the last axis: outputs are positive and sum to 1. For training prefer raw logits
 * with `softmaxCrossEntropy`, which is stabler.
 * @example nn.serial(nn.Dense(10), nn.Softmax)
 */
export const Softmax: Layer<EmptyParams> = simple("Softmax", (x) => T.softmax(x, { axis: -1 }))

/**
 * Log-softmax over the last axis, computed stably.
 * @example nn.serial(nn.Dense(10), nn.LogSoftmax)
 */
export const LogSoftmax: Layer<EmptyParams> = simple("LogSoftmax", (x) =>
  T.logSoftmax(x, { axis: -1 }),
)

/**
 * Leaky ReLU with its slope for negative inputs: `x` where `x > 0`, else `slope·x`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const net = nn.serial(nn.Dense(64), nn.leakyRelu(0.2), nn.Dense(10))
 */
export const leakyRelu = (slope: number): Layer<EmptyParams> => {
  if (!Number.isFinite(slope))
    throw new T.TensorError("leakyRelu", `slope must be a finite number, got ${slope}`)
  // JSON writes −0 as 0: take 0 so that the layer and its description agree bit for bit
  const a = slope === 0 ? 0 : slope
  return shapePreserving({ layer: "LeakyRelu", slope: a }, (x) =>
    T.where(T.greater(x, 0), x, T.mul(x, a)),
  )
}

/**
 * Leaky ReLU with slope 0.01 (as in JAX and PyTorch); `leakyRelu(slope)` makes other slopes.
 * @example nn.serial(nn.Dense(64), nn.LeakyRelu, nn.Dense(10))
 */
export const LeakyRelu: Layer<EmptyParams> = leakyRelu(0.01)

/**
 * Flattens every axis but the first: `[b, d1, d2, …] → [b, d1·d2·…]` (`[b] → [b, 1]`).
 * @example nn.serial(nn.Flatten, nn.Dense(10)) // on [-1, 28, 28] inputs
 */
export const Flatten: Layer<EmptyParams> = (() => {
  const outputShape = (s: Shape): Shape => {
    checkInputShape("Flatten", s, 1)
    const rest = s.slice(1)
    if (rest.some((d) => d < 0))
      throw new T.TensorError(
        "Flatten",
        `only the first axis may have an unknown size, got ${showShape(s)}`,
      )
    return [s[0]!, rest.reduce((a, b) => a * b, 1)]
  }
  return {
    description: { layer: "Flatten" },
    outputShape,
    init: (_key, inputShape) => [outputShape(inputShape), empty],
    apply: (_params, x, options) => {
      checkOptions("Flatten", options, applySpec)
      if (x.rank < 1) throw new T.TensorError("Flatten", `needs an input of rank ≥ 1, got a scalar`)
      return T.reshape(x, [x.shape[0]!, x.shape.slice(1).reduce((a, b) => a * b, 1)])
    },
  }
})()

/**
 * Reshapes each batch: `shape` is the whole target shape, batch included, with at most one `-1`
 * (usually the batch). `Reshape([-1, 28, 28, 1])` turns `[-1, 784]` rows into images.
 * @example nn.serial(nn.Reshape([-1, 28, 28, 1]), nn.Conv(6, 5), nn.Relu)
 */
export const Reshape = (shape: Shape): Layer<EmptyParams> => {
  const target = [...shape]
  const name = `Reshape(${showShape(target)})`
  if (
    target.length === 0 ||
    !target.every((d) => Number.isSafeInteger(d) && (d >= 1 || d === -1)) ||
    target.filter((d) => d === -1).length > 1
  )
    throw new T.TensorError(
      "Reshape",
      `shape must be positive integers with at most one -1, got ${JSON.stringify(shape)}`,
    )
  const known = (s: Shape): number => s.filter((d) => d !== -1).reduce((a, b) => a * b, 1)
  const outputShape = (s: Shape): Shape => {
    checkInputShape(name, s, 1)
    const unknownIn = s.includes(-1)
    const unknownOut = target.includes(-1)
    const fits = unknownIn
      ? unknownOut && known(s) % known(target) === 0 && known(target) % known(s) === 0
      : unknownOut
        ? known(s) % known(target) === 0
        : known(s) === known(target)
    if (!fits)
      throw new T.TensorError(
        name,
        `cannot reshape inputs of shape ${showShape(s)} to ${showShape(target)}`,
      )
    return unknownIn || !unknownOut
      ? target
      : target.map((d) => (d === -1 ? known(s) / known(target) : d))
  }
  return {
    description: { layer: "Reshape", shape: target },
    outputShape,
    init: (_key, inputShape) => [outputShape(inputShape), empty],
    apply: (_params, x) => {
      if (target.includes(-1) ? x.size % known(target) !== 0 : x.size !== known(target))
        throw new T.TensorError(
          name,
          `cannot reshape an input of shape ${showShape(x.shape)} to ${showShape(target)}`,
        )
      return T.reshape(x, target)
    },
  }
}

/**
 * Inverted dropout: in training mode with a key, each element is zeroed with probability `rate`
 * and the others are scaled by `1 / (1 - rate)`, so the expected output equals the input. The
 * identity in evaluation mode or without a key.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const net = nn.serial(nn.Dense(256), nn.Relu, nn.Dropout(0.5), nn.Dense(10))
 * const [, params] = net.init(T.random.key(0), [-1, 784])
 * const x = T.zeros([8, 784])
 * net.apply(params, x, { key: T.random.key(1), train: true }) // random units dropped
 * net.apply(params, x) // deterministic
 */
export const Dropout = (rate: number): Layer<EmptyParams> => {
  if (!(typeof rate === "number" && rate >= 0 && rate < 1))
    throw new T.TensorError("Dropout", `rate must be a number in [0, 1), got ${rate}`)
  return shapePreserving({ layer: "Dropout", rate }, (x, { key, train }) => {
    if (key === undefined || train === false || rate === 0) return x
    const keep = T.random.bernoulli(key, 1 - rate, x.shape)
    return T.where(keep, T.div(x, 1 - rate), 0)
  })
}

// -------------------------------------------------------------------------------------------
// serial
// -------------------------------------------------------------------------------------------

/** The parameters of `serial(...layers)`: one entry per layer. */
export type SerialParams<Ls extends ReadonlyArray<AnyLayer>> = {
  readonly [K in keyof Ls]: ParamsOf<Ls[K]>
}

/** What layer `L` takes. */
export type InOf<L> = L extends Layer<Params, infer I, Flow> ? I : never
/** What layer `L` gives. */
export type OutOf<L> = L extends Layer<Params, Flow, infer O> ? O : never
/** What flows into the first of `Ls` (a tensor for no layers). */
export type SerialIn<Ls> = Ls extends readonly [infer F, ...unknown[]] ? InOf<F> : Tensor
/** What flows out of the last of `Ls` (a tensor for no layers). */
export type SerialOut<Ls> = Ls extends readonly [...unknown[], infer L] ? OutOf<L> : Tensor

/**
 * Layers one after another, as one layer. `init` splits the key into one per layer and threads
 * the shapes through; `apply` splits its key (if any) the same way. Its parameters are the tuple
 * of the layers' parameters, in order (`{}` for parameter-free ones).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
 * const [outShape, params] = net.init(T.random.key(0), [-1, 784]) // [-1, 10]
 * nn.paramCount(params) // 13002
 * const logits = net.apply(params, T.zeros([32, 784])) // [32, 10]
 */
export const serial = <const Ls extends ReadonlyArray<AnyLayer>>(
  ...layers: Ls
): Layer<SerialParams<Ls> & Params, SerialIn<Ls>, SerialOut<Ls>> => {
  const n = layers.length
  type S = FlowShape<Flow>
  const outputShape = (s: S): S => layers.reduce<S>((shape, l) => l.outputShape(shape), s)
  const layer: AnyLayer = {
    description: { layer: "Serial", layers: layers.map((l) => l.description) },
    outputShape,
    init(key, inputShape, given) {
      const options = checkOptions("serial.init", given, initSpec)
      if (n === 0) return [outputShape(inputShape), []]
      const keys = T.random.split(key, n)
      let shape: S = inputShape
      const params: Params[] = []
      layers.forEach((l, i) => {
        const [out, p] = l.init(keys[i]!, shape, options)
        params.push(p)
        shape = out
      })
      return [shape, params]
    },
    apply(params, x, given) {
      const options = checkOptions("serial.apply", given, applySpec)
      const ps = params as unknown as ReadonlyArray<Params>
      if (!isList(ps) || ps.length !== n)
        throw new T.TensorError(
          "serial",
          `expected an array of ${n} layer parameters, got ${isList(ps) ? `${ps.length}` : typeof ps}`,
        )
      const { key } = options
      const train = options.train ?? key !== undefined
      const keys = key === undefined || n === 0 ? undefined : T.random.split(key, n)
      let y: Flow = x
      layers.forEach((l, i) => {
        const k = keys?.[i]
        y = l.apply(ps[i]!, y, k === undefined ? { train } : { key: k, train })
      })
      return y
    },
  }
  return layer as unknown as Layer<SerialParams<Ls> & Params, SerialIn<Ls>, SerialOut<Ls>>
}

// -------------------------------------------------------------------------------------------
// utilities
// -------------------------------------------------------------------------------------------

/**
 * The number of scalars in a parameter tree.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
 * nn.paramCount(net.init(T.random.key(0), [-1, 784])[1]) // 13002 = 784·16+16 + 16·16+16 + 16·10+10
 */
export const paramCount = (params: Params): number =>
  leavesOf(params).reduce((n, leaf) => n + leaf.size, 0)
