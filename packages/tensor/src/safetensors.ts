/**
 * The safetensors format of Hugging Face: named tensors and string metadata in one buffer that
 * PyTorch, NumPy and the Hugging Face tools read and write.
 *
 * Layout: an 8-byte little-endian u64 `N`; `N` bytes of UTF-8 JSON
 * `{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, …}`
 * padded with spaces to a multiple of 8; then the data buffer, little-endian C-order elements,
 * each tensor at `data_offsets` relative to the buffer's start, the tensors tiling it exactly.
 *
 * `encode` lays files out as the reference writer does (same tensor order, same padding) and is
 * deterministic. `decode` never throws: whatever the bytes, it returns a tagged
 * `SafetensorsError` or fresh tensors that share nothing with the input.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as t from "io-ts"
import { check } from "./errors.ts"
import { isDType } from "./dtype.ts"
import type { DType, TypedArray } from "./dtype.ts"
import { isValidShape, sizeOf, showShape } from "./shape.ts"
import { Tensor, isTensor } from "./tensor.ts"
import {
  copyLittleEndian,
  readableNames,
  storedDTypes,
  storedNameOf,
  writeOrder,
} from "./safetensors/dtypes.ts"
import { isWellFormed, utf8Decode, utf8Encode } from "./safetensors/utf8.ts"
import type { JsonError } from "./safetensors/json.ts"
import { defaultJsonLimits, measureJson, parseJson, renderJsonError } from "./safetensors/json.ts"

export type { JsonError, JsonLimits } from "./safetensors/json.ts"
export { defaultJsonLimits, measureJson, parseJson, renderJsonError } from "./safetensors/json.ts"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** The contents of a safetensors buffer. Both records have a `null` prototype. */
export interface SafetensorsFile {
  readonly tensors: Record<string, Tensor>
  readonly metadata: Record<string, string>
}

/** One place where the JSON header does not have the expected shape. */
export interface HeaderProblem {
  /** Where, e.g. `["layers.0.w"].shape[1]`. */
  readonly path: string
  /** What was expected there, e.g. `non-negative integer`. */
  readonly expected: string
  /** What was found, as (shortened) JSON; `nothing` when the field is missing. */
  readonly actual: string
}

/** A `[begin, end)` byte range of the data buffer. */
export type ByteRange = readonly [begin: number, end: number]

/**
 * Why a buffer is not a safetensors file fnn can read. Byte counts and offsets are numbers of
 * bytes; `data_offsets` are relative to the data buffer that follows the header.
 */
export type SafetensorsError =
  /** Fewer than the 8 bytes of the header-length prefix. */
  | { readonly _tag: "TooShort"; readonly length: number }
  /** The header length is above `limit` (rounded when above 2^53). */
  | { readonly _tag: "HeaderTooLarge"; readonly headerLength: number; readonly limit: number }
  /** The header length runs past the end of the buffer. */
  | { readonly _tag: "HeaderTruncated"; readonly headerLength: number; readonly available: number }
  /** The header is not UTF-8: `byte` at `offset` (counted from the header's start) begins a bad sequence. */
  | { readonly _tag: "HeaderNotUtf8"; readonly offset: number; readonly byte: number }
  /** The header does not begin with `{`. */
  | { readonly _tag: "HeaderNotObject"; readonly start: string }
  /** The header is not JSON; `message` is the parser's. */
  | { readonly _tag: "HeaderNotJson"; readonly message: string }
  /** The header holds too many JSON values or nests too deeply to be parsed (`defaultJsonLimits`). */
  | {
      readonly _tag: "HeaderTooComplex"
      readonly error: Exclude<JsonError, { readonly _tag: "NotJson" }>
    }
  /** The header is JSON of the wrong shape: `total` problems, the first few of them listed. */
  | {
      readonly _tag: "HeaderInvalid"
      readonly problems: ReadonlyArray<HeaderProblem>
      readonly total: number
    }
  /** A tensor's dtype is not one fnn reads exactly. */
  | {
      readonly _tag: "UnsupportedDtype"
      readonly tensor: string
      readonly dtype: string
      readonly supported: ReadonlyArray<string>
    }
  /** A tensor's offsets are reversed or run past the data buffer. */
  | {
      readonly _tag: "BadOffsets"
      readonly tensor: string
      readonly begin: number
      readonly end: number
      readonly dataLength: number
    }
  /** A tensor's byte range does not hold `shape` elements of `dtype` (`expectedBytes` may be `Infinity`). */
  | {
      readonly _tag: "ShapeMismatch"
      readonly tensor: string
      readonly dtype: string
      readonly shape: ReadonlyArray<number>
      readonly expectedBytes: number
      readonly actualBytes: number
    }
  /** Two tensors share bytes (or an empty tensor sits inside another). */
  | {
      readonly _tag: "Overlap"
      readonly tensor: string
      readonly range: ByteRange
      readonly other: string
      readonly otherRange: ByteRange
    }
  /** Bytes `[begin, end)` of the data buffer belong to no tensor. */
  | {
      readonly _tag: "Gap"
      readonly begin: number
      readonly end: number
      readonly after: string | undefined
      readonly before: string | undefined
    }

