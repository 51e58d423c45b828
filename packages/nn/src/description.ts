/**
 * Networks as JSON: the description of every built-in layer, and a decoder (io-ts) that checks
 * untrusted JSON against it without ever throwing. `describe` and `fromDescription` (in
 * `layers.ts`) turn layers into descriptions and back.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as t from "io-ts"
import type { InitializerDescription } from "./initializers.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** The names of the layers that have no options and no parameters. */
export type SimpleLayerName = "Sigmoid" | "Relu" | "Tanh" | "Softmax" | "LogSoftmax" | "Flatten"

/**
 * A JSON description of a network built from the layers of this package: enough to rebuild it
 * with `fromDescription` (parameters are not part of it). `init` and `biasInit` of a `Dense` are
 * present when they are named initializers of this package.
 */
export type LayerDescription =
  | {
      readonly layer: "Dense"
      readonly units: number
      readonly init?: InitializerDescription
      readonly biasInit?: InitializerDescription
    }
  | { readonly layer: SimpleLayerName }
  | { readonly layer: "LeakyRelu"; readonly slope: number }
  | { readonly layer: "Dropout"; readonly rate: number }
  | { readonly layer: "Serial"; readonly layers: ReadonlyArray<LayerDescription> }
  | {
      readonly layer: "Conv"
      readonly outChannels: number
      readonly window: ReadonlyArray<number>
      readonly strides?: ReadonlyArray<number>
      readonly padding: PaddingDescription
      readonly dilation?: ReadonlyArray<number>
      readonly groups: number
      readonly init?: InitializerDescription
      readonly biasInit?: InitializerDescription
    }
  | {
      readonly layer: "MaxPool" | "AvgPool"
      readonly window: ReadonlyArray<number>
      readonly strides?: ReadonlyArray<number>
      readonly padding: PaddingDescription
    }
  | { readonly layer: "Reshape"; readonly shape: ReadonlyArray<number> }
  | { readonly layer: "LayerNorm"; readonly epsilon: number }
  | { readonly layer: "Identity" | "FanInSum" }
  | { readonly layer: "FanOut"; readonly n: number }
  | { readonly layer: "FanInConcat"; readonly axis: number }
  | { readonly layer: "Parallel"; readonly layers: ReadonlyArray<LayerDescription> }

/** Padding of a window in a description: `"SAME"`, `"VALID"` or `[lo, hi]` per spatial axis. */
export type PaddingDescription = "SAME" | "VALID" | ReadonlyArray<readonly [number, number]>

/** One place where a description does not have the expected form. */
export interface DescriptionProblem {
  /** Where, e.g. `layers[2].units` (empty for the top level). */
  readonly path: string
  /** What was expected there, e.g. `positive integer`. */
  readonly expected: string
  /** What was found, as shortened JSON; `nothing` when the field is missing. */
  readonly actual: string
}

/** What a description may ask for, bounded so that a hostile one costs no more than a real network. */
export type DescriptionLimit = "layers" | "units" | "parameters"

/** Why some JSON is not a network description. */
export type DescriptionError =
  /**
   * The JSON does not have the form of a description: the first problems found, with their
   * paths, and how many there were in all.
   */
  | {
      readonly _tag: "InvalidDescription"
      readonly problems: ReadonlyArray<DescriptionProblem>
      readonly total: number
    }
  /** `Serial` layers are nested deeper than `limit`. */
  | { readonly _tag: "NestedTooDeep"; readonly path: string; readonly limit: number }
  /**
   * The description asks for more `what` than `limit` (see `descriptionLimits`): `actual` is the
   * number asked for at `path`, or absent when counting stopped at the limit.
   */
  | {
      readonly _tag: "TooLarge"
      readonly what: DescriptionLimit
      readonly path: string
      readonly limit: number
      readonly actual?: number
    }

/** How deep `Serial` layers may nest in a description that is decoded. */
export const maxNesting = 64

/**
 * The most a decoded description may ask for: layers in all (each `Serial` counts as one), units
 * of one `Dense`, and parameters (checked where the input shape is known, as `loadCheckpoint`
 * does). Well above the networks this package is for; well below what would take minutes or
 * gigabytes to build.
 */
