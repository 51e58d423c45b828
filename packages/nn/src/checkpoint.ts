/**
 * Checkpoints: a network's parameters, its architecture and (for resuming) its optimizer state in
 * one safetensors buffer that PyTorch and the Hugging Face tools can read.
 *
 * - Parameters are named by their path: `layers.0.w`, `layers.0.b`, `layers.2.w` … for a
 *   `serial` network (`w`, `b` for a lone `Dense`).
 * - `__metadata__` holds `fnn.arch` (the JSON of `describe(net)`), `fnn.inputShape` (JSON),
 *   `fnn.version`, and the caller's own string entries (`meta`).
 * - An optimizer state is stored as tensors named `opt.<path>` plus `fnn.optState`, a JSON copy
 *   of the state in which each tensor is replaced by `{ "$tensor": name }` (numbers such as
 *   update counts are kept as they are).
 *
 * `loadCheckpoint` never throws: it checks the bytes, the metadata (io-ts) and that every tensor
 * the architecture needs is there with the right shape and dtype, and nothing else is. JSON
 * entries are measured before they are parsed and descriptions are bounded (`descriptionLimits`),
 * so a hostile file costs no more to refuse than a real network costs to load.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { DType, Shape, Tensor } from "@fnn/tensor"
import type { DescriptionError, LayerDescription } from "./description.ts"
import {
  decodeDescription,
  descriptionLimits,
  maxNesting,
  renderDescriptionError,
} from "./description.ts"
import type { AnyLayer, Layer, Params } from "./layers.ts"
import { fromDescription } from "./build.ts"
import type { OptState } from "./optimizers.ts"
import type { PathSegment } from "./pytree.ts"
import { leavesOf, parameterName as nameOf, pathsOf } from "./pytree.ts"
import { checkOptions } from "./checks.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** What `saveCheckpoint` stores. */
export interface CheckpointInput {
  readonly params: Params
  /** The architecture, `describe(net)`. */
  readonly arch: LayerDescription
  /** Free-form string entries (a training recipe, a date…); keys starting `fnn.` are reserved. */
  readonly meta?: Readonly<Record<string, string>>
  /** The optimizer state, to resume training. */
  readonly optState?: OptState
  /** The input shape the network was built for (default `[-1, n]`, n the first Dense's inputs). */
  readonly inputShape?: Shape
}

/** What `loadCheckpoint` gives back. */
export interface Checkpoint {
  readonly params: Params
  readonly arch: LayerDescription
  /** The network rebuilt from `arch`: `net.apply(params, x)` runs the model. */
  readonly net: Layer
  /** The caller's metadata entries. */
  readonly meta: Readonly<Record<string, string>>
  readonly optState?: OptState
  readonly inputShape: Shape
}

/** One way the tensors of a checkpoint disagree with its architecture. */
export type TensorMismatch =
  | {
      readonly _tag: "MissingTensor"
      readonly name: string
      /** For a parameter, the shape and dtype it should have (absent for optimizer state). */
      readonly expectedShape?: Shape
      readonly expectedDtype?: DType
    }
  | {
      readonly _tag: "UnexpectedTensor"
      readonly name: string
      readonly shape: Shape
      readonly dtype: DType
    }
  | {
      readonly _tag: "WrongShape"
      readonly name: string
      readonly expected: Shape
      readonly actual: Shape
    }
  | {
      readonly _tag: "WrongDtype"
      readonly name: string
      readonly expected: DType
      readonly actual: DType
    }