/** The largest header `decode` accepts, as in the reference implementation (100 MB). */
export const maxHeaderLength = 100_000_000

// -------------------------------------------------------------------------------------------
// encoding
// -------------------------------------------------------------------------------------------

const encodeOp = "safetensors.encode"

const storageMatches = (dtype: DType, data: unknown): data is TypedArray =>
  dtype === "float32"
    ? data instanceof Float32Array
    : dtype === "float64"
      ? data instanceof Float64Array
      : data instanceof Int32Array

// Orders strings by code point (UTF-16 code units misorder astral characters against
// U+E000..U+FFFF), which is the byte order of their UTF-8 encodings that the reference sorts by.
const codePointKey = (u: number): number =>
  u >= 0xd800 && u <= 0xdfff ? u + 0x2000 : u >= 0xe000 ? u - 0x800 : u

const compareCodePoints = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointKey(x) - codePointKey(y)
  }
  return a.length - b.length
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

interface Entry {
  readonly name: string
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly data: TypedArray
}

const checkedEntry = (name: string, value: unknown): Entry => {
  check(
    name !== "__metadata__",
    encodeOp,
    () => `"__metadata__" is reserved and cannot name a tensor`,
  )
  check(
    isWellFormed(name),
    encodeOp,
    () => `tensor name ${JSON.stringify(name)} has a lone surrogate`,
  )
  check(isTensor(value), encodeOp, () => `tensors[${JSON.stringify(name)}] is not a Tensor`)
  const { dtype, shape } = value
  check(
    isDType(dtype),
    encodeOp,
    () => `tensor ${JSON.stringify(name)} has unknown dtype ${String(dtype)}`,
  )
  check(
    Array.isArray(shape) && isValidShape(shape) && shape.every(Number.isSafeInteger),
    encodeOp,
    () => `tensor ${JSON.stringify(name)} has an invalid shape ${JSON.stringify(shape)}`,
  )
  const data = value.data
  check(
    storageMatches(dtype, data) && data.length === sizeOf(shape),
    encodeOp,
    () =>
      `tensor ${JSON.stringify(name)} of dtype ${dtype} and shape ${showShape(shape)} has storage that does not match`,
  )
  return { name, dtype, shape, data }
}

const checkedMetadata = (metadata: unknown): Array<readonly [string, string]> => {
  check(isRecord(metadata), encodeOp, () => `metadata must be a record of strings`)
  return Object.keys(metadata)
    .map((k): readonly [string, string] => {
      const v = metadata[k]
      check(
        typeof v === "string",
        encodeOp,
        () => `metadata[${JSON.stringify(k)}] is a ${typeof v}, not a string`,
      )
      check(
        isWellFormed(k) && isWellFormed(v),
        encodeOp,
        () => `metadata entry ${JSON.stringify(k)} has a lone surrogate`,
      )
      return [k, v]
    })
    .sort(([a], [b]) => compareCodePoints(a, b))
}

/**
 * Writes named tensors and string metadata as a safetensors buffer. The output depends only on
 * the contents, never on key order: tensors go F64, then F32, then I32, each group by name (the
 * reference writer's order, which keeps every tensor aligned to its element size), metadata keys
 * are sorted, and the header is padded with spaces to a multiple of 8 bytes. Empty metadata is
 * left out. Throws `TensorError` for a tensor named `__metadata__`, a value that is not a
 * `Tensor`, a metadata value that is not a string, or a name with a lone surrogate.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const bytes = T.safetensors.encode({ w: T.tensor([[1, 2], [3, 4]]) }, { epochs: "3" })
 * bytes.length // 112: the 8-byte prefix, an 88-byte padded header, 16 bytes of data
 */
