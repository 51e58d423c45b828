/**
 * The IDX format of the MNIST files: two zero bytes, a type code, a rank, one big-endian u32 per
 * dimension, then the elements in C order, big-endian. Decoding never throws: any input gives an
 * `IdxArray` or a tagged `IdxError`.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { TensorError } from "@fnn/tensor"

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

/** The element types IDX can hold, named as in the format's description. */
export type IdxDType = "ubyte" | "sbyte" | "short" | "int" | "float" | "double"

/** The typed array that holds each IDX element type (in the platform's byte order). */
export interface IdxDataOf {
  readonly ubyte: Uint8Array
  readonly sbyte: Int8Array
  readonly short: Int16Array
  readonly int: Int32Array
  readonly float: Float32Array
  readonly double: Float64Array
}

/**
 * A decoded IDX file: element type, dimensions (outermost first) and the elements in C order.
 * Narrow on `dtype` to get the matching typed array.
 */
export type IdxArray = {
  readonly [D in IdxDType]: {
    readonly dtype: D
    readonly shape: ReadonlyArray<number>
    readonly data: IdxDataOf[D]
  }
}[IdxDType]

/** The type code byte (third byte of the file) of each element type. */
export const idxTypeCodes: { readonly [D in IdxDType]: number } = {
  ubyte: 0x08,
  sbyte: 0x09,
  short: 0x0b,
  int: 0x0c,
  float: 0x0d,
  double: 0x0e,
}

/** Bytes per element of each IDX element type. */
export const idxByteSize: { readonly [D in IdxDType]: number } = {
  ubyte: 1,
  sbyte: 1,
  short: 2,
  int: 4,
  float: 4,
  double: 8,
}

const dtypeOfCode = (code: number): IdxDType | undefined =>
  (Object.keys(idxTypeCodes) as IdxDType[]).find((d) => idxTypeCodes[d] === code)

// -------------------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------------------

/** The first bytes are not `00 00`: this is not an IDX file (`found` holds up to four bytes). */
export interface BadMagic {
  readonly _tag: "BadMagic"
  readonly found: ReadonlyArray<number>
  readonly file?: string
}

/** The type code byte names no IDX element type. */
export interface UnsupportedDType {
  readonly _tag: "UnsupportedDType"
  readonly code: number
  readonly file?: string
}

/** The file ends before its header (`part: "header"`) or its elements (`"data"`) do. */
export interface Truncated {
  readonly _tag: "Truncated"
  readonly part: "header" | "data"
  readonly expected: number
  readonly actual: number
  readonly file?: string
}

/** The file goes on after the last element its header announces. */
export interface TrailingBytes {
  readonly _tag: "TrailingBytes"
  readonly expected: number
  readonly actual: number
  readonly file?: string
}

/** Why bytes are not a valid IDX file. */
export type IdxError = BadMagic | UnsupportedDType | Truncated | TrailingBytes

// -------------------------------------------------------------------------------------------------
// codec
// -------------------------------------------------------------------------------------------------

/** Whether `bytes` start like a gzip stream (`1f 8b`); the name of a file is no evidence. */
export const isGzip = (bytes: Uint8Array): boolean =>
  bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b

const decodeData = (
  dtype: IdxDType,
  view: DataView,
  offset: number,
  n: number,
  bytes: Uint8Array,
): IdxArray["data"] => {
  switch (dtype) {
    // Copy through the constructor: `slice` on a Node Buffer returns a view, not a copy.
    case "ubyte":
      return new Uint8Array(bytes.subarray(offset, offset + n))
    case "sbyte":
      return new Int8Array(new Uint8Array(bytes.subarray(offset, offset + n)).buffer)
    case "short": {
      const out = new Int16Array(n)
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i)
      return out
    }
    case "int": {
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i)
      return out
    }
    case "float": {
      const out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i)
      return out
    }
    case "double": {
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i)
      return out
    }
  }
}