/** Why bytes are not a checkpoint this package can load. */
export type CheckpointError =
  /** Not a readable safetensors buffer. */
  | { readonly _tag: "NotSafetensors"; readonly error: T.safetensors.SafetensorsError }
  /** A required `__metadata__` entry is absent. */
  | { readonly _tag: "MissingMetadata"; readonly key: string }
  /** A metadata entry that should hold JSON does not. */
  | { readonly _tag: "MetadataNotJson"; readonly key: string; readonly message: string }
  /** A metadata entry holds more JSON values, or nests them deeper, than `T.safetensors.defaultJsonLimits`. */
  | {
      readonly _tag: "MetadataTooComplex"
      readonly key: string
      readonly error: T.safetensors.JsonError
    }
  /** The checkpoint was written by a newer version of the format. */
  | { readonly _tag: "UnsupportedVersion"; readonly version: string; readonly supported: string }
  /** `fnn.arch` is JSON but not a network description. */
  | { readonly _tag: "InvalidArchitecture"; readonly error: DescriptionError }
  /** `fnn.inputShape` is not a shape the architecture accepts. */
  | { readonly _tag: "InvalidInputShape"; readonly inputShape: string; readonly reason: string }
  /** `fnn.optState` does not have the form of an optimizer state. */
  | { readonly _tag: "InvalidOptState"; readonly path: string; readonly reason: string }
  /** The tensors disagree with the architecture (every disagreement is listed). */
  | { readonly _tag: "TensorMismatch"; readonly mismatches: ReadonlyArray<TensorMismatch> }

/** The version of the layout written by `saveCheckpoint`. */
export const checkpointVersion = "1"

const keys = {
  arch: "fnn.arch",
  inputShape: "fnn.inputShape",
  optState: "fnn.optState",
  version: "fnn.version",
} as const

const optPrefix = "opt."

// -------------------------------------------------------------------------------------------
// the parameters an architecture has
// -------------------------------------------------------------------------------------------

interface Expected {
  readonly name: string
  readonly shape: Shape
}

type Segment = PathSegment

/** The root segments: a serial network's parameters are `layers.…`. */
const rootPath = (arch: LayerDescription): Segment[] => (arch.layer === "Serial" ? ["layers"] : [])

const showShape = (s: Shape): string => `[${s.join(", ")}]`

const shapesEqual = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/**
 * The names and shapes of the parameters of `arch` for inputs of `input`, and the output shape;
 * a reason when the architecture cannot take such inputs. Pure: makes no tensors.
 */
const layout = (
  arch: LayerDescription,
  input: Shape,
): E.Either<string, { readonly output: Shape; readonly expected: ReadonlyArray<Expected> }> => {
  const expected: Expected[] = []
  type S = Shape | ReadonlyArray<Shape>
  const go = (d: LayerDescription, s: S, path: Segment[]): E.Either<string, S> => {
    switch (d.layer) {
      case "Serial": {
        let shape: S = s
        for (let i = 0; i < d.layers.length; i++) {
          const r = go(d.layers[i]!, shape, [...path, i])
          if (E.isLeft(r)) return r
          shape = r.right
        }
        return E.right(shape)
      }
      case "Parallel": {
        if (!Array.isArray(s) || s.length !== d.layers.length || !s.every((x) => Array.isArray(x)))
          return E.left(
            `${nameOf(path) || "Parallel"}: parallel(${d.layers.length} layers) needs a tuple of ${d.layers.length} inputs, got ${JSON.stringify(s)}`,
          )
        const outs: Shape[] = []
        for (let i = 0; i < d.layers.length; i++) {
          const r = go(d.layers[i]!, (s as ReadonlyArray<Shape>)[i]!, [...path, i])
          if (E.isLeft(r)) return r
          outs.push(r.right as Shape)
        }
        return E.right(outs)
      }
      default: {
        // the layer itself knows its output shape and its parameters' shapes
        let out: S
        try {
          const built = fromDescription(d)
          if (E.isLeft(built)) return E.left(renderDescriptionError(built.left))
          const layer = built.right as unknown as AnyLayer
          out = layer.outputShape(s)
          for (const [name, shape] of paramShapes(d, s as Shape))
            expected.push({ name: nameOf([...path, name]), shape })
        } catch (e) {
          return E.left(`${nameOf(path) || d.layer}: ${e instanceof Error ? e.message : String(e)}`)
        }
        return E.right(out)
      }
    }
  }
  return E.chain((output: S) =>
    Array.isArray(output) && output.every((x) => Array.isArray(x))
      ? E.left(`the network gives a tuple of outputs (${JSON.stringify(output)}), not one tensor`)
      : E.right({ output: output as Shape, expected }),
  )(go(arch, input, rootPath(arch)))
}

