import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { TensorError } from "@fnn/tensor"
import type { IdxArray, IdxDType } from "../src/index.ts"
import { encodeIdx, idxByteSize, idxTypeCodes, isGzip, parseIdx } from "../src/index.ts"

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
const size = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

const elements: { [D in IdxDType]: fc.Arbitrary<number> } = {
  ubyte: fc.integer({ min: 0, max: 255 }),
  sbyte: fc.integer({ min: -128, max: 127 }),
  short: fc.integer({ min: -32768, max: 32767 }),
  int: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  float: fc.float(),
  double: fc.double(),
}

const make = (dtype: IdxDType, shape: number[], values: number[]): IdxArray => {
  switch (dtype) {
    case "ubyte":
      return { dtype, shape, data: Uint8Array.from(values) }
    case "sbyte":
      return { dtype, shape, data: Int8Array.from(values) }
    case "short":
      return { dtype, shape, data: Int16Array.from(values) }
    case "int":
      return { dtype, shape, data: Int32Array.from(values) }
    case "float":
      return { dtype, shape, data: Float32Array.from(values) }
    case "double":
      return { dtype, shape, data: Float64Array.from(values) }
  }
}

const idxArb = (dtype: IdxDType): fc.Arbitrary<IdxArray> =>
  shapeArb.chain((shape) =>
    fc
      .array(elements[dtype], { minLength: size(shape), maxLength: size(shape) })
      .map((values) => make(dtype, shape, values)),
  )

const anyIdxArb = fc.constantFrom(...(Object.keys(idxTypeCodes) as IdxDType[])).chain(idxArb)

/** Element-wise equality that treats NaN as equal to NaN and tells 0 from -0. */
const sameArray = (a: IdxArray, b: IdxArray): boolean =>
  a.dtype === b.dtype &&
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => d === b.shape[i]) &&
  a.data.length === b.data.length &&
  Array.from(a.data).every((v, i) => Object.is(v, b.data[i]))

/** A naive big-endian encoder, written independently of `encodeIdx`, for a few dtypes. */
const naiveEncode = (code: number, shape: number[], elementBytes: number[][]): number[] => {
  const u32 = (d: number) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]
  return [0, 0, code, shape.length, ...shape.flatMap(u32), ...elementBytes.flat()]
}

describe("IDX round trip", () => {
  for (const dtype of Object.keys(idxTypeCodes) as IdxDType[]) {
    it(`parseIdx(encodeIdx(a)) gives back any ${dtype} array`, () => {
      fc.assert(
        fc.property(idxArb(dtype), (a) => {
          const bytes = encodeIdx(a)
          expect(bytes.length).toBe(4 + 4 * a.shape.length + size(a.shape) * idxByteSize[dtype])
          const back = parseIdx(bytes)
          expect(E.isRight(back) && sameArray(back.right, a)).toBe(true)
        }),
        { numRuns: 60 },
      )
    })
  }

  it("writes the header and elements big-endian, as an independent encoder does", () => {
    const shorts = encodeIdx({ dtype: "short", shape: [2], data: Int16Array.of(0x0102, -2) })
    expect(Array.from(shorts)).toEqual(
      naiveEncode(
        0x0b,
        [2],
        [
          [1, 2],
          [0xff, 0xfe],
        ],
      ),
    )
    const ints = encodeIdx({ dtype: "int", shape: [1, 1], data: Int32Array.of(0x01020304) })
    expect(Array.from(ints)).toEqual(naiveEncode(0x0c, [1, 1], [[1, 2, 3, 4]]))
    const floats = encodeIdx({ dtype: "float", shape: [1], data: Float32Array.of(1) })
    expect(Array.from(floats)).toEqual(naiveEncode(0x0d, [1], [[0x3f, 0x80, 0, 0]]))
    const big = encodeIdx({ dtype: "ubyte", shape: [256, 0], data: new Uint8Array(0) })
    expect(Array.from(big)).toEqual(naiveEncode(0x08, [256, 0], []))
  })

  it("decodes a hand-written MNIST-like header", () => {
    const bytes = Uint8Array.from(naiveEncode(0x08, [2, 1, 2], [[1], [2], [3], [4]]))
    const parsed = parseIdx(bytes)
    expect(parsed).toEqual(
      E.right({ dtype: "ubyte", shape: [2, 1, 2], data: Uint8Array.of(1, 2, 3, 4) }),
    )
  })

  it("does not share memory with the input, even a Node Buffer", () => {
    for (const dtype of ["ubyte", "sbyte"] as const) {
      const a = make(dtype, [3], [1, 2, 3])
      for (const bytes of [encodeIdx(a), Buffer.from(encodeIdx(a))]) {
        const parsed = parseIdx(bytes)
        bytes[bytes.length - 1] = 99
        expect(E.isRight(parsed) && Array.from(parsed.right.data)).toEqual([1, 2, 3])
        expect(E.isRight(parsed) && parsed.right.data.buffer.byteLength).toBe(3)
      }
    }
  })

  it("refuses to encode data that does not fill the shape", () => {
    expect(() =>
      encodeIdx({ dtype: "ubyte", shape: [2, 2], data: Uint8Array.of(1, 2, 3) }),
    ).toThrow(TensorError)
    expect(() => encodeIdx({ dtype: "ubyte", shape: [-1], data: new Uint8Array(0) })).toThrow(
      TensorError,
    )
  })
})