export const encode = (
  tensors: Readonly<Record<string, Tensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array => {
  check(isRecord(tensors), encodeOp, () => `tensors must be a record of named tensors`)
  const entries = Object.keys(tensors)
    .map((name) => checkedEntry(name, tensors[name]))
    .sort((a, b) => writeOrder[a.dtype] - writeOrder[b.dtype] || compareCodePoints(a.name, b.name))
  const meta = checkedMetadata(metadata)

  const fields: string[] = []
  if (meta.length > 0) {
    const pairs = meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    fields.push(`"__metadata__":{${pairs.join(",")}}`)
  }
  let offset = 0
  const begins: number[] = []
  for (const { name, dtype, shape, data } of entries) {
    const end = offset + data.byteLength
    begins.push(offset)
    fields.push(
      `${JSON.stringify(name)}:{"dtype":"${storedNameOf[dtype]}","shape":[${shape.join(",")}],"data_offsets":[${offset},${end}]}`,
    )
    offset = end
  }
  const header = utf8Encode(`{${fields.join(",")}}`)
  const headerLength = header.length + ((8 - (header.length % 8)) % 8)

  const out = new Uint8Array(8 + headerLength + offset)
  const view = new DataView(out.buffer)
  view.setUint32(0, headerLength % 2 ** 32, true)
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true)
  out.set(header, 8)
  out.fill(0x20, 8 + header.length, 8 + headerLength)
  const dataStart = 8 + headerLength
  entries.forEach(({ data }, i) => {
    const begin = dataStart + begins[i]!
    const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    copyLittleEndian(src, out.subarray(begin, begin + data.byteLength), data.BYTES_PER_ELEMENT)
  })
  return out
}

// -------------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------------

const isNonNegativeInteger = (u: unknown): u is number =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= 0