/**
 * Decodes an IDX file. The length must be exact: a short file is `Truncated`, extra bytes are
 * `TrailingBytes`. The result never shares memory with `bytes`.
 *
 * @example
 * import { parseIdx, encodeIdx } from "@fnn/mnist"
 * const bytes = encodeIdx({ dtype: "ubyte", shape: [2], data: Uint8Array.of(3, 7) })
 * parseIdx(bytes) // right({ dtype: "ubyte", shape: [2], data: Uint8Array [3, 7] })
 * parseIdx(bytes.subarray(0, 9))._tag // "Left": Truncated, expected 10 bytes, found 9
 */
export const parseIdx = (bytes: Uint8Array): E.Either<IdxError, IdxArray> => {
  const actual = bytes.length
  if ((actual >= 1 && bytes[0] !== 0) || (actual >= 2 && bytes[1] !== 0))
    return E.left({ _tag: "BadMagic", found: Array.from(bytes.subarray(0, 4)) })
  if (actual < 4) return E.left({ _tag: "Truncated", part: "header", expected: 4, actual })
  const code = bytes[2]!
  const rank = bytes[3]!
  const dtype = dtypeOfCode(code)
  if (dtype === undefined) return E.left({ _tag: "UnsupportedDType", code })
  const headerLength = 4 + 4 * rank
  if (actual < headerLength)
    return E.left({ _tag: "Truncated", part: "header", expected: headerLength, actual })
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const shape: number[] = []
  let size = 1
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i)
    shape.push(d)
    size *= d
  }
  // `size` may exceed 2^53 for hostile headers; it is then only compared, never allocated.
  const expected = headerLength + size * idxByteSize[dtype]
  if (actual < expected) return E.left({ _tag: "Truncated", part: "data", expected, actual })
  if (actual > expected) return E.left({ _tag: "TrailingBytes", expected, actual })
  const data = decodeData(dtype, view, headerLength, size, bytes)
  return E.right({ dtype, shape, data } as IdxArray)
}

const encodeData = (a: IdxArray, view: DataView, out: Uint8Array, offset: number): void => {
  const n = a.data.length
  switch (a.dtype) {
    case "ubyte":
      out.set(a.data, offset)
      return
    case "sbyte":
      out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, n), offset)
      return
    case "short":
      for (let i = 0; i < n; i++) view.setInt16(offset + 2 * i, a.data[i]!)
      return
    case "int":
      for (let i = 0; i < n; i++) view.setInt32(offset + 4 * i, a.data[i]!)
      return
    case "float":
      for (let i = 0; i < n; i++) view.setFloat32(offset + 4 * i, a.data[i]!)
      return
    case "double":
      for (let i = 0; i < n; i++) view.setFloat64(offset + 8 * i, a.data[i]!)
      return
  }
}

/**
 * Encodes an array as an IDX file; `parseIdx(encodeIdx(a))` gives `a` back. Throws a
 * `TensorError` if the shape is not IDX-representable (rank > 255, a dimension outside u32) or
 * does not match the number of elements.
 *
 * @example
 * import { encodeIdx } from "@fnn/mnist"
 * encodeIdx({ dtype: "ubyte", shape: [2], data: Uint8Array.of(3, 7) })
 * // Uint8Array [0, 0, 8, 1, 0, 0, 0, 2, 3, 7]
 */
export const encodeIdx = (a: IdxArray): Uint8Array => {
  const { shape } = a
  if (shape.length > 255) throw new TensorError("encodeIdx", `rank ${shape.length} exceeds 255`)
  let size = 1
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff)
      throw new TensorError("encodeIdx", `dimension ${d} of [${shape.join(", ")}] is not a u32`)
    size *= d
  }
  if (size !== a.data.length)
    throw new TensorError(
      "encodeIdx",
      `shape [${shape.join(", ")}] holds ${size} elements but data has ${a.data.length}`,
    )
  const headerLength = 4 + 4 * shape.length
  const out = new Uint8Array(headerLength + size * idxByteSize[a.dtype])
  const view = new DataView(out.buffer)
  out[2] = idxTypeCodes[a.dtype]
  out[3] = shape.length
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  encodeData(a, view, out, headerLength)
  return out
}