describe("IDX decoding of bad bytes", () => {
  it("gives Left for every truncation of a valid file and never throws", () => {
    fc.assert(
      fc.property(anyIdxArb, (a) => {
        const bytes = encodeIdx(a)
        for (let n = 0; n < bytes.length; n++) {
          const r = parseIdx(bytes.subarray(0, n))
          expect(E.isLeft(r) && r.left._tag).toBe("Truncated")
        }
      }),
      { numRuns: 60 },
    )
  })

  it("gives Left or Right but never throws for random corruptions, and Right re-encodes", () => {
    const corrupted = anyIdxArb.map(encodeIdx).chain((bytes) =>
      fc
        .array(fc.tuple(fc.nat({ max: bytes.length + 8 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((edits) => {
          const out = new Uint8Array(bytes)
          for (const [i, v] of edits) if (i < out.length) out[i] = v
          return out
        }),
    )
    fc.assert(
      fc.property(corrupted, (bytes) => {
        const r = parseIdx(bytes)
        if (E.isRight(r)) {
          const again = encodeIdx(r.right)
          expect(again.length).toBe(bytes.length)
          const back = parseIdx(again)
          expect(E.isRight(back) && sameArray(back.right, r.right)).toBe(true)
          if (r.right.dtype !== "float" && r.right.dtype !== "double")
            expect(Array.from(again)).toEqual(Array.from(bytes))
        }
      }),
      { numRuns: 300 },
    )
  })

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = parseIdx(bytes)
        expect(E.isLeft(r) || E.isRight(r)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it("names a file that does not start with two zero bytes BadMagic", () => {
    const text = new TextEncoder().encode("hello, world")
    expect(parseIdx(text)).toEqual(E.left({ _tag: "BadMagic", found: [0x68, 0x65, 0x6c, 0x6c] }))
    expect(parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 0))).toEqual(
      E.left({ _tag: "BadMagic", found: [0x1f, 0x8b, 8, 0] }),
    )
    expect(parseIdx(Uint8Array.of(0, 1))).toEqual(E.left({ _tag: "BadMagic", found: [0, 1] }))
  })

  it("reports an unknown type code", () => {
    expect(parseIdx(Uint8Array.of(0, 0, 0x0a, 1, 0, 0, 0, 0))).toEqual(
      E.left({ _tag: "UnsupportedDType", code: 0x0a }),
    )
  })

  it("reports how many bytes a short header or short data needed", () => {
    expect(parseIdx(new Uint8Array(0))).toEqual(
      E.left({ _tag: "Truncated", part: "header", expected: 4, actual: 0 }),
    )
    // rank 3 needs 4 + 12 header bytes
    expect(parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1))).toEqual(
      E.left({ _tag: "Truncated", part: "header", expected: 16, actual: 8 }),
    )
    // [2, 3] shorts need 12 header bytes + 12 data bytes
    const header = naiveEncode(0x0b, [2, 3], [])
    expect(parseIdx(Uint8Array.from([...header, 1, 2, 3]))).toEqual(
      E.left({ _tag: "Truncated", part: "data", expected: 24, actual: 15 }),
    )
  })

  it("reports bytes after the data", () => {
    const bytes = Uint8Array.from(naiveEncode(0x08, [2], [[1], [2], [3]]))
    expect(parseIdx(bytes)).toEqual(E.left({ _tag: "TrailingBytes", expected: 10, actual: 11 }))
  })

  it("does not allocate for a header announcing absurd dimensions", () => {
    const bytes = Uint8Array.from(
      naiveEncode(0x0e, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [[1, 2, 3]]),
    )
    const r = parseIdx(bytes)
    expect(E.isLeft(r) && r.left._tag).toBe("Truncated")
  })
})

describe("gzip detection", () => {
  it("looks at the magic bytes 1f 8b only", () => {
    expect(isGzip(Uint8Array.of(0x1f, 0x8b, 0))).toBe(true)
    expect(isGzip(Uint8Array.of(0x1f))).toBe(false)
    expect(isGzip(Uint8Array.of(0, 0, 8, 1))).toBe(false)
  })
})
