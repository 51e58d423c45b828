/**
 * `toOnnx`: a network and its parameters as the bytes of an ONNX model (opset 17, IR version
 * 8), for ONNX Runtime and the other engines that read ONNX. The batch axis is dynamic (named
 * `batch`), the input and output are named, the parameters are constant tensors under their
 * checkpoint names (`layers.0.w`), and the model's metadata carries the architecture
 * (`fnn.arch`), the input shape and fnn's version.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import type { DType, Shape } from "@fnn/tensor"
import { Tensor as TensorClass, TensorError } from "@fnn/tensor"
import type { OptionsSpec } from "@fnn/tensor/internal"
import { checkOptions } from "@fnn/tensor/internal"
import type { LayerDescription } from "../description.ts"
import { decodeDescription } from "../description.ts"
import type { Layer, Params } from "../layers.ts"
import type { PathSegment } from "../pytree.ts"
import { leavesOf, parameterName, pathsOf } from "../pytree.ts"
import { fnnVersion } from "../version.ts"
import type { OnnxError } from "./errors.ts"
import type { BuiltGraph, GraphBuilder, Value } from "./graph.ts"
import { buildGraph } from "./graph.ts"
import type { Dimension, ElementType, ModelValue } from "./proto.ts"
import { encodeModel } from "./proto.ts"
import type { LayerKind, Rule } from "./rules.ts"
import { rules } from "./rules.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** The ONNX operator set exported models use (the default `ai.onnx` domain). */
export const onnxOpset = 17

/** The ONNX IR version of exported models (the one that goes with opset 17). */
export const onnxIrVersion = 8

/** The name exported models give their dynamic batch axis. */
export const batchAxisName = "batch"

/** Options of `toOnnx`. */
export interface OnnxOptions {
  /**
   * The input shape, `-1` for the batch axis (default `[-1, n]`, n the inputs of the first
   * `Dense`). The first axis is always the dynamic batch axis of the file.
   */
  readonly inputShape?: Shape
  /** The graph input's name (default `input`). */
  readonly inputName?: string
  /** The graph output's name (default `output`). */
  readonly outputName?: string
  /** The model's description for people (default: the layers, e.g. `Dense(16) → Sigmoid`). */
  readonly docString?: string
  /** The model's version number (default 1). */
  readonly modelVersion?: number
  /** More metadata entries (a training recipe…); keys starting `fnn.` are reserved. */
  readonly metadata?: Readonly<Record<string, string>>
}

/** Metadata keys of exported models. */
export const onnxMetadataKeys = {
  arch: "fnn.arch",
  inputShape: "fnn.inputShape",
  version: "fnn.version",
} as const

// -------------------------------------------------------------------------------------------
// the pieces
// -------------------------------------------------------------------------------------------

/** The layers in one line: `Dense(16) → Sigmoid → Dense(10)`; nested serials in parentheses. */
export const layerSummary = (d: LayerDescription): string => {
  const go = (x: LayerDescription, nested: boolean): string => {
    if (x.layer === "Serial") {
      const inner = x.layers.map((l) => go(l, true)).join(" → ")
      return nested ? `(${inner})` : inner === "" ? "identity" : inner
    }
    const scalars = Object.entries(x)
      .filter(([k, v]) => k !== "layer" && (typeof v === "number" || typeof v === "string"))
      .map(([, v]) => String(v))
    return scalars.length === 0 ? x.layer : `${x.layer}(${scalars.join(", ")})`
  }
  return go(d, false)
}

const floatTypes: Readonly<Partial<Record<DType, ElementType>>> = {
  float32: "float32",
  float64: "float64",
}

/** The element type of the parameters: one float dtype for all (float32 when there are none). */
const elementTypeOf = (
  params: Params,
  root: ReadonlyArray<PathSegment>,
): E.Either<OnnxError, ElementType> => {
  let leaves: ReturnType<typeof leavesOf>
  let paths: string[]
  try {
    leaves = leavesOf(params)
    paths = pathsOf(params)
  } catch (e) {
    return E.left({
      _tag: "ParamsMismatch",
      path: "",
      reason: `the parameters are not a tree of tensors (${e instanceof Error ? e.message : String(e)})`,
    })
  }
  const first = leaves[0]?.dtype ?? "float32"
  for (let i = 0; i < leaves.length; i++) {
    const dtype = leaves[i]!.dtype
    if (floatTypes[dtype] === undefined || dtype !== first) {
      const name = [parameterName(root), paths[i]!].filter((s) => s !== "").join(".")
      return E.left({ _tag: "UnsupportedDtype", path: name, dtype })
    }
  }
  return E.right(floatTypes[first]!)
}

