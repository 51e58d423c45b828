/**
 * One export rule per kind of layer: how a layer becomes ONNX nodes. The table is a mapped type
 * over the kinds of `LayerDescription`, so a new kind of layer without an entry does not
 * compile; a kind ONNX cannot express gets an `unsupported(reason)` entry, which exports as an
 * error naming the layer, never as a wrong file.
 *
 * A rule receives the layer's description, its parameters, the value coming in (name and fnn
 * shape) and its path, adds nodes through the `GraphBuilder` and returns the value going out.
 * Combinators export their inner layers through `sublayer`.
 *
 * Layers whose ONNX operator lays data out otherwise than fnn (ONNX convolutions and pooling
 * are channels-first, fnn's channels-last) keep fnn's layout at their input and output with
 * `Transpose` nodes around the operator, and convert their constant tensors (kernels) once at
 * export, so that the file takes the same inputs as `apply`.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import type { Shape, Tensor } from "@fnn/tensor"
import { Tensor as TensorClass } from "@fnn/tensor"
import type { LayerDescription } from "../description.ts"
import type { Params } from "../layers.ts"
import type { PathSegment } from "../pytree.ts"
import { parameterName } from "../pytree.ts"
import type { OnnxError } from "./errors.ts"
import type { GraphBuilder, Value } from "./graph.ts"
import type { Attribute } from "./proto.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** The kinds of layers, as their descriptions name them. */
export type LayerKind = LayerDescription["layer"]

/** The description of a layer of kind `K`. */
export type DescriptionOf<K extends LayerKind> = LayerDescription & { readonly layer: K }

/** What a rule is given. */
export interface RuleInput<K extends LayerKind> {
  readonly layer: DescriptionOf<K>
  readonly params: Params
  readonly input: Value
  /** Where the layer is, as its parameters are named: `["layers", 2]` is `layers.2`. */
  readonly path: ReadonlyArray<PathSegment>
  readonly graph: GraphBuilder
  /** Exports a layer nested in this one. */
  readonly sublayer: (
    layer: LayerDescription,
    params: Params,
    input: Value,
    path: ReadonlyArray<PathSegment>,
  ) => E.Either<OnnxError, Value>
}

/** How a layer of kind `K` becomes nodes: the value it outputs, or why it cannot. */
export type Rule<K extends LayerKind> = (input: RuleInput<K>) => E.Either<OnnxError, Value>

// -------------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------------

const showShape = (s: Shape): string => `[${s.join(", ")}]`

const mismatch = (path: ReadonlyArray<PathSegment>, reason: string): E.Either<OnnxError, never> =>
  E.left({ _tag: "ParamsMismatch", path: parameterName(path), reason })

/** A rule for a layer ONNX cannot express: exporting it is an `UnsupportedLayer` error. */
export const unsupported =
  <K extends LayerKind>(reason: string): Rule<K> =>
  ({ layer, path }) =>
    E.left({ _tag: "UnsupportedLayer", path: parameterName(path), layer: layer.layer, reason })

/** A rule for a parameter-free layer that is one ONNX operator keeping the shape. */
const elementwise =
  <K extends LayerKind>(
    opType: string,
    attributes: (d: DescriptionOf<K>) => Attribute[] = () => [],
  ): Rule<K> =>
  ({ layer, input, path, graph }) =>
    E.right({
      name: graph.node(parameterName(path), opType, [input.name], attributes(layer)),
      shape: input.shape,
    })

const lastAxis: Attribute[] = [{ name: "axis", kind: "int", value: -1 }]

/** The tensor `params[key]`, checked to have `shape`. */
const parameter = (
  params: Params,
  key: string,
  shape: Shape,
  path: ReadonlyArray<PathSegment>,
): E.Either<OnnxError, Tensor> => {
  const t =
    typeof params === "object" && !(params instanceof TensorClass) && !Array.isArray(params)
      ? (params as Readonly<Record<string, Params>>)[key]
      : undefined
  if (!(t instanceof TensorClass))
    return mismatch(path, `expected a tensor ${key} of shape ${showShape(shape)}`)
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    return mismatch(path, `${key} has shape ${showShape(t.shape)}, expected ${showShape(shape)}`)
  return E.right(t)
}

const constantOf = (graph: GraphBuilder, name: string, t: Tensor): string =>
  graph.constant({ name, type: graph.type, dims: t.shape, data: t.data })

// -------------------------------------------------------------------------------------------
// the rules
// -------------------------------------------------------------------------------------------

