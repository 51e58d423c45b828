/**
 * Convolution and pooling layers over channels-last inputs `[batch, ...spatial, channels]`
 * (stax's `Conv`, `MaxPool`, `AvgPool`), any number of spatial axes.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Shape } from "@fnn/tensor"
import type { Initializer } from "./initializers.ts"
import { glorotUniform, zeros } from "./initializers.ts"
import type { EmptyParams, Layer } from "./layers.ts"
import { checkInputShape, empty, showShape } from "./layers.ts"
import { applySpec, checkOptions, initSpec } from "./checks.ts"

/** The parameters of `Conv`: kernels `w` `[...window, in / groups, out]` and biases `b` `[out]`. */
export type ConvParams = { readonly w: T.Tensor; readonly b: T.Tensor }

/** Padding of a window: `"SAME"`, `"VALID"` or `[lo, hi]` per spatial axis. */
export type Padding = "SAME" | "VALID" | ReadonlyArray<readonly [number, number]>

/** Options of `Conv`. */
export interface ConvOptions {
  /** Steps between windows (default 1). */
  readonly strides?: number | ReadonlyArray<number>
  /** Default `"VALID"`. */
  readonly padding?: Padding
  /** Spacing of the kernel's taps (default 1). */
  readonly dilation?: number | ReadonlyArray<number>
  /** Channel groups (default 1; the input channels for a depthwise convolution). */
  readonly groups?: number
  /** Initializer of the kernels (default `glorotUniform`, fans counted over the window). */
  readonly init?: Initializer
  /** Initializer of the biases (default `zeros`). */
  readonly biasInit?: Initializer
}

/** Runs `f`, renaming a `TensorError` after the layer and saying which input shape it got. */
const named = <A>(layer: string, input: Shape, f: () => A): A => {
  try {
    return f()
  } catch (e) {
    if (e instanceof T.TensorError)
      throw new T.TensorError(
        layer,
        `cannot take inputs of shape ${showShape(input)}: ${e.message}`,
      )
    throw e
  }
}

const listOf = (v: number | ReadonlyArray<number>): number[] =>
  typeof v === "number" ? [v] : [...v]

/** One entry per spatial axis of inputs of shape `s`: a single value (or `[v]`) is for every axis. */
const perAxis = (
  v: number | ReadonlyArray<number> | undefined,
  s: Shape,
): number | number[] | undefined => {
  if (v === undefined) return undefined
  const list = listOf(v)
  return list.length === 1 ? new Array<number>(Math.max(s.length - 2, 1)).fill(list[0]!) : list
}

/**
 * A convolution with `outChannels` filters of size `window` (one number per spatial axis, or one
 * for all), plus a bias per filter: `y = conv(x, w) + b`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const conv = nn.Conv(6, 5, { padding: "SAME" })
 * const [shape, { w, b }] = conv.init(T.random.key(0), [-1, 28, 28, 1])
 * shape // [-1, 28, 28, 6]; w.shape [5, 5, 1, 6]; b.shape [6]
 */