/** The inputs of the first `Dense`, depth first, from its weights. */
const firstDenseInputs = (d: LayerDescription, params: unknown): number | undefined => {
  if (d.layer === "Dense") {
    const w = isRecord(params) ? params["w"] : undefined
    return w instanceof TensorClass && w.rank === 2 ? w.shape[0] : undefined
  }
  if (d.layer === "Serial" && Array.isArray(params))
    for (let i = 0; i < d.layers.length; i++) {
      const n = firstDenseInputs(d.layers[i]!, (params as ReadonlyArray<unknown>)[i])
      if (n !== undefined) return n
    }
  return undefined
}

const inputShapeOf = (
  net: Layer,
  d: LayerDescription,
  params: Params,
  given: Shape | undefined,
): E.Either<OnnxError, Shape> => {
  const n = given === undefined ? firstDenseInputs(d, params) : undefined
  if (given === undefined && n === undefined)
    return E.left({
      _tag: "InvalidInputShape",
      reason: "the network has no Dense layer to take its input size from: give inputShape",
    })
  const shape: Shape = given ?? [-1, n!]
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    !shape.every((x, i) => Number.isSafeInteger(x) && (x >= 1 || (i === 0 && x === -1)))
  )
    return E.left({
      _tag: "InvalidInputShape",
      reason: `expected a shape of positive integers, -1 allowed for the first (batch) axis, got ${JSON.stringify(shape)}`,
    })
  try {
    net.outputShape(shape)
  } catch (e) {
    return E.left({ _tag: "InvalidInputShape", reason: e instanceof Error ? e.message : String(e) })
  }
  return E.right(shape)
}

const nonEmptyString = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? undefined : "a non-empty string"

const metadataOption = (v: unknown): string | undefined => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "a record of strings"
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") return `a record of strings (${JSON.stringify(k)} is ${typeof x})`
    if (k.startsWith("fnn."))
      return `a record of strings whose keys do not start "fnn." (reserved; got ${JSON.stringify(k)})`
  }
  return undefined
}

const optionsSpec: OptionsSpec = {
  inputShape: "integers",
  inputName: nonEmptyString,
  outputName: nonEmptyString,
  docString: "string",
  modelVersion: (v) =>
    Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : "a non-negative integer",
  metadata: metadataOption,
}

/** The options, checked: a programmer error throws a `TensorError`, as in every fnn function. */
const checkedOptions = (options: OnnxOptions | undefined): OnnxOptions => {
  const o = checkOptions("toOnnx", options, optionsSpec)
  const input = o.inputName ?? "input"
  if (input === (o.outputName ?? "output"))
    throw new TensorError(
      "toOnnx",
      `inputName and outputName must differ, both are ${JSON.stringify(input)}`,
    )
  if (o.inputShape !== undefined && !Array.isArray(o.inputShape))
    throw new TensorError(
      "toOnnx",
      `inputShape must be an array of integers, got ${String(o.inputShape)}`,
    )
  return o
}

/** The file's shape of an fnn shape: the first axis, and any `-1`, is the dynamic batch axis. */
const declared = (shape: Shape): Dimension[] =>
  shape.map((d, i) => (i === 0 || d < 0 ? batchAxisName : d))

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The path of the root layer: a serial network's parameters are `layers.…`, as in checkpoints. */
const rootPath = (arch: unknown): PathSegment[] =>
  isRecord(arch) && arch["layer"] === "Serial" ? ["layers"] : []

/**
 * The first layer, depth first, of a kind that has no export rule (a layer made outside this
 * package): checked before the description is decoded, so the error names the layer rather
 * than calling the description invalid. Inner layers are found in any field holding layers.
 */
