/**
 * The part of the protocol buffers wire format that writing an ONNX file needs: a message is a
 * list of fields, each a key `(number << 3) | wireType` followed by a varint (wire type 0), a
 * little-endian float32 (5), or a length-prefixed run of bytes (2: strings, bytes, embedded
 * messages). Fields are written in the order given; unset fields are simply left out, as
 * proto2 and proto3 readers both expect.
 * @module
 */

/** One encoded field of a message. */
export type Field = Uint8Array

const wire = { varint: 0, bytes: 2, fixed32: 5 } as const

const twoTo64 = 1n << 64n

/** The varint bytes of an unsigned 64-bit value. */
const varintBytes = (value: bigint): number[] => {
  const out: number[] = []
  let v = value
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return out
}

/** An int64 as protobuf writes it: negative values as their 64-bit two's complement. */
const asUnsigned64 = (value: number | bigint, what: string): bigint => {
  const v = typeof value === "bigint" ? value : BigInt(checkedInteger(value, what))
  if (v < -(1n << 63n) || v >= 1n << 63n) throw new RangeError(`${what}: ${v} is not an int64`)
  return v < 0n ? v + twoTo64 : v
}

const checkedInteger = (value: number, what: string): number => {
  if (!Number.isSafeInteger(value))
    throw new RangeError(`${what}: expected a safe integer, got ${value}`)
  return value
}

const key = (field: number, wireType: number): number[] => {
  if (!Number.isSafeInteger(field) || field < 1 || field > 0x1fffffff)
    throw new RangeError(`field number must be in [1, 2^29), got ${field}`)
  return varintBytes(BigInt(field) * 8n + BigInt(wireType))
}

/** A varint field holding an int64 or int32 (also enums and bools). */
export const intField = (field: number, value: number | bigint): Field =>
  Uint8Array.from([
    ...key(field, wire.varint),
    ...varintBytes(asUnsigned64(value, `field ${field}`)),
  ])

/** A float field (32 bits, little-endian). */
export const floatField = (field: number, value: number): Field => {
  const k = key(field, wire.fixed32)
  const out = new Uint8Array(k.length + 4)
  out.set(k)
  new DataView(out.buffer).setFloat32(k.length, value, true)
  return out
}

/** A length-delimited field: bytes, or an embedded message made by `message`. */
export const bytesField = (field: number, bytes: Uint8Array): Field => {
  const prefix = [...key(field, wire.bytes), ...varintBytes(BigInt(bytes.length))]
  const out = new Uint8Array(prefix.length + bytes.length)
  out.set(prefix)
  out.set(bytes, prefix.length)
  return out
}

const utf8 = new TextEncoder()

/** A string field, UTF-8 encoded. */
export const stringField = (field: number, value: string): Field =>
  bytesField(field, utf8.encode(value))

/** The bytes of a message made of `fields`, in order. */
export const message = (fields: ReadonlyArray<Field>): Uint8Array => {
  let length = 0
  for (const f of fields) length += f.length
  const out = new Uint8Array(length)
  let at = 0
  for (const f of fields) {
    out.set(f, at)
    at += f.length
  }
  return out
}
