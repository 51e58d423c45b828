import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { bytesField, floatField, intField, message, stringField } from "../src/onnx/protobuf.ts"
import { asInt64, readFields } from "./protobuf-reader.ts"

const fieldNumber = fc.integer({ min: 1, max: 2 ** 29 - 1 })
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })

describe("the protobuf wire format", () => {
  it("writes any int64 as a varint that reads back, negatives as ten bytes", () => {
    fc.assert(
      fc.property(fieldNumber, int64, (n, v) => {
        const bytes = intField(n, v)
        const [f] = readFields(bytes)
        expect(f).toMatchObject({ field: n, wire: 0 })
        expect(asInt64(f!.value as bigint)).toBe(v)
        if (v < 0n) expect(bytes.length - intField(n, 0).length + 1).toBe(10)
      }),
    )
  })

  it("writes safe integers given as numbers like the same bigints", () => {
    fc.assert(
      fc.property(fieldNumber, fc.maxSafeInteger(), (n, v) => {
        expect(intField(n, v)).toEqual(intField(n, BigInt(v)))
      }),
    )
  })

  it("uses the shortest varint: 0 to 127 in one byte, 128 in two", () => {
    expect(Array.from(intField(1, 0))).toEqual([0x08, 0x00])
    expect(Array.from(intField(1, 127))).toEqual([0x08, 0x7f])
    expect(Array.from(intField(1, 128))).toEqual([0x08, 0x80, 0x01])
    expect(Array.from(intField(16, 1))).toEqual([0x80, 0x01, 0x01])
  })

  it("writes floats as four little-endian bytes of their float32 rounding", () => {
    fc.assert(
      fc.property(fieldNumber, fc.double(), (n, v) => {
        const [f] = readFields(floatField(n, v))
        expect(f).toMatchObject({ field: n, wire: 5 })
        const back = new DataView((f!.value as Uint8Array).buffer).getFloat32(0, true)
        expect(Object.is(back, Math.fround(v))).toBe(true)
      }),
    )
  })

  it("writes strings as UTF-8 and bytes as they are, each with its length", () => {
    fc.assert(
      fc.property(fieldNumber, fc.string({ unit: "grapheme" }), fc.uint8Array(), (n, s, b) => {
        const [fs, fb] = readFields(message([stringField(n, s), bytesField(n + 0, b)]))
        expect(new TextDecoder().decode(fs!.value as Uint8Array)).toBe(s)
        expect(Array.from(fb!.value as Uint8Array)).toEqual(Array.from(b))
      }),
    )
  })

  it("keeps the fields of a message in order, embedded messages included", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fieldNumber, int64), { maxLength: 8 }), (pairs) => {
        const inner = message(pairs.map(([n, v]) => intField(n, v)))
        const [outer] = readFields(message([bytesField(7, inner)]))
        const read = readFields(outer!.value as Uint8Array)
        expect(read.map((f) => [f.field, asInt64(f.value as bigint)])).toEqual(pairs)
      }),
    )
  })

  it("refuses field numbers outside [1, 2^29) and integers that are not int64", () => {
    expect(() => intField(0, 1)).toThrow(/field number/)
    expect(() => intField(2 ** 29, 1)).toThrow(/field number/)
    expect(() => intField(1, 1.5)).toThrow(/safe integer/)
    expect(() => intField(1, 1n << 63n)).toThrow(/int64/)
    expect(() => stringField(-1, "x")).toThrow(/field number/)
  })
})