const nonNegativeInteger = new t.Type<number, number, unknown>(
  "non-negative integer",
  isNonNegativeInteger,
  (u, c) => (isNonNegativeInteger(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

/** A shape; fails once, at its first bad size, so a huge bad shape costs one problem. */
const shapeCodec = new t.Type<ReadonlyArray<number>, ReadonlyArray<number>, unknown>(
  "array of non-negative integers",
  (u): u is ReadonlyArray<number> => Array.isArray(u) && u.every(isNonNegativeInteger),
  (u, c) => {
    if (!Array.isArray(u)) return t.failure(u, c)
    const sizes = u as ReadonlyArray<unknown>
    const i = sizes.findIndex((d) => !isNonNegativeInteger(d))
    return i < 0
      ? t.success(sizes as ReadonlyArray<number>)
      : t.failure(sizes[i], t.appendContext(c, String(i), nonNegativeInteger, sizes[i]))
  },
  t.identity,
)

// io-ts's `tuple` drops extra elements; the reference refuses them, so this codec does too.
const isOffsetPair = (u: unknown): u is readonly [number, number] =>
  Array.isArray(u) && u.length === 2 && u.every(isNonNegativeInteger)

const offsetPair = new t.Type<readonly [number, number], readonly [number, number], unknown>(
  "[begin, end] of non-negative integers",
  isOffsetPair,
  (u, c) => (isOffsetPair(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

const isWellFormedString = (u: unknown): u is string => typeof u === "string" && isWellFormed(u)

const wellFormedString = new t.Type<string, string, unknown>(
  "string",
  isWellFormedString,
  (u, c) => (isWellFormedString(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

/** A tensor's header entry. Unknown fields are ignored, as the reference does. */
const TensorInfo = t.type(
  { dtype: t.string, shape: shapeCodec, data_offsets: offsetPair },
  "{ dtype, shape, data_offsets }",
)
type TensorInfo = t.TypeOf<typeof TensorInfo>

/** `__metadata__`: an object (its values are checked one by one) or `null` for none. */
const isMetadataObject = (u: unknown): u is Record<string, unknown> | null =>
  u === null || t.UnknownRecord.is(u)

const MetadataInfo = new t.Type<Record<string, unknown> | null, unknown, unknown>(
  "object of strings",
  isMetadataObject,
  (u, c) => (isMetadataObject(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

const describe = (u: unknown): string => {
  if (u === undefined) return "nothing"
  let s: string
  try {
    s = JSON.stringify(u)
  } catch {
    // Nesting too deep for the stringifier.
    return Array.isArray(u) ? "a deeply nested array" : typeof u
  }
  const chars = Array.from(s.slice(0, 64))
  return chars.length > 40 ? `${chars.slice(0, 37).join("")}...` : chars.join("")
}

const keyPath = (key: string): string => `[${JSON.stringify(key)}]`

/** How many problems a `HeaderInvalid` keeps; the rest are only counted. */
const keptProblems = 20

/** Gathers header problems, keeping the first few and counting the rest. */
class Problems {
  readonly kept: HeaderProblem[] = []
  total = 0

  add(path: string, expected: string, actual: () => string): void {
    this.total++
    if (this.kept.length < keptProblems) this.kept.push({ path, expected, actual: actual() })
  }

  addAll(prefix: string, errors: t.Errors): void {
    for (const e of errors) {
      const steps = e.context
        .slice(1)
        .map((c) => (/^\d+$/.test(c.key) ? `[${c.key}]` : `.${c.key}`))
      const expected = e.context[e.context.length - 1]?.type.name ?? "value"
      this.add(prefix + steps.join(""), expected, () => describe(e.value))
    }
  }

  error(): SafetensorsError {
    return { _tag: "HeaderInvalid", problems: this.kept, total: this.total }
  }
}

interface Parsed {
  readonly metadata: Record<string, string>
  readonly infos: ReadonlyArray<readonly [string, TensorInfo]>
}

const wellFormedKey = "a key without lone surrogates"

/** Checks the JSON shape of a parsed header with io-ts, gathering every problem. */
const validateHeader = (json: unknown): E.Either<SafetensorsError, Parsed> => {
  const problems = new Problems()
  const root = t.UnknownRecord.decode(json)
  if (E.isLeft(root)) {
    problems.addAll("", root.left)
    return E.left(problems.error())
  }
  const header = root.right
  const metadata = Object.create(null) as Record<string, string>
  const infos: Array<readonly [string, TensorInfo]> = []
  for (const name of Object.keys(header)) {
    const value = header[name]
    const path = keyPath(name)
    if (!isWellFormed(name)) {
      problems.add(path, wellFormedKey, () => JSON.stringify(name))
    } else if (name === "__metadata__") {
      const m = MetadataInfo.decode(value)
      if (E.isLeft(m)) problems.addAll(path, m.left)
      else if (m.right !== null) {
        for (const k of Object.keys(m.right)) {
          const s = wellFormedString.decode(m.right[k])
          if (!isWellFormed(k))
            problems.add(path + keyPath(k), wellFormedKey, () => JSON.stringify(k))
          else if (E.isLeft(s)) problems.addAll(path + keyPath(k), s.left)
          else metadata[k] = s.right
        }
      }
    } else {
      const info = TensorInfo.decode(value)
      if (E.isLeft(info)) problems.addAll(path, info.left)
      else infos.push([name, info.right])
    }
  }
  return problems.total > 0 ? E.left(problems.error()) : E.right({ metadata, infos })
}

const byteCount = (shape: ReadonlyArray<number>, itemSize: number): number => {
  if (shape.includes(0)) return 0
  const n = shape.reduce((acc, d) => acc * d, itemSize)
  return Number.isSafeInteger(n) ? n : Infinity
}

/** The semantic checks the JSON shape cannot express, then the copy out of `data`. */
const readTensors = (
  infos: ReadonlyArray<readonly [string, TensorInfo]>,
  data: Uint8Array,
): E.Either<SafetensorsError, Record<string, Tensor>> => {
  const byName = [...infos].sort(([a], [b]) => compareCodePoints(a, b))
  for (const [name, { dtype, shape, data_offsets }] of byName) {
    const [begin, end] = data_offsets
    const stored = storedDTypes.get(dtype)
    if (stored === undefined)
      return E.left({ _tag: "UnsupportedDtype", tensor: name, dtype, supported: readableNames })
    if (begin > end || end > data.length)
      return E.left({ _tag: "BadOffsets", tensor: name, begin, end, dataLength: data.length })
    const expectedBytes = byteCount(shape, stored.itemSize)
    if (expectedBytes !== end - begin)
      return E.left({
        _tag: "ShapeMismatch",
        tensor: name,
        dtype,
        shape: [...shape],
        expectedBytes,
        actualBytes: end - begin,
      })
  }
  // Tiling: in (begin, end) order each tensor starts where the previous one ended.
  const byOffset = [...byName].sort(
    ([, a], [, b]) =>
      a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1],
  )
  let cursor = 0
  let previous: readonly [string, TensorInfo] | undefined
  for (const entry of byOffset) {
    const [name, { data_offsets: range }] = entry
    if (range[0] < cursor && previous !== undefined)
      return E.left({
        _tag: "Overlap",
        tensor: name,
        range: [range[0], range[1]],
        other: previous[0],
        otherRange: [previous[1].data_offsets[0], previous[1].data_offsets[1]],
      })
    if (range[0] > cursor)
      return E.left({
        _tag: "Gap",
        begin: cursor,
        end: range[0],
        after: previous?.[0],
        before: name,
      })
    cursor = range[1]
    previous = entry
  }
  if (cursor < data.length)
    return E.left({
      _tag: "Gap",
      begin: cursor,
      end: data.length,
      after: previous?.[0],
      before: undefined,
    })

  const tensors = Object.create(null) as Record<string, Tensor>
  for (const [name, { dtype, shape, data_offsets }] of byOffset) {
    const [begin, end] = data_offsets
    const stored = storedDTypes.get(dtype)!
    // `d || 0` turns a JSON `-0` into 0.
    tensors[name] = new Tensor(
      stored.dtype,
      shape.map((d) => d || 0),
      stored.read(data.subarray(begin, end)),
    )
  }
  return E.right(tensors)
}

/**
 * Reads a safetensors buffer into fresh tensors and metadata, or says why it cannot. Never
 * throws. Checks, in order: the length prefix, the header's size (at most `maxHeaderLength`),
 * UTF-8, how many JSON values the header holds and how deep they nest (`defaultJsonLimits`,
 * before parsing), JSON, the header's shape (with io-ts), each tensor's dtype, offsets and byte count, and
 * that the tensors tile the data buffer with no gap or overlap. F32, F64 and I32 are read as
 * float32, float64 and int32; F16 and BF16 widen exactly to float32, I8, U8, I16 and U16 to
 * int32; other dtypes give `UnsupportedDtype`. The data is copied byte by byte (little-endian on
 * any machine, at any alignment), so the tensors never alias `bytes`. Names such as `__proto__`
 * are ordinary own keys: both records have a `null` prototype.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import * as E from "fp-ts/lib/Either.js"
 * const r = T.safetensors.decode(T.safetensors.encode({ b: T.zeros([3]) }))
 * if (E.isRight(r)) r.right.tensors.b?.shape // [3]
 * const bad = T.safetensors.decode(new Uint8Array(3))
 * if (E.isLeft(bad)) T.safetensors.renderSafetensorsError(bad.left)
 * // "the buffer is 3 bytes long, too short for the 8-byte header-length prefix"
 */
export const decode = (bytes: Uint8Array): E.Either<SafetensorsError, SafetensorsFile> => {
  // For callers without types: anything else counts as an empty buffer.
  if (!(bytes instanceof Uint8Array)) return E.left({ _tag: "TooShort", length: 0 })
  if (bytes.length < 8) return E.left({ _tag: "TooShort", length: bytes.length })
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, 8)
  const headerLength = prefix.getUint32(0, true) + prefix.getUint32(4, true) * 2 ** 32
  if (headerLength > maxHeaderLength)
    return E.left({ _tag: "HeaderTooLarge", headerLength, limit: maxHeaderLength })
  if (headerLength > bytes.length - 8)
    return E.left({ _tag: "HeaderTruncated", headerLength, available: bytes.length - 8 })

  const headerBytes = bytes.subarray(8, 8 + headerLength)
  // measured before decoding: a header too complex to parse is refused at the cost of one pass
  const complex = measureJson(headerBytes, defaultJsonLimits)
  if (complex !== undefined) return E.left({ _tag: "HeaderTooComplex", error: complex })
  const text = utf8Decode(headerBytes)
  if (!text.ok)
    return E.left({ _tag: "HeaderNotUtf8", offset: text.offset, byte: headerBytes[text.offset]! })
  if (!text.text.startsWith("{"))
    return E.left({
      _tag: "HeaderNotObject",
      start: Array.from(text.text.slice(0, 16)).slice(0, 8).join(""),
    })
  const json = parseJson(text.text, defaultJsonLimits)
  if (E.isLeft(json))
    return E.left(
      json.left._tag === "NotJson"
        ? { _tag: "HeaderNotJson", message: json.left.message }
        : { _tag: "HeaderTooComplex", error: json.left },
    )
  const header = validateHeader(json.right)
  if (E.isLeft(header)) return header
  const tensors = readTensors(header.right.infos, bytes.subarray(8 + headerLength))
  if (E.isLeft(tensors)) return tensors
  return E.right({ tensors: tensors.right, metadata: header.right.metadata })
}

// -------------------------------------------------------------------------------------------
// rendering
// -------------------------------------------------------------------------------------------

const shownProblems = 3

const showRange = ([b, e]: ByteRange): string => `[${b}, ${e})`

const between = (after: string | undefined, before: string | undefined): string =>
  after !== undefined && before !== undefined
    ? `between tensor ${JSON.stringify(after)} and tensor ${JSON.stringify(before)}`
    : after !== undefined
      ? `after tensor ${JSON.stringify(after)}, at the end of the buffer`
      : before !== undefined
        ? `before tensor ${JSON.stringify(before)}, at the start of the buffer`
        : `the header lists no tensors`

/**
 * One sentence about a `SafetensorsError` for people, naming the tensor and the numbers.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.safetensors.renderSafetensorsError({
 *   _tag: "ShapeMismatch", tensor: "layers.0.w", dtype: "F32", shape: [784, 16],
 *   expectedBytes: 50176, actualBytes: 50172,
 * })
 * // 'tensor "layers.0.w": shape [784, 16] needs 50176 bytes but data_offsets give 50172 (F32, 4 bytes each)'
 */
export const renderSafetensorsError = (e: SafetensorsError): string => {
  switch (e._tag) {
    case "TooShort":
      return `the buffer is ${e.length} bytes long, too short for the 8-byte header-length prefix`
    case "HeaderTooLarge":
      return `the header length is ${e.headerLength} bytes, more than the limit of ${e.limit}`
    case "HeaderTruncated":
      return `the header length is ${e.headerLength} bytes but only ${e.available} bytes follow the 8-byte prefix`
    case "HeaderNotUtf8":
      return `the header is not valid UTF-8: byte 0x${e.byte.toString(16).padStart(2, "0")} at header offset ${e.offset} begins an invalid sequence`
    case "HeaderNotObject":
      return `the header must be a JSON object beginning with "{", but it begins with ${JSON.stringify(e.start)}`
    case "HeaderNotJson":
      return `the header is not valid JSON: ${e.message}`
    case "HeaderTooComplex":
      return `the header is too large to parse: ${renderJsonError(e.error)}`
    case "HeaderInvalid": {
      const shown = e.problems
        .slice(0, shownProblems)
        .map(
          (p) =>
            `at ${p.path === "" ? "the top level" : p.path} expected ${p.expected} but found ${p.actual}`,
        )
      const more = e.total - shown.length
      return `the header is malformed: ${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`
    }
    case "UnsupportedDtype":
      return `tensor ${JSON.stringify(e.tensor)}: dtype ${JSON.stringify(e.dtype)} is not supported (fnn reads ${e.supported.join(", ")})`
    case "BadOffsets":
      return e.begin > e.end
        ? `tensor ${JSON.stringify(e.tensor)}: data_offsets [${e.begin}, ${e.end}] end before they begin`
        : `tensor ${JSON.stringify(e.tensor)}: data_offsets [${e.begin}, ${e.end}] run past the end of the ${e.dataLength}-byte data buffer`
    case "ShapeMismatch": {
      const itemSize = storedDTypes.get(e.dtype)?.itemSize
      const needs = Number.isFinite(e.expectedBytes)
        ? `${e.expectedBytes}`
        : `more than ${Number.MAX_SAFE_INTEGER}`
      return `tensor ${JSON.stringify(e.tensor)}: shape ${showShape(e.shape)} needs ${needs} bytes but data_offsets give ${e.actualBytes} (${e.dtype}, ${itemSize ?? "?"} bytes each)`
    }
    case "Overlap":
      return `tensor ${JSON.stringify(e.tensor)} at data bytes ${showRange(e.range)} overlaps tensor ${JSON.stringify(e.other)} at ${showRange(e.otherRange)}`
    case "Gap":
      return `data bytes [${e.begin}, ${e.end}) belong to no tensor (${between(e.after, e.before)})`
  }
}