const findUnsupported = (
  d: unknown,
  path: ReadonlyArray<PathSegment>,
): E.Either<OnnxError, void> => {
  if (!isRecord(d) || typeof d["layer"] !== "string") return E.right(undefined)
  const kind = d["layer"]
  if (!Object.hasOwn(rules, kind))
    return E.left({
      _tag: "UnsupportedLayer",
      path: parameterName(path),
      layer: kind,
      reason: "fnn has no ONNX export rule for this kind of layer",
    })
  for (const [key, v] of Object.entries(d)) {
    const children = Array.isArray(v) ? (v as ReadonlyArray<unknown>) : [v]
    for (let i = 0; i < children.length; i++) {
      // a serial's layers are named by their index alone, as their parameters are
      const at = kind === "Serial" && key === "layers" ? [...path, i] : [...path, key, i]
      const r = findUnsupported(children[i], at)
      if (E.isLeft(r)) return r
    }
  }
  return E.right(undefined)
}

const exportLayer = (
  graph: GraphBuilder,
  d: LayerDescription,
  params: Params,
  input: Value,
  path: ReadonlyArray<PathSegment>,
): E.Either<OnnxError, Value> => {
  const rule = rules[d.layer] as Rule<LayerKind>
  return rule({
    layer: d,
    params,
    input,
    path,
    graph,
    sublayer: (l, p, x, at) => exportLayer(graph, l, p, x, at),
  })
}

/** The ONNX model of a network, as a plain value (`toOnnx` encodes it). */
export const onnxModel = (
  net: Layer,
  params: Params,
  given?: OnnxOptions,
): E.Either<OnnxError, ModelValue> => {
  const options = checkedOptions(given)
  return pipe(
    E.Do,
    E.bind("arch", () =>
      pipe(
        findUnsupported(net.description, rootPath(net.description)),
        E.flatMap(() =>
          pipe(
            decodeDescription(net.description),
            E.mapLeft((error): OnnxError => ({ _tag: "InvalidArchitecture", error })),
          ),
        ),
      ),
    ),
    E.let("root", ({ arch }) => rootPath(arch)),
    E.bind("type", ({ root }) => elementTypeOf(params, root)),
    E.bind("inputShape", ({ arch }) => inputShapeOf(net, arch, params, options.inputShape)),
    E.let("inputName", () => options.inputName ?? "input"),
    E.let("outputName", () => options.outputName ?? "output"),
    E.bind("output", ({ arch, root, type, inputShape, inputName, outputName }) => {
      let shape: Shape = inputShape
      return E.map((g: BuiltGraph) => ({ graph: g, shape }))(
        buildGraph<OnnxError>(type, inputName, outputName, (graph) =>
          E.map((v: Value) => {
            shape = v.shape
            return v
          })(exportLayer(graph, arch, params, { name: inputName, shape: inputShape }, root)),
        ),
      )
    }),
    E.map(({ arch, type, inputShape, inputName, outputName, output }) => ({
      irVersion: onnxIrVersion,
      opset: onnxOpset,
      producerName: "fnn",
      producerVersion: fnnVersion,
      modelVersion: options.modelVersion ?? 1,
      docString: options.docString ?? layerSummary(arch),
      graph: {
        name: "fnn",
        nodes: output.graph.nodes,
        initializers: output.graph.initializers,
        inputs: [{ name: inputName, type, shape: declared(inputShape) }],
        outputs: [{ name: outputName, type, shape: declared(output.shape) }],
      },
      metadata: {
        ...options.metadata,
        [onnxMetadataKeys.arch]: JSON.stringify(arch),
        [onnxMetadataKeys.inputShape]: JSON.stringify(inputShape),
        [onnxMetadataKeys.version]: fnnVersion,
      },
    })),
  )
}

/**
 * The bytes of an ONNX `ModelProto` that computes `net.apply(params, x)` for inputs of
 * `options.inputShape` with any batch size. A layer ONNX cannot express, parameters that do not
 * fit the network or an input shape it cannot take give an `OnnxError` (see `renderOnnxError`);
 * only options of the wrong form throw (a `TensorError`, as in every fnn function).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * import * as E from "fp-ts/lib/Either.js"
 * const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
 * const [, params] = net.init(T.random.key(0), [-1, 784])
 * const bytes = nn.toOnnx(net, params) // right(Uint8Array): input "input" [batch, 784]
 * if (E.isLeft(bytes)) console.error(nn.renderOnnxError(bytes.left))
 */
export const toOnnx = (
  net: Layer,
  params: Params,
  options: OnnxOptions = {},
): E.Either<OnnxError, Uint8Array> => E.map(encodeModel)(onnxModel(net, params, options))
