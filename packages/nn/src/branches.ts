/**
 * Branching combinators (stax's): `FanOut(n)` copies a tensor into an n-tuple, `parallel` runs
 * one layer on each element of a tuple, `FanInSum` and `FanInConcat` join a tuple back into one
 * tensor, and `Identity` passes its input on. A residual block is
 * `serial(FanOut(2), parallel(block, Identity), FanInSum)`.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Shape, Tensor } from "@fnn/tensor"
import type { AnyLayer, EmptyParams, Layer, Params, ParamsOf } from "./layers.ts"
import { checkInputShape, empty, showShape } from "./layers.ts"
import { applySpec, checkOptions, initSpec } from "./checks.ts"

type Shapes = ReadonlyArray<Shape>

const isShapeTuple = (s: unknown): s is Shapes =>
  Array.isArray(s) && s.every((x) => Array.isArray(x))

const tupleOf = (name: string, s: unknown): Shapes => {
  if (!isShapeTuple(s) || s.length === 0)
    throw new T.TensorError(
      name,
      `expects a tuple of input shapes (after FanOut), got ${JSON.stringify(s)}`,
    )
  return s
}

const tensorsOf = (name: string, x: unknown): ReadonlyArray<Tensor> => {
  if (!Array.isArray(x) || !x.every((t) => t instanceof T.Tensor))
    throw new T.TensorError(
      name,
      `expects a tuple of tensors (after FanOut), got ${x instanceof T.Tensor ? "one tensor" : typeof x}`,
    )
  return x
}

/**
 * The identity: passes its input (a tensor or a tuple) on.
 * @example nn.serial(nn.FanOut(2), nn.parallel(nn.Dense(8), nn.Identity), nn.FanInSum)
 */
export const Identity: Layer<EmptyParams> = {
  description: { layer: "Identity" },
  outputShape: (s) => s,
  init: (_key, inputShape) => [inputShape, empty],
  apply: (_params, x) => x,
}

/**
 * `n` copies of its input, as a tuple.
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.FanOut(2).outputShape([-1, 8]) // [[-1, 8], [-1, 8]]
 */
export const FanOut = (n: number): Layer<EmptyParams, Tensor, ReadonlyArray<Tensor>> => {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new T.TensorError("FanOut", `n must be a positive integer, got ${n}`)
  const outputShape = (s: Shape): Shapes => {
    checkInputShape(`FanOut(${n})`, s, 0)
    return new Array<Shape>(n).fill(s)
  }
  return {
    description: { layer: "FanOut", n },
    outputShape,
    init: (_key, inputShape) => [outputShape(inputShape), empty],
    apply: (_params, x) => new Array<Tensor>(n).fill(x),
  }
}

/**
 * The elementwise sum of a tuple of tensors of one shape.
 * @example nn.serial(nn.FanOut(2), nn.parallel(nn.Dense(8), nn.Identity), nn.FanInSum)
 */
export const FanInSum: Layer<EmptyParams, ReadonlyArray<Tensor>, Tensor> = (() => {
  const outputShape = (s: Shapes): Shape => {
    const shapes = tupleOf("FanInSum", s)
    const first = shapes[0]!
    shapes.forEach((x, i) => {
      if (x.length !== first.length || x.some((d, k) => d !== first[k]))
        throw new T.TensorError(
          "FanInSum",
          `all inputs must have one shape: input 0 is ${showShape(first)}, input ${i} is ${showShape(x)}`,
        )
    })
    return first
  }
  return {
    description: { layer: "FanInSum" },
    outputShape,
    init: (_key, inputShape) => [outputShape(inputShape), empty],
    apply: (_params, x) => tensorsOf("FanInSum", x).reduce((a, b) => T.add(a, b)),
  }
})()

/**
 * Joins a tuple of tensors along `axis` (default -1, the channels); the other sizes must agree.
 * @example nn.serial(nn.FanOut(2), nn.parallel(nn.Conv(4, 1), nn.Conv(4, 3, { padding: "SAME" })), nn.FanInConcat())
 */