export const descriptionLimits: { readonly [K in DescriptionLimit]: number } = {
  layers: 1024,
  units: 1_048_576,
  parameters: 100_000_000,
}

// -------------------------------------------------------------------------------------------
// codecs
// -------------------------------------------------------------------------------------------

const refined = <A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(
    name,
    is,
    (u, c) => (is(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  )

const positiveInteger = refined(
  "positive integer",
  (u): u is number => typeof u === "number" && Number.isSafeInteger(u) && u > 0,
)

const finiteNumber = refined(
  "finite number",
  (u): u is number => typeof u === "number" && Number.isFinite(u),
)
const nonNegativeNumber = refined(
  "finite number ≥ 0",
  (u): u is number => typeof u === "number" && Number.isFinite(u) && u >= 0,
)
const positiveNumber = refined(
  "finite number > 0",
  (u): u is number => typeof u === "number" && Number.isFinite(u) && u > 0,
)
const dropoutRate = refined(
  "number in [0, 1)",
  (u): u is number => typeof u === "number" && u >= 0 && u < 1,
)

const positiveIntegers = refined(
  "non-empty array of positive integers",
  (u): u is number[] =>
    Array.isArray(u) &&
    u.length > 0 &&
    u.every((d) => Number.isSafeInteger(d) && (d as number) > 0),
)
const targetShape = refined(
  "non-empty array of positive integers and at most one -1",
  (u): u is number[] =>
    Array.isArray(u) &&
    u.length > 0 &&
    u.every((d) => Number.isSafeInteger(d) && ((d as number) > 0 || d === -1)) &&
    u.filter((d) => d === -1).length <= 1,
)
const padding = refined(
  '"SAME", "VALID" or [lo, hi] pairs of integers',
  (u): u is PaddingDescription =>
    u === "SAME" ||
    u === "VALID" ||
    (Array.isArray(u) &&
      u.every(
        (p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isSafeInteger(n)),
      )),
)
const integer = refined("integer", (u): u is number => Number.isSafeInteger(u))

const initializerFields = {
  glorotUniform: {},
  glorotNormal: {},
  heNormal: {},
  heUniform: {},
  lecunNormal: {},
  lecunUniform: {},
  zeros: {},
  ones: {},
  normal: { std: nonNegativeNumber },
  uniform: { scale: positiveNumber },
  constant: { value: finiteNumber },
} satisfies Record<InitializerDescription["name"], t.Props>

const layerFields = {
  Dense: { units: positiveInteger },
  Sigmoid: {},
  Relu: {},
  Tanh: {},
  Softmax: {},
  LogSoftmax: {},
  Flatten: {},
  LeakyRelu: { slope: finiteNumber },
  Dropout: { rate: dropoutRate },
  Conv: {
    outChannels: positiveInteger,
    window: positiveIntegers,
    padding,
    groups: positiveInteger,
  },
  MaxPool: { window: positiveIntegers, padding },
  AvgPool: { window: positiveIntegers, padding },
  Reshape: { shape: targetShape },
  LayerNorm: { epsilon: positiveNumber },
  Identity: {},
  FanInSum: {},
  FanOut: { n: positiveInteger },
  FanInConcat: { axis: integer },
} satisfies Record<Exclude<LayerDescription["layer"], "Serial" | "Parallel">, t.Props>

/** Fields a layer may leave out, with their codecs (initializers are decoded apart). */
const optionalFields: Partial<Record<keyof typeof layerFields, t.Props>> = {
  Conv: { strides: positiveIntegers, dilation: positiveIntegers },
  MaxPool: { strides: positiveIntegers },
  AvgPool: { strides: positiveIntegers },
}

/** The layers whose weights may name their initializers. */
const withInitializers: ReadonlyArray<string> = ["Dense", "Conv"]

const oneOf = (names: ReadonlyArray<string>): string =>
  `one of ${names.map((n) => `"${n}"`).join(", ")}`

const shown = (u: unknown): string => {
  if (u === undefined) return "nothing"
  let s: string | undefined
  try {
    s = JSON.stringify(u)
  } catch {
    return Array.isArray(u) ? "a deeply nested array" : typeof u
  }
  if (s === undefined) return typeof u
  const chars = Array.from(s.slice(0, 64))
  return chars.length > 40 ? `${chars.slice(0, 37).join("")}...` : chars.join("")
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const join = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`)

/** How many problems an `InvalidDescription` keeps; the rest are only counted. */
const keptProblems = 20

/** The problems found so far: the first `keptProblems` of them, and how many in all. */
interface Problems {
  readonly kept: DescriptionProblem[]
  total: number
  /** Layers seen so far, `Serial` ones included. */
  layers: number
}

const problem = (problems: Problems, path: string, expected: string, actual: unknown): void => {
  problems.total++
  if (problems.kept.length < keptProblems)
    problems.kept.push({ path, expected, actual: shown(actual) })
}

/** Checks `value` against the tag field, the `fields` codecs, and refuses unknown keys. */
const checkFields = (
  value: Record<string, unknown>,
  path: string,
  tag: string,
  fields: t.Props,
  optional: ReadonlyArray<string>,
  problems: Problems,
): boolean => {
  const before = problems.total
  for (const [name, codec] of Object.entries(fields)) {
    const r = codec.decode(value[name])
    if (E.isLeft(r)) problem(problems, join(path, name), codec.name, value[name])
  }
  // own fields only: `constructor`, `toString` and `__proto__` are no fields of a layer
  for (const name of Object.keys(value))
    if (name !== tag && !Object.hasOwn(fields, name) && !optional.includes(name))
      problem(problems, join(path, name), "no such field", value[name])
  return problems.total === before
}

const decodeInitializer = (
  u: unknown,
  path: string,
  problems: Problems,
): InitializerDescription | undefined => {
  if (!isRecord(u)) return (problem(problems, path, "initializer object { name, … }", u), undefined)
  const name = u["name"]
  const names = Object.keys(initializerFields)
  if (typeof name !== "string" || !Object.hasOwn(initializerFields, name))
    return (problem(problems, join(path, "name"), oneOf(names), name), undefined)
  const fields: t.Props = initializerFields[name as InitializerDescription["name"]]
  if (!checkFields(u, path, "name", fields, [], problems)) return undefined
  return { ...u } as unknown as InitializerDescription
}

const decodeLayer = (
  u: unknown,
  path: string,
  depth: number,
  problems: Problems,
): E.Either<DescriptionError, LayerDescription | undefined> => {
  if (depth > maxNesting) return E.left({ _tag: "NestedTooDeep", path, limit: maxNesting })
  problems.layers++
  if (problems.layers > descriptionLimits.layers)
    return E.left({ _tag: "TooLarge", what: "layers", path, limit: descriptionLimits.layers })
  if (!isRecord(u))
    return (problem(problems, path, "layer object { layer, … }", u), E.right(undefined))
  const tag = u["layer"]
  const tags = [...Object.keys(layerFields), "Serial", "Parallel"]
  if (typeof tag !== "string" || !tags.includes(tag))
    return (problem(problems, join(path, "layer"), oneOf(tags), tag), E.right(undefined))

  if (tag === "Serial" || tag === "Parallel") {
    const layers = u["layers"]
    checkFields(u, path, "layer", {}, ["layers"], problems)
    if (!Array.isArray(layers))
      return (
        problem(problems, join(path, "layers"), "array of layers", layers),
        E.right(undefined)
      )
    // refused before any element is looked at: a list of ten million layers costs nothing
    if (problems.layers + layers.length > descriptionLimits.layers)
      return E.left({
        _tag: "TooLarge",
        what: "layers",
        path: join(path, "layers"),
        limit: descriptionLimits.layers,
        actual: problems.layers + layers.length,
      })
    const out: LayerDescription[] = []
    for (let i = 0; i < layers.length; i++) {
      const r = decodeLayer(layers[i], `${join(path, "layers")}[${i}]`, depth + 1, problems)
      if (E.isLeft(r)) return r
      if (r.right !== undefined) out.push(r.right)
    }
    return E.right(out.length === layers.length ? { layer: tag, layers: out } : undefined)
  }

  const fields: t.Props = layerFields[tag as keyof typeof layerFields]
  const maybe: t.Props = optionalFields[tag as keyof typeof layerFields] ?? {}
  const inits = withInitializers.includes(tag) ? ["init", "biasInit"] : []
  let ok = checkFields(u, path, "layer", fields, [...inits, ...Object.keys(maybe)], problems)
  for (const [name, codec] of Object.entries(maybe))
    if (u[name] !== undefined && E.isLeft(codec.decode(u[name]))) {
      problem(problems, join(path, name), codec.name, u[name])
      ok = false
    }
  // a Dense layer's units and a convolution's output channels are both widths
  const widthField = tag === "Dense" ? "units" : tag === "Conv" ? "outChannels" : undefined
  const asked = widthField === undefined ? undefined : u[widthField]
  if (
    ok &&
    widthField !== undefined &&
    typeof asked === "number" &&
    asked > descriptionLimits.units
  )
    return E.left({
      _tag: "TooLarge",
      what: "units",
      path: join(path, widthField),
      limit: descriptionLimits.units,
      actual: asked,
    })
  const out: Record<string, unknown> = { ...u }
  for (const name of inits) {
    if (u[name] === undefined) continue
    const init = decodeInitializer(u[name], join(path, name), problems)
    if (init === undefined) ok = false
    else out[name] = init
  }
  return E.right(ok ? (out as unknown as LayerDescription) : undefined)
}

/**
 * Checks that `u` (parsed JSON) describes a network of this package's layers. Never throws;
 * lists every problem it finds, with its path.
 *
 * @example
 * import { decodeDescription } from "@fnn/nn"
 * decodeDescription({ layer: "Serial", layers: [{ layer: "Dense", units: 16 }, { layer: "Sigmoid" }] })
 * // right
 * decodeDescription({ layer: "Dense", units: -1 })
 * // left: InvalidDescription at units: expected positive integer but found -1
 */
export const decodeDescription = (u: unknown): E.Either<DescriptionError, LayerDescription> => {
  const problems: Problems = { kept: [], total: 0, layers: 0 }
  let r: E.Either<DescriptionError, LayerDescription | undefined>
  try {
    r = decodeLayer(u, "", 0, problems)
  } catch {
    // Only an exotic input (a throwing getter, a proxy) gets here: JSON never does.
    return E.left({
      _tag: "InvalidDescription",
      problems: [{ path: "", expected: "JSON", actual: "a value that cannot be read" }],
      total: 1,
    })
  }
  if (E.isLeft(r)) return r
  if (problems.total > 0 || r.right === undefined)
    return E.left({ _tag: "InvalidDescription", problems: problems.kept, total: problems.total })
  return E.right(r.right)
}

const shownProblems = 3

/**
 * One sentence about a `DescriptionError` for people.
 *
 * @example
 * import { renderDescriptionError } from "@fnn/nn"
 * renderDescriptionError({ _tag: "InvalidDescription", problems: [{ path: "layers[0].units", expected: "positive integer", actual: "0" }], total: 1 })
 * // "the network description is invalid: at layers[0].units expected positive integer but found 0"
 */
export const renderDescriptionError = (e: DescriptionError): string => {
  switch (e._tag) {
    case "InvalidDescription": {
      const parts = e.problems
        .slice(0, shownProblems)
        .map(
          (p) =>
            `at ${p.path === "" ? "the top level" : p.path} expected ${p.expected} but found ${p.actual}`,
        )
      const more = Math.max(e.total, e.problems.length) - parts.length
      return `the network description is invalid: ${parts.join("; ")}${more > 0 ? `; and ${more} more` : ""}`
    }
    case "NestedTooDeep":
      return `the network description nests Serial layers more than ${e.limit} deep (at ${e.path})`
    case "TooLarge": {
      const asked = e.actual === undefined ? `more than ${e.limit}` : String(e.actual)
      const where = e.path === "" ? "" : ` (at ${e.path})`
      return `the network description asks for ${asked} ${e.what}${where}; the limit is ${e.limit}`
    }
  }
}
