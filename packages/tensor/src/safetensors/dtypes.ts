/**
 * The element types a safetensors file may declare, and how their little-endian bytes become
 * fnn storage. Every conversion here is exact: F16 and BF16 widen to float32, 8- and 16-bit
 * integers widen to int32. Types with no exact fnn counterpart (I64, U32, U64, BOOL, F8_*…) are
 * refused rather than rounded.
 * @module
 */
import type { DType, TypedArray } from "../dtype.ts"

/** Whether this machine stores typed-array elements little-endian (almost every machine does). */
export const hostIsLittleEndian: boolean = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * Copies `src` into `dst` (same length), converting between little-endian and host order for
 * elements of `itemSize` bytes. The conversion is its own inverse, so it serves both directions.
 * A byte copy keeps NaN payloads and works at any alignment.
 */
export const copyLittleEndian = (
  src: Uint8Array,
  dst: Uint8Array,
  itemSize: number,
  littleEndianHost: boolean = hostIsLittleEndian,
): void => {
  if (littleEndianHost || itemSize === 1) {
    dst.set(src)
    return
  }
  for (let i = 0; i < src.length; i += itemSize) {
    for (let k = 0; k < itemSize; k++) dst[i + k] = src[i + itemSize - 1 - k]!
  }
}

/** One safetensors element type this codec can read. */
export interface StoredDType {
  /** The name in the header, e.g. `"F32"`. */
  readonly name: string
  /** Bytes per element. */
  readonly itemSize: number
  /** The fnn dtype it is read into. */
  readonly dtype: DType
  /** Reads a fresh array from little-endian `bytes` (a whole number of elements). */
  readonly read: (bytes: Uint8Array) => TypedArray
}

const native =
  <A extends TypedArray>(itemSize: number, make: (buffer: ArrayBuffer) => A) =>
  (bytes: Uint8Array): A => {
    const buffer = new ArrayBuffer(bytes.length)
    copyLittleEndian(bytes, new Uint8Array(buffer), itemSize)
    return make(buffer)
  }

/** The bits of the float32 equal to the binary16 value with bits `h` (exact, NaN payload kept). */
export const halfToSingleBits = (h: number): number => {
  const sign = (h & 0x8000) << 16
  const exponent = (h >> 10) & 0x1f
  let mantissa = h & 0x3ff
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0
  if (mantissa === 0) return sign >>> 0
  // Subnormal m·2^-24: shift the leading one into the implicit bit, lowering the exponent.
  let e = 113
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1
    e--
  }
  return (sign | (e << 23) | ((mantissa & 0x3ff) << 13)) >>> 0
}

const halves =
  (toBits: (h: number) => number) =>
  (bytes: Uint8Array): Float32Array => {
    const bits = new Uint32Array(bytes.length >> 1)
    for (let i = 0; i < bits.length; i++) bits[i] = toBits(bytes[2 * i]! | (bytes[2 * i + 1]! << 8))
    // Same buffer, same host byte order: reinterpreting the bits is exact.
    return new Float32Array(bits.buffer)
  }

const small =
  (itemSize: number, get: (view: DataView, offset: number) => number) =>
  (bytes: Uint8Array): Int32Array => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const out = new Int32Array(bytes.length / itemSize)
    for (let i = 0; i < out.length; i++) out[i] = get(view, i * itemSize)
    return out
  }

const table: ReadonlyArray<StoredDType> = [
  { name: "F64", itemSize: 8, dtype: "float64", read: native(8, (b) => new Float64Array(b)) },
  { name: "F32", itemSize: 4, dtype: "float32", read: native(4, (b) => new Float32Array(b)) },
  { name: "I32", itemSize: 4, dtype: "int32", read: native(4, (b) => new Int32Array(b)) },
  { name: "F16", itemSize: 2, dtype: "float32", read: halves(halfToSingleBits) },
  { name: "BF16", itemSize: 2, dtype: "float32", read: halves((h) => (h << 16) >>> 0) },
  { name: "I16", itemSize: 2, dtype: "int32", read: small(2, (v, o) => v.getInt16(o, true)) },
  { name: "U16", itemSize: 2, dtype: "int32", read: small(2, (v, o) => v.getUint16(o, true)) },
  { name: "I8", itemSize: 1, dtype: "int32", read: small(1, (v, o) => v.getInt8(o)) },
  { name: "U8", itemSize: 1, dtype: "int32", read: small(1, (v, o) => v.getUint8(o)) },
]

/** The readable types by header name. A `Map`, so header strings never reach a prototype. */
export const storedDTypes: ReadonlyMap<string, StoredDType> = new Map(table.map((d) => [d.name, d]))

/** Header names of every readable type, in the order the reference writer lays data out. */
export const readableNames: ReadonlyArray<string> = table.map((d) => d.name)

/** The header name fnn writes for each dtype. */
export const storedNameOf: Readonly<Record<DType, "F32" | "F64" | "I32">> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
}

/**
 * Where each written dtype goes in the data buffer: the reference writer orders tensors by
 * descending dtype (F64, F32, I32), then by name, so every tensor starts aligned to its size.
 */
export const writeOrder: Readonly<Record<DType, number>> = { float64: 0, float32: 1, int32: 2 }