/**
 * `Dense`: `MatMul` by `w` (`[in, units]`, as fnn stores it: no transpose) then `Add` of `b`.
 * ONNX's `MatMul` broadcasts over leading axes, so inputs of any rank ≥ 1 work as in fnn.
 */
const dense: Rule<"Dense"> = ({ layer, params, input, path, graph }) => {
  const inputs = input.shape[input.shape.length - 1]
  if (inputs === undefined || inputs < 1)
    return mismatch(path, `Dense needs a known last axis, got inputs ${showShape(input.shape)}`)
  const scope = parameterName(path)
  return E.flatMap((w: Tensor) =>
    E.map((b: Tensor) => {
      const product = graph.node(scope, "MatMul", [
        input.name,
        constantOf(graph, parameterName([...path, "w"]), w),
      ])
      const sum = graph.node(scope, "Add", [
        product,
        constantOf(graph, parameterName([...path, "b"]), b),
      ])
      return { name: sum, shape: [...input.shape.slice(0, -1), layer.units] }
    })(parameter(params, "b", [layer.units], path)),
  )(parameter(params, "w", [inputs, layer.units], path))
}

/** `Flatten` with axis 1: ONNX's `[d0, d1·d2·…]` is fnn's. */
const flatten: Rule<"Flatten"> = ({ input, path, graph }) => {
  const rest = input.shape.slice(1)
  if (input.shape.length < 1 || rest.some((d) => d < 0))
    return mismatch(
      path,
      `Flatten needs known sizes after the first axis, got ${showShape(input.shape)}`,
    )
  return E.right({
    name: graph.node(
      parameterName(path),
      "Flatten",
      [input.name],
      [{ name: "axis", kind: "int", value: 1 }],
    ),
    shape: [input.shape[0]!, rest.reduce((a, b) => a * b, 1)],
  })
}

/** `serial`: its layers one after another, each under its index. */
const serial: Rule<"Serial"> = ({ layer, params, input, path, sublayer }) => {
  if (!Array.isArray(params) || params.length !== layer.layers.length)
    return mismatch(
      path,
      `serial of ${layer.layers.length} layers needs an array of ${layer.layers.length} parameters`,
    )
  const ps = params as ReadonlyArray<Params>
  let value: E.Either<OnnxError, Value> = E.right(input)
  layer.layers.forEach((l, i) => {
    value = E.flatMap((v: Value) => sublayer(l, ps[i]!, v, [...path, i]))(value)
  })
  return value
}

/**
 * Every kind of layer and how it exports. `Dropout` is the identity at inference and adds no
 * node; activations, `Softmax` and `LogSoftmax` (last axis, opset 13 semantics) are one
 * operator each. ONNX float attributes are float32, so a float64 network's `LeakyRelu` slope
 * is rounded to float32 (a relative difference below 3e-8 of the slope).
 */
export const rules: { readonly [K in LayerKind]: Rule<K> } = {
  Dense: dense,
  Sigmoid: elementwise("Sigmoid"),
  Relu: elementwise("Relu"),
  Tanh: elementwise("Tanh"),
  Softmax: elementwise("Softmax", () => lastAxis),
  LogSoftmax: elementwise("LogSoftmax", () => lastAxis),
  LeakyRelu: elementwise<"LeakyRelu">("LeakyRelu", (d) => [
    { name: "alpha", kind: "float", value: d.slope },
  ]),
  Flatten: flatten,
  Dropout: ({ input }) => E.right(input),
  Serial: serial,
  Identity: ({ input }) => E.right(input),
  // ONNX has these operators; their channels-first layout and constant shapes are not exported yet
  Conv: unsupported("convolutions are not exported to ONNX yet"),
  MaxPool: unsupported("max pooling is not exported to ONNX yet"),
  AvgPool: unsupported("average pooling is not exported to ONNX yet"),
  Reshape: unsupported("reshapes are not exported to ONNX yet (they need an int64 shape constant)"),
  LayerNorm: unsupported("layer normalization is not exported to ONNX yet"),
  // a graph of one input and one output: the branching layers pass tuples between layers
  Parallel: unsupported("branching layers pass tuples of tensors, which the export does not take"),
  FanOut: unsupported("branching layers pass tuples of tensors, which the export does not take"),
  FanInSum: unsupported("branching layers pass tuples of tensors, which the export does not take"),
  FanInConcat: unsupported(
    "branching layers pass tuples of tensors, which the export does not take",
  ),
}
