/**
 * JSON from untrusted files, parsed only once a linear scan has shown it is small enough in the
 * two ways that make `JSON.parse` expensive: how many values it holds and how deeply they nest.
 * A text of a million `{}` is a few megabytes but costs the parser far more memory and time
 * than its length suggests; the scan refuses it before a single object is made.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { checkOptions } from "../options.ts"

/** How much a JSON text may ask of the parser. */
export interface JsonLimits {
  /** The most values (objects, arrays, strings, numbers, literals; keys count too) it may hold. */
  readonly values: number
  /** The deepest nesting of objects and arrays. */
  readonly depth: number
}

/** Why a text was not parsed as JSON. */
export type JsonError =
  /** It holds more than `limit` values; the scan stopped counting there. */
  | { readonly _tag: "TooManyValues"; readonly limit: number }
  /** Objects and arrays nest deeper than `limit`; `offset` is where the scan went past it. */
  | { readonly _tag: "TooDeep"; readonly limit: number; readonly offset: number }
  /** It is not JSON; `message` is the parser's. */
  | { readonly _tag: "NotJson"; readonly message: string }

/**
 * The limits used unless others are given: far above any header or description fnn writes (a
 * 1,024-layer network, 100,000 epochs of history), far below what exhausts memory.
 */
export const defaultJsonLimits: JsonLimits = { values: 1_000_000, depth: 512 }

const quote = 0x22
const backslash = 0x5c
const comma = 0x2c
const colon = 0x3a
const openBrace = 0x7b
const openBracket = 0x5b
const closeBrace = 0x7d
const closeBracket = 0x5d

const isValueStart = (c: number): boolean =>
  c === quote ||
  c === openBrace ||
  c === openBracket ||
  c === 0x2d ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x74 ||
  c === 0x66 ||
  c === 0x6e

/**
 * Counts the values and the nesting of the text whose `length` code units `codeAt` gives,
 * without building anything: a value (or key) starts at a quote, a bracket, a digit, a minus or
 * a literal's first letter, at the top or after `{`, `[`, `,` or `:`, outside strings. Only
 * ASCII matters, so UTF-8 bytes scan as their text does. Malformed text is left for the parser.
 */
const scan = (
  length: number,
  codeAt: (i: number) => number,
  limits: JsonLimits,
): JsonError | undefined => {
  let values = 0
  let depth = 0
  let expectingValue = true
  for (let i = 0; i < length; i++) {
    const c = codeAt(i)
    if (c <= 0x20) continue
    if (expectingValue && isValueStart(c)) {
      values++
      if (values > limits.values) return { _tag: "TooManyValues", limit: limits.values }
      expectingValue = false
    }
    if (c === quote) {
      // skip to the closing quote; an escaped character is never the end
      for (i++; i < length; i++) {
        const d = codeAt(i)
        if (d === backslash) i++
        else if (d === quote) break
      }
    } else if (c === openBrace || c === openBracket) {
      depth++
      if (depth > limits.depth) return { _tag: "TooDeep", limit: limits.depth, offset: i }
      expectingValue = true
    } else if (c === closeBrace || c === closeBracket) depth--
    else if (c === comma || c === colon) expectingValue = true
  }
  return undefined
}

/** The limits asked for, checked as options, with `defaultJsonLimits` for those left out. */
const limitsOf = (op: string, limits: Partial<JsonLimits> | undefined): JsonLimits => ({
  ...defaultJsonLimits,
  ...checkOptions(op, limits, { values: "integer", depth: "integer" }),
})

/**
 * Measures JSON still in UTF-8 bytes, before it is decoded: the problem `parseJson` would report
 * for its size or nesting, or `undefined` (an offset counts bytes, not characters).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.safetensors.measureJson(Uint8Array.of(0x5b, 0x5b, 0x5d, 0x5d), { values: 10, depth: 1 })
 * // { _tag: "TooDeep", limit: 1, offset: 1 }
 */
export const measureJson = (
  bytes: Uint8Array,
  limits?: Partial<JsonLimits>,
): Exclude<JsonError, { readonly _tag: "NotJson" }> | undefined =>
  scan(bytes.length, (i) => bytes[i]!, limitsOf("safetensors.measureJson", limits)) as
    Exclude<JsonError, { readonly _tag: "NotJson" }> | undefined

/**
 * Parses `text` as JSON after checking that it holds at most `limits.values` values nested at
 * most `limits.depth` deep (object keys count as values); limits left out are the defaults. Never
 * throws for any text; limits that are not integers are a programmer error (`TensorError`).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.safetensors.parseJson('{"layer":"Dense","units":16}') // right({ layer: "Dense", units: 16 })
 * T.safetensors.parseJson("[" + "{},".repeat(10) + "{}]", { values: 5, depth: 8 })
 * // left({ _tag: "TooManyValues", limit: 5 })
 */
export const parseJson = (
  text: string,
  limits?: Partial<JsonLimits>,
): E.Either<JsonError, unknown> => {
  const checked = limitsOf("safetensors.parseJson", limits)
  const refused = scan(text.length, (i) => text.charCodeAt(i), checked)
  if (refused !== undefined) return E.left(refused)
  try {
    return E.right(JSON.parse(text) as unknown)
  } catch (e) {
    return E.left({ _tag: "NotJson", message: e instanceof Error ? e.message : String(e) })
  }
}

/**
 * One phrase about a `JsonError`, to follow "… is not usable JSON:" or similar.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.safetensors.renderJsonError({ _tag: "TooManyValues", limit: 1000000 })
 * // "it holds more than 1000000 JSON values"
 */
export const renderJsonError = (e: JsonError): string => {
  switch (e._tag) {
    case "TooManyValues":
      return `it holds more than ${e.limit} JSON values`
    case "TooDeep":
      return `it nests arrays and objects more than ${e.limit} deep (at character ${e.offset})`
    case "NotJson":
      return e.message
  }
}