/** The names and shapes of the parameters of one (non-combinator) layer for inputs of `s`. */
const paramShapes = (d: LayerDescription, s: Shape): ReadonlyArray<readonly [string, Shape]> => {
  const last = s[s.length - 1]!
  switch (d.layer) {
    case "Dense":
      return [
        ["w", [last, d.units]],
        ["b", [d.units]],
      ]
    case "Conv": {
      const k = s.length - 2
      const window = d.window.length === 1 ? new Array<number>(k).fill(d.window[0]!) : d.window
      return [
        ["w", [...window, last / d.groups, d.outChannels]],
        ["b", [d.outChannels]],
      ]
    }
    case "LayerNorm":
      return [
        ["scale", [last]],
        ["offset", [last]],
      ]
    default:
      return []
  }
}

/** The parameter tree of `arch` with the tensor of each name from `get`. */
const buildParams = (arch: LayerDescription, get: (name: string) => Tensor): Params => {
  const go = (d: LayerDescription, path: Segment[]): Params => {
    switch (d.layer) {
      case "Dense":
      case "Conv":
        return { w: get(nameOf([...path, "w"])), b: get(nameOf([...path, "b"])) }
      case "LayerNorm":
        return { scale: get(nameOf([...path, "scale"])), offset: get(nameOf([...path, "offset"])) }
      case "Serial":
      case "Parallel":
        return d.layers.map((l, i) => go(l, [...path, i]))
      default:
        return {}
    }
  }
  return go(arch, rootPath(arch))
}

/**
 * The name of the first Dense weight in `arch`, depth first: its rows are the network's inputs.
 * `null` when a layer before it changes what the inputs look like (a convolution, a reshape, a
 * branch): then only the saved input shape can say.
 */
const firstWeight = (arch: LayerDescription): string | undefined | null => {
  const go = (d: LayerDescription, path: Segment[]): string | undefined | null => {
    if (d.layer === "Dense") return nameOf([...path, "w"])
    if (d.layer === "Serial")
      for (let i = 0; i < d.layers.length; i++) {
        const r = go(d.layers[i]!, [...path, i])
        if (r !== undefined) return r
      }
    const opaque = ["Conv", "Reshape", "MaxPool", "AvgPool", "Parallel", "FanOut"]
    return opaque.includes(d.layer) ? null : undefined
  }
  return go(arch, rootPath(arch))
}

const isFloat = (d: DType): boolean => d !== "int32"

/** Every disagreement between `tensors` (the parameter ones) and what the layout expects. */
const compare = (
  expected: ReadonlyArray<Expected>,
  tensors: ReadonlyMap<string, Tensor>,
): TensorMismatch[] => {
  const first = expected.map((e) => tensors.get(e.name)).find((x) => x !== undefined)
  const dtype: DType = first !== undefined && isFloat(first.dtype) ? first.dtype : "float32"
  const mismatches: TensorMismatch[] = []
  const wanted = new Set(expected.map((e) => e.name))
  for (const e of expected) {
    const t = tensors.get(e.name)
    if (t === undefined)
      mismatches.push({
        _tag: "MissingTensor",
        name: e.name,
        expectedShape: e.shape,
        expectedDtype: dtype,
      })
    else if (!shapesEqual(t.shape, e.shape))
      mismatches.push({ _tag: "WrongShape", name: e.name, expected: e.shape, actual: t.shape })
    else if (t.dtype !== dtype)
      mismatches.push({ _tag: "WrongDtype", name: e.name, expected: dtype, actual: t.dtype })
  }
  for (const [name, t] of tensors)
    if (!wanted.has(name))
      mismatches.push({ _tag: "UnexpectedTensor", name, shape: t.shape, dtype: t.dtype })
  return mismatches
}

// -------------------------------------------------------------------------------------------
// optimizer state as JSON and tensors
// -------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const isPlainRecord = (x: unknown): x is Readonly<Record<string, unknown>> => {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