export const FanInConcat = (axis = -1): Layer<EmptyParams, ReadonlyArray<Tensor>, Tensor> => {
  if (!Number.isSafeInteger(axis))
    throw new T.TensorError("FanInConcat", `axis must be an integer, got ${axis}`)
  const name = `FanInConcat(${axis})`
  const outputShape = (s: Shapes): Shape => {
    const shapes = tupleOf(name, s)
    const first = shapes[0]!
    const a = axis < 0 ? axis + first.length : axis
    if (a < 0 || a >= first.length)
      throw new T.TensorError(
        name,
        `axis ${axis} is out of range for input 0 of shape ${showShape(first)}`,
      )
    shapes.forEach((x, i) => {
      if (x.length !== first.length || x.some((d, k) => k !== a && d !== first[k]))
        throw new T.TensorError(
          name,
          `inputs must agree on every axis but ${axis}: input 0 is ${showShape(first)}, input ${i} is ${showShape(x)}`,
        )
    })
    return first.map((d, k) => (k === a ? shapes.reduce((n, x) => n + x[k]!, 0) : d))
  }
  return {
    description: { layer: "FanInConcat", axis },
    outputShape,
    init: (_key, inputShape) => [outputShape(inputShape), empty],
    apply: (_params, x) => {
      const xs = tensorsOf(name, x)
      return T.concat(xs, axis < 0 ? axis + xs[0]!.rank : axis)
    },
  }
}

/** The parameters of `parallel(...layers)`: one entry per layer. */
export type ParallelParams<Ls extends ReadonlyArray<AnyLayer>> = {
  readonly [K in keyof Ls]: ParamsOf<Ls[K]>
}

/**
 * One layer per element of a tuple: element `i` goes through `layers[i]`. `init` splits the key
 * per layer, as `serial` does.
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const residual = nn.serial(nn.FanOut(2), nn.parallel(nn.serial(nn.Dense(8), nn.Relu), nn.Identity), nn.FanInSum)
 * const [shape] = residual.init(T.random.key(0), [-1, 8]) // [-1, 8]
 */
export const parallel = <const Ls extends ReadonlyArray<AnyLayer>>(
  ...layers: Ls
): Layer<ParallelParams<Ls> & Params, ReadonlyArray<Tensor>, ReadonlyArray<Tensor>> => {
  const n = layers.length
  const name = `parallel(${n} layers)`
  const checked = (s: unknown): Shapes => {
    const shapes = tupleOf(name, s)
    if (shapes.length !== n)
      throw new T.TensorError(
        name,
        `expects a tuple of ${n} inputs, got ${shapes.length}: ${JSON.stringify(s)}`,
      )
    return shapes
  }
  const layer: AnyLayer = {
    description: { layer: "Parallel", layers: layers.map((l) => l.description) },
    outputShape: (s) => checked(s).map((x, i) => layers[i]!.outputShape(x) as Shape),
    init(key, inputShape, given) {
      const options = checkOptions("parallel.init", given, initSpec)
      const shapes = checked(inputShape)
      const keys = n === 0 ? [] : T.random.split(key, n)
      const outs: Shape[] = []
      const params: Params[] = []
      layers.forEach((l, i) => {
        const [out, p] = l.init(keys[i]!, shapes[i]!, options)
        outs.push(out as Shape)
        params.push(p)
      })
      return [outs, params]
    },
    apply(params, x, given) {
      const options = checkOptions("parallel.apply", given, applySpec)
      const xs = tensorsOf(name, x)
      const ps = params as unknown as ReadonlyArray<Params>
      if (xs.length !== n || !Array.isArray(params) || ps.length !== n)
        throw new T.TensorError(
          name,
          `expects ${n} inputs and ${n} parameters, got ${xs.length} inputs`,
        )
      const { key } = options
      const train = options.train ?? key !== undefined
      const keys = key === undefined || n === 0 ? undefined : T.random.split(key, n)
      return xs.map((xi, i) => {
        const k = keys?.[i]
        return layers[i]!.apply(
          ps[i]!,
          xi,
          k === undefined ? { train } : { key: k, train },
        ) as Tensor
      })
    },
  }
  return layer as unknown as Layer<
    ParallelParams<Ls> & Params,
    ReadonlyArray<Tensor>,
    ReadonlyArray<Tensor>
  >
}