export const Conv = (
  outChannels: number,
  window: number | ReadonlyArray<number>,
  given?: ConvOptions,
): Layer<ConvParams> => {
  const name = `Conv(${outChannels}, ${JSON.stringify(window)})`
  const options = checkOptions("Conv", given, {
    strides: "integers",
    padding: (v) =>
      v === "SAME" || v === "VALID" || Array.isArray(v)
        ? undefined
        : '"SAME", "VALID" or [lo, hi] pairs',
    dilation: "integers",
    groups: "integer",
    init: "function",
    biasInit: "function",
  })
  if (!Number.isSafeInteger(outChannels) || outChannels < 1)
    throw new T.TensorError("Conv", `outChannels must be a positive integer, got ${outChannels}`)
  const groups = options.groups ?? 1
  const wInit = options.init ?? glorotUniform
  const bInit = options.biasInit ?? zeros
  const convOptions = (s: Shape): T.ConvOptions => {
    const strides = perAxis(options.strides, s)
    const dilation = perAxis(options.dilation, s)
    return {
      ...(strides === undefined ? {} : { strides }),
      padding: options.padding ?? "VALID",
      ...(dilation === undefined ? {} : { kernelDilation: dilation }),
      groups,
    }
  }
  const kernelShape = (s: Shape): number[] => {
    checkInputShape(name, s, 3)
    const d = s.length - 2
    const win = listOf(window)
    const sizes = win.length === 1 ? new Array<number>(d).fill(win[0]!) : win
    if (sizes.length !== d || !sizes.every((k) => Number.isSafeInteger(k) && k >= 1))
      throw new T.TensorError(
        name,
        `window must be a positive integer or ${d} of them for inputs of shape ${showShape(s)}`,
      )
    const inputs = s[d + 1]!
    if (inputs < 1 || inputs % groups !== 0)
      throw new T.TensorError(
        name,
        `the channels (last axis) of the input shape ${showShape(s)} must be known and divisible by groups = ${groups}`,
      )
    return [...sizes, inputs / groups, outChannels]
  }
  const outputShape = (s: Shape): Shape =>
    named(name, s, () => T.convShape(s, kernelShape(s), convOptions(s)))
  return {
    description: {
      layer: "Conv",
      outChannels,
      window: listOf(window),
      ...(options.strides === undefined ? {} : { strides: listOf(options.strides) }),
      padding: options.padding ?? "VALID",
      ...(options.dilation === undefined ? {} : { dilation: listOf(options.dilation) }),
      groups,
      ...(wInit.description === undefined ? {} : { init: wInit.description }),
      ...(bInit.description === undefined ? {} : { biasInit: bInit.description }),
    },
    outputShape,
    init(key, inputShape, initOptions) {
      const out = outputShape(inputShape)
      const dtype = checkOptions(name, initOptions, initSpec).dtype ?? "float32"
      const [kw, kb] = T.random.split(key, 2)
      return [
        out,
        { w: wInit(kw!, kernelShape(inputShape), dtype), b: bInit(kb!, [outChannels], dtype) },
      ]
    },
    apply({ w, b }, x, applyOptions) {
      checkOptions(name, applyOptions, applySpec)
      return named(name, x.shape, () => T.add(T.conv(x, w, convOptions(x.shape)), b))
    },
  }
}

/** Options of `MaxPool` and `AvgPool`. */
export interface PoolOptions {
  /** Steps between windows (default: the window, so windows tile the input). */
  readonly strides?: number | ReadonlyArray<number>
  /** Default `"VALID"`. */
  readonly padding?: Padding
}

const pool = (
  kind: "MaxPool" | "AvgPool",
  window: number | ReadonlyArray<number>,
  given: PoolOptions | undefined,
): Layer<EmptyParams> => {
  const name = `${kind}(${JSON.stringify(window)})`
  const options = checkOptions(kind, given, {
    strides: "integers",
    padding: (v) =>
      v === "SAME" || v === "VALID" || Array.isArray(v)
        ? undefined
        : '"SAME", "VALID" or [lo, hi] pairs',
  })
  const padding = options.padding ?? "VALID"
  const poolOptions = (s: Shape): T.PoolOptions => {
    const strides = perAxis(options.strides, s)
    return { ...(strides === undefined ? {} : { strides }), padding }
  }
  const f = kind === "MaxPool" ? T.maxPool : T.avgPool
  const outputShape = (s: Shape): Shape => {
    checkInputShape(name, s, 3)
    return named(name, s, () => T.poolShape(s, perAxis(window, s)!, poolOptions(s)))
  }
  return {
    description: {
      layer: kind,
      window: listOf(window),
      ...(options.strides === undefined ? {} : { strides: listOf(options.strides) }),
      padding,
    },
    outputShape,
    init: (_key, inputShape, initOptions) => {
      checkOptions(name, initOptions, initSpec)
      return [outputShape(inputShape), empty]
    },
    apply: (_params, x, applyOptions) => {
      checkOptions(name, applyOptions, applySpec)
      return named(name, x.shape, () => f(x, perAxis(window, x.shape)!, poolOptions(x.shape)))
    },
  }
}

/**
 * The maximum of each window, per channel; tied maxima share the gradient equally.
 * @example
 * import * as nn from "@fnn/nn"
 * nn.serial(nn.Conv(6, 5, { padding: "SAME" }), nn.Relu, nn.MaxPool(2)) // [-1, 28, 28, 1] → [-1, 14, 14, 6]
 */
export const MaxPool = (window: number | ReadonlyArray<number>, options?: PoolOptions) =>
  pool("MaxPool", window, options)

/**
 * The mean of each window, per channel (padding is not counted).
 * @example
 * import * as nn from "@fnn/nn"
 * nn.serial(nn.Conv(6, 5), nn.Relu, nn.AvgPool(2, { strides: 1 }))
 */
export const AvgPool = (window: number | ReadonlyArray<number>, options?: PoolOptions) =>
  pool("AvgPool", window, options)