// Record keys starting with `$` get one more `$`, so `$tensor` / `$number` stay unambiguous.
const escapeDollar = (k: string): string => (k.startsWith("$") ? `$${k}` : k)
const unescapeDollar = (k: string): string => (k.startsWith("$") ? k.slice(1) : k)

const encodeOptState = (state: OptState, tensors: Record<string, Tensor>): Json => {
  const seen = new Set<object>()
  const go = (x: unknown, path: Segment[]): Json => {
    if (x instanceof T.Tensor) {
      const name = optPrefix + nameOf(path)
      tensors[name] = x
      return { $tensor: name }
    }
    if (typeof x === "number") return Number.isFinite(x) ? x : { $number: String(x) }
    if (x === null) return null
    if (typeof x === "object" && (Array.isArray(x) || isPlainRecord(x))) {
      if (seen.has(x))
        throw new T.TensorError(
          "saveCheckpoint",
          `optState at ${nameOf(path) || "the root"} contains a cycle`,
        )
      seen.add(x)
      const out: Json = Array.isArray(x)
        ? x.map((v, i) => go(v, [...path, i]))
        : Object.fromEntries(Object.keys(x).map((k) => [escapeDollar(k), go(x[k], [...path, k])]))
      seen.delete(x)
      return out
    }
    throw new T.TensorError(
      "saveCheckpoint",
      `optState at ${nameOf(path) || "the root"} holds ${typeof x}; a state is a tree of tensors, numbers and null`,
    )
  }
  return go(state, [])
}

/** Rebuilds a state from its JSON; `used` collects the tensor names it references. */
const decodeOptState = (
  json: unknown,
  tensors: ReadonlyMap<string, Tensor>,
  used: Set<string>,
): E.Either<CheckpointError, OptState> => {
  const fail = (path: Segment[], reason: string): E.Either<CheckpointError, never> =>
    E.left({ _tag: "InvalidOptState", path: nameOf(path), reason })
  const go = (x: unknown, path: Segment[], depth: number): E.Either<CheckpointError, OptState> => {
    if (depth > maxNesting * 4) return fail(path, `nested deeper than ${maxNesting * 4}`)
    if (typeof x === "number") return E.right(x)
    if (x === null) return E.right(null)
    if (Array.isArray(x)) {
      const out: OptState[] = []
      for (let i = 0; i < x.length; i++) {
        const r = go(x[i], [...path, i], depth + 1)
        if (E.isLeft(r)) return r
        out.push(r.right)
      }
      return E.right(out)
    }
    if (isPlainRecord(x)) {
      const ks = Object.keys(x)
      if (ks.length === 1 && ks[0] === "$tensor") {
        const name = x["$tensor"]
        if (typeof name !== "string" || !name.startsWith(optPrefix))
          return fail(
            path,
            `a tensor reference must name an "${optPrefix}…" tensor, got ${JSON.stringify(name)}`,
          )
        if (used.has(name)) return fail(path, `tensor ${JSON.stringify(name)} is referenced twice`)
        const t = tensors.get(name)
        if (t === undefined)
          return E.left({
            _tag: "TensorMismatch",
            mismatches: [{ _tag: "MissingTensor", name }],
          })
        used.add(name)
        return E.right(t)
      }
      if (ks.length === 1 && ks[0] === "$number") {
        const v = x["$number"]
        if (v === "NaN") return E.right(NaN)
        if (v === "Infinity") return E.right(Infinity)
        if (v === "-Infinity") return E.right(-Infinity)
        return fail(
          path,
          `"$number" must be "NaN", "Infinity" or "-Infinity", got ${JSON.stringify(v)}`,
        )
      }
      const out: Record<string, OptState> = {}
      for (const k of ks) {
        if (k.startsWith("$") && !k.startsWith("$$"))
          return fail([...path, k], `unknown marker ${JSON.stringify(k)}`)
        const r = go(x[k], [...path, unescapeDollar(k)], depth + 1)
        if (E.isLeft(r)) return r
        Object.defineProperty(out, unescapeDollar(k), {
          value: r.right,
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
      return E.right(out)
    }
    return fail(
      path,
      `expected a number, null, an array, a record or a tensor reference, got ${typeof x}`,
    )
  }
  return go(json, [], 0)
}

// -------------------------------------------------------------------------------------------
// saving
// -------------------------------------------------------------------------------------------

const isShape = (s: unknown): s is Shape =>
  Array.isArray(s) &&
  s.length >= 1 &&
  s.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= -1)

/**
 * A safetensors buffer holding the parameters (`layers.0.w` …), the architecture and input shape
 * as JSON in `__metadata__`, the caller's `meta` entries and, when given, the optimizer state.
 * Throws a `TensorError` when the parameters do not fit the architecture or `meta` uses a
 * reserved `fnn.` key, so whatever it writes `loadCheckpoint` reads.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const bytes = nn.saveCheckpoint({ params, arch: nn.describe(net), meta: { epochs: "20" } })
 * // write bytes to model.safetensors
 */
export const saveCheckpoint = (input: CheckpointInput): Uint8Array => {
  const op = "saveCheckpoint"
  checkOptions(op, input, {
    params: "object",
    arch: "object",
    meta: "object",
    optState: (v) => (typeof v === "object" || typeof v === "number" ? undefined : "a state"),
    inputShape: "integers",
  })
  const arch = E.getOrElseW((e: DescriptionError) => {
    throw new T.TensorError(op, renderDescriptionError(e))
  })(decodeDescription(input.arch))
  const tensors: Record<string, Tensor> = {}
  const leaves = leavesOf(input.params)
  const paths = pathsOf(input.params)
  const prefix = arch.layer === "Serial" ? "layers." : ""
  leaves.forEach((t, i) => {
    tensors[prefix + paths[i]!] = t
  })
  const first = firstWeight(arch)
  if (first === null && input.inputShape === undefined)
    throw new T.TensorError(
      op,
      "inputShape is needed for a network that starts with a convolution, a reshape or a branch",
    )
  const inputShape: Shape = input.inputShape ?? [
    -1,
    first === undefined || first === null ? 1 : (tensors[first]?.shape[0] ?? 1),
  ]
  if (!isShape(inputShape))
    throw new T.TensorError(
      op,
      `inputShape must be a non-empty array of integers ≥ -1, got ${JSON.stringify(inputShape)}`,
    )
  const lay = layout(arch, inputShape)
  if (E.isLeft(lay)) throw new T.TensorError(op, lay.left)
  const mismatches = compare(lay.right.expected, new Map(Object.entries(tensors)))
  if (mismatches.length > 0)
    throw new T.TensorError(
      op,
      `the parameters do not fit the architecture: ${renderMismatches(mismatches)}`,
    )

  const metadata: Record<string, string> = {}
  for (const [k, v] of Object.entries(input.meta ?? {})) {
    if (k.startsWith("fnn."))
      throw new T.TensorError(
        op,
        `meta key ${JSON.stringify(k)} is reserved (keys starting "fnn.")`,
      )
    if (typeof v !== "string")
      throw new T.TensorError(op, `meta ${JSON.stringify(k)} must be a string, got ${typeof v}`)
    metadata[k] = v
  }
  metadata[keys.version] = checkpointVersion
  metadata[keys.arch] = JSON.stringify(arch)
  metadata[keys.inputShape] = JSON.stringify(inputShape)
  if (input.optState !== undefined)
    metadata[keys.optState] = JSON.stringify(encodeOptState(input.optState, tensors))
  return T.safetensors.encode(tensors, metadata)
}

// -------------------------------------------------------------------------------------------
// loading
// -------------------------------------------------------------------------------------------

/** A metadata entry's JSON, parsed only once it is known to be of a reasonable size. */
const parseJson = (key: string, text: string): E.Either<CheckpointError, unknown> =>
  E.mapLeft((error: T.safetensors.JsonError): CheckpointError =>
    error._tag === "NotJson"
      ? { _tag: "MetadataNotJson", key, message: error.message }
      : { _tag: "MetadataTooComplex", key, error },
  )(T.safetensors.parseJson(text))

/** The number of scalars the layout asks for, refused above `descriptionLimits.parameters`. */
const checkParameters = (expected: ReadonlyArray<Expected>): E.Either<CheckpointError, void> => {
  const total = expected.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0)
  return total > descriptionLimits.parameters
    ? E.left({
        _tag: "InvalidArchitecture",
        error: {
          _tag: "TooLarge",
          what: "parameters",
          path: "",
          limit: descriptionLimits.parameters,
          actual: total,
        },
      })
    : E.right(undefined)
}

const shownJson = (text: string): string => {
  const chars = Array.from(text.slice(0, 64))
  return chars.length > 40 ? `${chars.slice(0, 37).join("")}...` : chars.join("")
}

/**
 * Reads a checkpoint written by `saveCheckpoint`: the parameters as the tree `net.init` makes,
 * the architecture (checked with io-ts) and the network rebuilt from it, the caller's metadata
 * and, if saved, the optimizer state. Never throws: damaged or inconsistent bytes give a
 * `CheckpointError` (see `renderCheckpointError`).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as E from "fp-ts/lib/Either.js"
 * const r = nn.loadCheckpoint(bytes)
 * if (E.isLeft(r)) console.error(nn.renderCheckpointError(r.left))
 * else r.right.net.apply(r.right.params, x) // predicts exactly as before saving
 */
export const loadCheckpoint = (bytes: Uint8Array): E.Either<CheckpointError, Checkpoint> => {
  const file = T.safetensors.decode(bytes)
  if (E.isLeft(file)) return E.left({ _tag: "NotSafetensors", error: file.left })
  const { tensors, metadata } = file.right
  const get = (k: string): string | undefined =>
    Object.hasOwn(metadata, k) ? metadata[k] : undefined

  const version = get(keys.version)
  if (version !== undefined && version !== checkpointVersion)
    return E.left({ _tag: "UnsupportedVersion", version, supported: checkpointVersion })

  const archText = get(keys.arch)
  if (archText === undefined) return E.left({ _tag: "MissingMetadata", key: keys.arch })
  const archJson = parseJson(keys.arch, archText)
  if (E.isLeft(archJson)) return archJson
  const arch = decodeDescription(archJson.right)
  if (E.isLeft(arch)) return E.left({ _tag: "InvalidArchitecture", error: arch.left })

  const paramTensors = new Map<string, Tensor>()
  const optTensors = new Map<string, Tensor>()
  for (const name of Object.keys(tensors))
    (name.startsWith(optPrefix) ? optTensors : paramTensors).set(name, tensors[name]!)

  let inputShape: Shape
  const shapeText = get(keys.inputShape)
  if (shapeText !== undefined) {
    const json = parseJson(keys.inputShape, shapeText)
    if (E.isLeft(json)) return json
    if (!isShape(json.right))
      return E.left({
        _tag: "InvalidInputShape",
        inputShape: shownJson(shapeText),
        reason: "expected a non-empty array of integers ≥ -1",
      })
    inputShape = json.right
  } else {
    // a checkpoint from elsewhere: the first weight says how many inputs there are
    const first = firstWeight(arch.right)
    const w = first === undefined || first === null ? undefined : paramTensors.get(first)
    if (first === null || (first !== undefined && (w === undefined || w.rank !== 2)))
      return E.left({ _tag: "MissingMetadata", key: keys.inputShape })
    inputShape = [-1, w === undefined ? 1 : w.shape[0]!]
  }
  const lay = layout(arch.right, inputShape)
  if (E.isLeft(lay))
    return E.left({
      _tag: "InvalidInputShape",
      inputShape: JSON.stringify(inputShape),
      reason: lay.left,
    })
  const sized = checkParameters(lay.right.expected)
  if (E.isLeft(sized)) return sized

  const mismatches = compare(lay.right.expected, paramTensors)

  let optState: OptState | undefined
  const stateText = get(keys.optState)
  const used = new Set<string>()
  if (stateText !== undefined) {
    const json = parseJson(keys.optState, stateText)
    if (E.isLeft(json)) return json
    const decoded = decodeOptState(json.right, optTensors, used)
    if (E.isLeft(decoded)) {
      if (decoded.left._tag !== "TensorMismatch") return decoded
      mismatches.push(...decoded.left.mismatches)
    } else optState = decoded.right
  }
  for (const [name, t] of optTensors)
    if (!used.has(name))
      mismatches.push({ _tag: "UnexpectedTensor", name, shape: t.shape, dtype: t.dtype })
  if (mismatches.length > 0) return E.left({ _tag: "TensorMismatch", mismatches })

  const net = fromDescription(arch.right)
  if (E.isLeft(net)) return E.left({ _tag: "InvalidArchitecture", error: net.left })
  const params = buildParams(arch.right, (name) => paramTensors.get(name)!)
  const meta: Record<string, string> = {}
  for (const k of Object.keys(metadata))
    if (!k.startsWith("fnn."))
      Object.defineProperty(meta, k, {
        value: metadata[k],
        enumerable: true,
        writable: true,
        configurable: true,
      })
  return E.right({
    params,
    arch: arch.right,
    net: net.right,
    meta,
    inputShape,
    ...(optState === undefined ? {} : { optState }),
  })
}

// -------------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------------

const shownMismatches = 4

const renderMismatch = (m: TensorMismatch): string => {
  const n = JSON.stringify(m.name)
  switch (m._tag) {
    case "MissingTensor":
      return m.expectedShape === undefined
        ? `tensor ${n}, referenced by the optimizer state, is missing`
        : `tensor ${n} is missing (expected ${m.expectedDtype ?? "float32"} ${showShape(m.expectedShape)})`
    case "UnexpectedTensor":
      return `tensor ${n} (${m.dtype} ${showShape(m.shape)}) is not part of the model`
    case "WrongShape":
      return `tensor ${n} has shape ${showShape(m.actual)} but the architecture needs ${showShape(m.expected)}`
    case "WrongDtype":
      return `tensor ${n} is ${m.actual} but the other parameters are ${m.expected}`
  }
}

const renderMismatches = (ms: ReadonlyArray<TensorMismatch>): string => {
  const shown = ms.slice(0, shownMismatches).map(renderMismatch)
  const more = ms.length - shown.length
  return `${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`
}

/**
 * One sentence about a `CheckpointError` for people, naming the tensor, key or field at fault.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.renderCheckpointError({ _tag: "TensorMismatch", mismatches: [
 *   { _tag: "WrongShape", name: "layers.0.w", expected: [784, 16], actual: [784, 32] },
 * ] })
 * // 'the checkpoint does not match its architecture: tensor "layers.0.w" has shape [784, 32] but the architecture needs [784, 16]'
 */
export const renderCheckpointError = (e: CheckpointError): string => {
  switch (e._tag) {
    case "NotSafetensors":
      return `not a safetensors checkpoint: ${T.safetensors.renderSafetensorsError(e.error)}`
    case "MissingMetadata":
      return `the checkpoint has no ${JSON.stringify(e.key)} entry in its __metadata__ (was it written by fnn?)`
    case "MetadataNotJson":
      return `the __metadata__ entry ${JSON.stringify(e.key)} is not valid JSON: ${e.message}`
    case "MetadataTooComplex":
      return `the __metadata__ entry ${JSON.stringify(e.key)} is too large to parse: ${T.safetensors.renderJsonError(e.error)}`
    case "UnsupportedVersion":
      return `the checkpoint has format version ${JSON.stringify(e.version)}; this version of fnn reads ${JSON.stringify(e.supported)}`
    case "InvalidArchitecture":
      return `the checkpoint's architecture is invalid: ${renderDescriptionError(e.error)}`
    case "InvalidInputShape":
      return `the checkpoint's input shape ${e.inputShape} does not fit: ${e.reason}`
    case "InvalidOptState":
      return `the checkpoint's optimizer state is invalid at ${e.path === "" ? "the root" : e.path}: ${e.reason}`
    case "TensorMismatch":
      return `the checkpoint does not match its architecture: ${renderMismatches(e.mismatches)}`
  }
}
