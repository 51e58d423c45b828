import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import type { DType, TypedArray } from "../src/dtype.ts"
import { TensorError } from "../src/errors.ts"
import { Tensor } from "../src/tensor.ts"
import { decode, encode, maxHeaderLength, renderSafetensorsError } from "../src/safetensors.ts"
import type { SafetensorsError, SafetensorsFile } from "../src/safetensors.ts"
import { copyLittleEndian, halfToSingleBits } from "../src/safetensors/dtypes.ts"
import { utf8Decode, utf8DecodeHere, utf8Encode } from "../src/safetensors/utf8.ts"

// The platform's own codecs serve as independent references (typed here: the package's
// tsconfig has no DOM or Node types).
const platform = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array }
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(b: Uint8Array): string }
}
const textEncoder = new platform.TextEncoder()
const strictDecoder = new platform.TextDecoder("utf-8", { fatal: true })

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const itemSizes: Record<DType, number> = { float32: 4, float64: 8, int32: 4 }

const bytesOf = (x: Tensor): Uint8Array =>
  new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength)

/** A tensor whose storage holds exactly `bytes` (host order), in a buffer of its own. */
const tensorOfBytes = (dtype: DType, shape: number[], bytes: Uint8Array): Tensor => {
  const buffer = new ArrayBuffer(bytes.length)
  new Uint8Array(buffer).set(bytes)
  const data: TypedArray =
    dtype === "float32"
      ? new Float32Array(buffer)
      : dtype === "float64"
        ? new Float64Array(buffer)
        : new Int32Array(buffer)
  return new Tensor(dtype, shape, data)
}

/** An object with exactly these own keys, `__proto__` included. */
const recordOf = <V>(entries: ReadonlyArray<readonly [string, V]>): Record<string, V> => {
  const r: Record<string, V> = {}
  for (const [k, v] of entries)
    Object.defineProperty(r, k, { value: v, enumerable: true, writable: true, configurable: true })
  return r
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0))

const u64 = (n: number): number[] => {
  const out = new Uint8Array(8)
  const v = new DataView(out.buffer)
  v.setUint32(0, n % 2 ** 32, true)
  v.setUint32(4, Math.floor(n / 2 ** 32), true)
  return [...out]
}

/** A file from a header string (UTF-8, unpadded unless the string has the spaces) and data. */
const fileOf = (header: string, data: ArrayLike<number> = []): Uint8Array => {
  const h = textEncoder.encode(header)
  const out = new Uint8Array(8 + h.length + data.length)
  out.set(u64(h.length))
  out.set(h, 8)
  out.set(Array.from(data), 8 + h.length)
  return out
}

const rightOf = (bytes: Uint8Array): SafetensorsFile => {
  const r = decode(bytes)
  if (E.isLeft(r)) throw new Error(`expected Right, got ${renderSafetensorsError(r.left)}`)
  return r.right
}

const leftOf = (bytes: Uint8Array): SafetensorsError => {
  const r = decode(bytes)
  if (E.isRight(r)) throw new Error("expected Left, got Right")
  return r.left
}

const expectSameTensors = (
  a: Readonly<Record<string, Tensor>>,
  b: Readonly<Record<string, Tensor>>,
) => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort())
  for (const k of Object.keys(a)) {
    const x = a[k]!
    const y = b[k]!
    expect(y.dtype).toBe(x.dtype)
    expect(y.shape).toEqual(x.shape)
    expect(bytesOf(y)).toEqual(bytesOf(x))
  }
}

const expectSameMetadata = (
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
) => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort())
  for (const k of Object.keys(a)) expect(b[k]).toBe(a[k])
}

const headerText = (bytes: Uint8Array): string => {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
  return strictDecoder.decode(bytes.subarray(8, 8 + n))
}

// ---------------------------------------------------------------------------------------------
// arbitraries
// ---------------------------------------------------------------------------------------------

const dtypeArb = fc.constantFrom<DType>("float32", "float64", "int32")
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 })

// Random bytes cover every bit pattern: NaN payloads, -0, subnormals, infinities.
const tensorArb: fc.Arbitrary<Tensor> = fc.tuple(dtypeArb, shapeArb).chain(([dtype, shape]) => {
  const n = shape.reduce((a, b) => a * b, 1) * itemSizes[dtype]
  return fc
    .uint8Array({ minLength: n, maxLength: n })
    .map((bytes) => tensorOfBytes(dtype, shape, bytes))
})

const trickyNames = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "prototype",
  "",
  "0",
  "10",
  "layers.0.w",
  "\u{1F600}",
  "\uFFFF",
  "\uE000",
  'quote"back\\slash',
  "new\nline\u0000",
]
const keyArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom(...trickyNames),
)
const nameArb = keyArb.filter((k) => k !== "__metadata__")

const tensorsArb = fc
  .uniqueArray(fc.tuple(nameArb, tensorArb), { selector: (e) => e[0], maxLength: 6 })
  .map(recordOf)

const metadataArb = fc
  .uniqueArray(fc.tuple(keyArb, fc.string({ unit: "binary", maxLength: 12 })), {
    selector: (e) => e[0],
    maxLength: 4,
  })
  .map(recordOf)

// ---------------------------------------------------------------------------------------------
// round trips
// ---------------------------------------------------------------------------------------------

describe("round trips", () => {
  it("decode(encode(tensors, metadata)) gives back the same tensors and metadata, bit for bit", () => {
    fc.assert(
      fc.property(tensorsArb, metadataArb, (tensors, metadata) => {
        const file = rightOf(encode(tensors, metadata))
        expectSameTensors(tensors, file.tensors)
        expectSameMetadata(metadata, file.metadata)
      }),
    )
  })

  it("encoding depends only on the contents, not on key order or where storage sits", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(nameArb, tensorArb), { selector: (e) => e[0], maxLength: 5 }),
        fc.uniqueArray(fc.tuple(keyArb, fc.string()), { selector: (e) => e[0], maxLength: 4 }),
        (tensors, metadata) => {
          // Same values, storage moved to an offset inside a bigger buffer.
          const moved = tensors.map(([k, x]): [string, Tensor] => {
            const buffer = new ArrayBuffer(x.data.byteLength + 16)
            new Uint8Array(buffer, 8, x.data.byteLength).set(bytesOf(x))
            const n = x.data.length
            const data =
              x.dtype === "float32"
                ? new Float32Array(buffer, 8, n)
                : x.dtype === "float64"
                  ? new Float64Array(buffer, 8, n)
                  : new Int32Array(buffer, 8, n)
            return [k, new Tensor(x.dtype, x.shape, data)]
          })
          const a = encode(recordOf(tensors), recordOf(metadata))
          const b = encode(recordOf([...moved].reverse()), recordOf([...metadata].reverse()))
          expect(b).toEqual(a)
        },
      ),
    )
  })

  it("writes the reference layout: metadata first, F64 then F32 then I32 by UTF-8 name, aligned", () => {
    const utf8Less = (a: string, b: string): number => {
      const x = textEncoder.encode(a)
      const y = textEncoder.encode(b)
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
      return x.length - y.length
    }
    const rank = { F64: 0, F32: 1, I32: 2 } as Record<string, number>
    fc.assert(
      fc.property(tensorsArb, metadataArb, (tensors, metadata) => {
        const bytes = encode(tensors, metadata)
        const n = new DataView(bytes.buffer).getUint32(0, true)
        expect(n % 8).toBe(0)
        const text = headerText(bytes)
        expect(textEncoder.encode(text.trimEnd()).length).toBeGreaterThan(n - 8)
        const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: number[] }>
        const keys = Object.keys(header).filter((k) => k !== "__metadata__")
        // In the reference order, each tensor starts where the one before it ends.
        const expected = [...keys].sort(
          (a, b) => rank[header[a]!.dtype]! - rank[header[b]!.dtype]! || utf8Less(a, b),
        )
        let end = 0
        for (const k of expected) {
          expect(header[k]!.data_offsets[0]).toBe(end)
          end = header[k]!.data_offsets[1]!
        }
        expect(8 + n + end).toBe(bytes.length)
        for (const k of keys) {
          const size = header[k]!.dtype === "F64" ? 8 : 4
          expect((8 + n + header[k]!.data_offsets[0]!) % size).toBe(0)
        }
        expect(text.startsWith('{"__metadata__"')).toBe(Object.keys(metadata).length > 0)
      }),
    )
  })

  it("keeps -0, infinities and NaN payloads (quiet and signalling) exactly", () => {
    const f32 = new Float32Array(
      new Uint32Array([0x80000000, 0x7fc00001, 0x7f800001, 0xffffffff, 0x7f800000, 0x00000001])
        .buffer,
    )
    const f64bits = new Uint32Array([
      0, 0x80000000, 1, 0x7ff00000, 0x123, 0xfff80000, 0, 0x7ff00000,
    ])
    const f64 = new Float64Array(f64bits.buffer)
    const tensors = {
      a: new Tensor("float32", [6], f32),
      b: new Tensor("float64", [2, 2], f64),
      c: new Tensor("int32", [], new Int32Array([-2147483648])),
    }
    const back = rightOf(encode(tensors)).tensors
    expect(new Uint32Array(back.a!.data.buffer)).toEqual(new Uint32Array(f32.buffer))
    expect(new Uint32Array(back.b!.data.buffer)).toEqual(f64bits)
    expect(Object.is(back.a!.data[0], -0)).toBe(true)
    expect(back.c!.data[0]).toBe(-2147483648)
    expect(back.c!.shape).toEqual([])
  })

  it("treats __proto__, constructor and friends as ordinary names without touching prototypes", () => {
    const x = new Tensor("float32", [1], new Float32Array([7]))
    const y = new Tensor("int32", [0], new Int32Array(0))
    const tensors = { ["__proto__"]: x, constructor: y }
    const metadata = { ["__proto__"]: "p", toString: "s" }
    const file = rightOf(encode(tensors, metadata))
    expect(Object.getPrototypeOf(file.tensors)).toBe(null)
    expect(Object.getPrototypeOf(file.metadata)).toBe(null)
    expect(Object.hasOwn(file.tensors, "__proto__")).toBe(true)
    expect(Object.keys(file.tensors).sort()).toEqual(["__proto__", "constructor"])
    expectSameTensors(tensors, file.tensors)
    expect(file.metadata["__proto__"]).toBe("p")
    // A lookup of an absent name finds nothing, not Object.prototype's members.
    const [toStringKey, hasOwnKey]: string[] = ["toString", "hasOwnProperty"]
    expect(file.metadata[toStringKey!]).toBe("s")
    expect(file.tensors[hasOwnKey!]).toBe(undefined)
    expect(({} as Record<string, unknown>)["dtype"]).toBe(undefined)
    expect(Object.prototype).not.toHaveProperty("data_offsets")

    // A header written by someone else with these keys.
    const handmade = fileOf(
      '{"__proto__":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"__proto__":"x"}}',
      [5, 0, 0, 0],
    )
    const h = rightOf(handmade)
    expect(h.tensors["__proto__"]!.data).toEqual(new Int32Array([5]))
    expect(h.metadata["__proto__"]).toBe("x")
    expect(({} as Record<string, unknown>)["shape"]).toBe(undefined)
  })

  it("returns tensors that do not alias the input, whatever its alignment", () => {
    fc.assert(
      fc.property(
        tensorsArb,
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        (tensors, shift, extraSpaces) => {
          // Re-pad the header so the data starts at every alignment, inside a shifted view.
          const bytes = encode(tensors)
          const n = new DataView(bytes.buffer).getUint32(0, true)
          const text = headerText(bytes).trimEnd() + " ".repeat(extraSpaces)
          const file = fileOf(text, bytes.subarray(8 + n))
          const holder = new Uint8Array(file.length + shift)
          holder.set(file, shift)
          const input = holder.subarray(shift)
          const decoded = rightOf(input).tensors
          expectSameTensors(tensors, decoded)
          holder.fill(0xaa)
          expectSameTensors(tensors, decoded)
          for (const x of Object.values(decoded)) expect(x.data.buffer).not.toBe(holder.buffer)
        },
      ),
      { numRuns: 50 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// interoperability: files written by hand from the specification
// ---------------------------------------------------------------------------------------------

describe("the byte layout of the specification", () => {
  it("matches a hand-written F32 file byte for byte, both ways", () => {
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}'
    expect(header.length).toBe(65)
    const expected = Uint8Array.from([
      ...[72, 0, 0, 0, 0, 0, 0, 0],
      ...ascii(header),
      ...[32, 32, 32, 32, 32, 32, 32],
      ...[0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64], // 0, 1, 2
      ...[0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64], // 3, 4, 5
    ])
    const attn0 = new Tensor("float32", [1, 1, 2, 3], new Float32Array([0, 1, 2, 3, 4, 5]))
    expect(encode({ attn0 })).toEqual(expected)
    const file = rightOf(expected)
    expect(file.tensors.attn0!.shape).toEqual([1, 1, 2, 3])
    expect(Array.from(file.tensors.attn0!.data)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it("reads an unpadded I32 file and writes the padded form", () => {
    const header = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'
    const data = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    const unpadded = Uint8Array.from([60, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), ...data])
    const file = rightOf(unpadded)
    expect(file.tensors.test!.dtype).toBe("int32")
    expect(Array.from(file.tensors.test!.data)).toEqual([0, 0, 0, 1])
    expect(encode(file.tensors)).toEqual(
      Uint8Array.from([64, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), 32, 32, 32, 32, ...data]),
    )
  })

  it("writes an empty file and metadata-only file as the specification lays them out", () => {
    expect(encode({})).toEqual(
      Uint8Array.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]),
    )
    const header = '{"__metadata__":{"framework":"pt"}}'
    expect(encode({}, { framework: "pt" })).toEqual(
      Uint8Array.from([40, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), 32, 32, 32, 32, 32]),
    )
    const file = rightOf(encode({}, { framework: "pt" }))
    expect(Object.keys(file.tensors)).toEqual([])
    expect(file.metadata.framework).toBe("pt")
  })

  it("orders F64 before I32 and writes little-endian", () => {
    const tensors = {
      a: new Tensor("int32", [2], new Int32Array([-1, 258])),
      z: new Tensor("float64", [], new Float64Array([1.5])),
    }
    const header =
      '{"z":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}}'
    expect(header.length).toBe(107)
    const expected = Uint8Array.from([
      ...[112, 0, 0, 0, 0, 0, 0, 0],
      ...ascii(header),
      ...[32, 32, 32, 32, 32],
      ...[0, 0, 0, 0, 0, 0, 248, 63], // 1.5
      ...[255, 255, 255, 255, 2, 1, 0, 0], // -1, 258
    ])
    expect(encode(tensors)).toEqual(expected)
  })

  it("reads JSON written differently: whitespace, escapes, extra fields, null metadata", () => {
    const header =
      '{ "w\\u00e9" : { "data_offsets" : [ 0 , 4 ], "shape" : [ ], "dtype" : "F32", "extra": {"x": [1]} },\n' +
      '  "__metadata__": null }\n\t  '
    const file = rightOf(fileOf(header, [0, 0, 128, 191]))
    expect(Array.from(file.tensors["wé"]!.data)).toEqual([-1])
    expect(Object.keys(file.metadata)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// types read by widening
// ---------------------------------------------------------------------------------------------

describe("widening reads", () => {
  const all16 = (): Uint8Array => {
    const b = new Uint8Array(2 * 65536)
    for (let i = 0; i < 65536; i++) {
      b[2 * i] = i & 0xff
      b[2 * i + 1] = i >> 8
    }
    return b
  }
  const read16 = (dtype: string): TypedArray =>
    rightOf(
      fileOf(`{"x":{"dtype":"${dtype}","shape":[256,256],"data_offsets":[0,131072]}}`, all16()),
    ).tensors.x!.data

  /** The 16-bit patterns whose value differs from `ref` (compared with Object.is). */
  const mismatches = (data: TypedArray, ref: (h: number) => number): number[] => {
    const bad: number[] = []
    for (let h = 0; h < 65536; h++) if (!Object.is(data[h], ref(h))) bad.push(h)
    return bad
  }

  it("reads every F16 value exactly into float32, NaN payloads included", () => {
    const data = read16("F16")
    expect(data).toBeInstanceOf(Float32Array)
    const f16 = (h: number): number => {
      const s = h >> 15 ? -1 : 1
      const e = (h >> 10) & 31
      const m = h & 1023
      if (e === 31) return m === 0 ? s * Infinity : NaN
      return e === 0 ? s * m * 2 ** -24 : s * 2 ** (e - 15) * (1 + m / 1024)
    }
    expect(mismatches(data, f16)).toEqual([])
    // A NaN keeps its sign and payload, shifted into the top of the float32 mantissa.
    const bits = new Uint32Array(data.buffer)
    const badNaN: number[] = []
    for (let h = 0; h < 65536; h++)
      if (((h >> 10) & 31) === 31 && (h & 1023) !== 0)
        if (bits[h] !== (h >> 15) * 0x80000000 + 0x7f800000 + (h & 1023) * 8192) badNaN.push(h)
    expect(badNaN).toEqual([])
    expect(halfToSingleBits(0x3c00)).toBe(0x3f800000)
  })

  it("reads every BF16 value exactly into float32", () => {
    const bf16 = (h: number): number => {
      const s = h >> 15 ? -1 : 1
      const e = (h >> 7) & 255
      const m = h & 127
      if (e === 255) return m === 0 ? s * Infinity : NaN
      return e === 0 ? s * m * 2 ** -133 : s * 2 ** (e - 127) * (1 + m / 128)
    }
    expect(mismatches(read16("BF16"), bf16)).toEqual([])
  })

  it("reads every 8- and 16-bit integer into int32", () => {
    const i16 = read16("I16")
    expect(i16).toBeInstanceOf(Int32Array)
    expect(mismatches(i16, (k) => (k < 32768 ? k : k - 65536))).toEqual([])
    expect(mismatches(read16("U16"), (k) => k)).toEqual([])
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    const file = rightOf(
      fileOf(
        '{"s":{"dtype":"I8","shape":[256],"data_offsets":[0,256]},"u":{"dtype":"U8","shape":[16,16],"data_offsets":[256,512]}}',
        [...bytes, ...bytes],
      ),
    )
    expect(Array.from(file.tensors.u!.data)).toEqual(Array.from(bytes))
    expect(Array.from(file.tensors.s!.data)).toEqual(
      Array.from(bytes, (b) => (b < 128 ? b : b - 256)),
    )
    expect(file.tensors.u!.shape).toEqual([16, 16])
  })

  it("swaps bytes per element on a big-endian host and copies as-is on a little-endian one", () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    const dst = new Uint8Array(8)
    copyLittleEndian(src, dst, 4, false)
    expect(Array.from(dst)).toEqual([4, 3, 2, 1, 8, 7, 6, 5])
    copyLittleEndian(src, dst, 8, false)
    expect(Array.from(dst)).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
    copyLittleEndian(src, dst, 4, true)
    expect(Array.from(dst)).toEqual(Array.from(src))
  })
})

// ---------------------------------------------------------------------------------------------
// bad input
// ---------------------------------------------------------------------------------------------

const tagOf = (bytes: Uint8Array): string => leftOf(bytes)._tag

describe("bad input", () => {
  const small = encode(
    {
      a: new Tensor("float32", [2], new Float32Array([1, 2])),
      ["__proto__"]: new Tensor("float64", [], new Float64Array([3])),
      b: new Tensor("int32", [1, 2], new Int32Array([4, 5])),
      e: new Tensor("int32", [0, 3], new Int32Array(0)),
    },
    { k: "v" },
  )

  it("refuses every truncation of a valid file, saying what is missing", () => {
    const n = new DataView(small.buffer).getUint32(0, true)
    for (let len = 0; len < small.length; len++) {
      const tag = tagOf(small.slice(0, len))
      expect(tag).toBe(len < 8 ? "TooShort" : len < 8 + n ? "HeaderTruncated" : "BadOffsets")
    }
    expect(E.isRight(decode(small))).toBe(true)
  })

  it("refuses trailing bytes as a gap after the last tensor", () => {
    const e = leftOf(Uint8Array.from([...small, 0, 0, 0]))
    expect(e).toEqual({ _tag: "Gap", begin: 24, end: 27, after: "e", before: undefined })
  })

  it("never throws on corrupted files, and whatever it accepts round-trips", () => {
    const edit = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), byte: fc.constant(0) }),
    )
    fc.assert(
      fc.property(
        tensorsArb,
        metadataArb,
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (tensors, metadata, edits) => {
          const bytes = [...encode(tensors, metadata)]
          for (const { kind, at, byte } of edits) {
            const i = at % (bytes.length + 1)
            if (kind === "set") bytes[Math.min(i, bytes.length - 1)] = byte
            else if (kind === "insert") bytes.splice(i, 0, byte)
            else bytes.splice(i, 1)
          }
          const r = decode(Uint8Array.from(bytes))
          if (E.isLeft(r)) expect(renderSafetensorsError(r.left).length).toBeGreaterThan(0)
          else {
            const again = rightOf(encode(r.right.tensors, r.right.metadata))
            expectSameTensors(r.right.tensors, again.tensors)
            expectSameMetadata(r.right.metadata, again.metadata)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it("never throws on arbitrary bytes or arbitrary JSON headers", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = decode(bytes)
        if (E.isLeft(r)) renderSafetensorsError(r.left)
      }),
    )
    fc.assert(
      fc.property(fc.jsonValue(), fc.uint8Array({ maxLength: 16 }), (json, data) => {
        const r = decode(fileOf(JSON.stringify(json) ?? "", data))
        if (E.isLeft(r)) renderSafetensorsError(r.left)
      }),
    )
    expect(E.isLeft(decode(undefined as unknown as Uint8Array))).toBe(true)
  })

  it("agrees with a byte-ownership model of which headers are valid", () => {
    const sizes: Record<string, number> = Object.fromEntries(
      "F32:4 F64:8 I32:4 F16:2 BF16:2 I8:1 U8:1 I16:2 U16:2 I64:8 U32:4 BOOL:1 F8_E4M3:1 f32:4"
        .split(" ")
        .map((p) => [p.split(":")[0]!, Number(p.split(":")[1])]),
    )
    const readable = new Set(["F32", "F64", "I32", "F16", "BF16", "I8", "U8", "I16", "U16"])
    const entryArb = fc.record({
      dtype: fc.oneof(
        { arbitrary: fc.constantFrom(...readable), weight: 6 },
        {
          arbitrary: fc.constantFrom(...Object.keys(sizes).filter((d) => !readable.has(d))),
          weight: 1,
        },
      ),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      // Offsets are laid out contiguously, then perhaps shifted or stretched.
      shift: fc.oneof(fc.constant(0), fc.integer({ min: -4, max: 4 })),
      stretch: fc.oneof(
        fc.constant(0),
        fc.constant(0),
        fc.constant(0),
        fc.integer({ min: -2, max: 2 }),
      ),
    })
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 4 }),
        fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })),
        fc.boolean(),
        (entries, nudgeLength, reversed) => {
          let at = 0
          const laid = entries.map((e, i) => {
            const n = e.shape.reduce((a, b) => a * b, 1) * sizes[e.dtype]!
            const begin = Math.max(0, at + e.shift)
            const end = Math.max(0, at + n + e.shift + e.stretch)
            at += n
            return { name: `t${i}`, dtype: e.dtype, shape: e.shape, begin, end, n }
          })
          const dataLength = Math.max(0, ...laid.map((t) => t.end + nudgeLength))
          const header = JSON.stringify(
            Object.fromEntries(
              (reversed ? [...laid].reverse() : laid).map((t) => [
                t.name,
                { dtype: t.dtype, shape: t.shape, data_offsets: [t.begin, t.end] },
              ]),
            ),
          )
          // The model: each tensor alone is sound, every data byte has exactly one owner, and
          // every empty tensor sits on a boundary between owned runs.
          const alone = laid.every(
            (t) =>
              readable.has(t.dtype) &&
              t.begin <= t.end &&
              t.end <= dataLength &&
              t.end - t.begin === t.n,
          )
          const owners = new Array<number>(dataLength).fill(0)
          for (const t of laid)
            for (let b = t.begin; b < Math.min(t.end, dataLength); b++) owners[b]!++
          const boundaries = new Set([0, ...laid.filter((t) => t.end > t.begin).map((t) => t.end)])
          const tiled =
            owners.every((c) => c === 1) &&
            laid.every((t) => t.end > t.begin || boundaries.has(t.begin))
          const r = decode(fileOf(header, new Uint8Array(dataLength)))
          expect(E.isRight(r)).toBe(alone && tiled)
          if (E.isLeft(r))
            expect(r.left._tag).toSatisfy((tag: string) =>
              alone
                ? tag === "Overlap" || tag === "Gap"
                : ["UnsupportedDtype", "BadOffsets", "ShapeMismatch"].includes(tag),
            )
        },
      ),
      { numRuns: 500 },
    )
  })

  it("names the problem in each hand-made bad file", () => {
    const entry = (dtype: string, shape: string, offsets: string) =>
      `{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}`
    const one = (e: string, data: number[] = []) => fileOf(`{"a":${e}}`, data)
    const cases: Array<[string, Uint8Array, string]> = [
      ["empty", new Uint8Array(0), "TooShort"],
      ["seven bytes", new Uint8Array(7), "TooShort"],
      ["header over 100 MB", Uint8Array.from(u64(maxHeaderLength + 1)), "HeaderTooLarge"],
      ["header length 2^64 - 1", new Uint8Array(8).fill(255), "HeaderTooLarge"],
      ["header past the end", Uint8Array.from([...u64(10), ...ascii("{}   ")]), "HeaderTruncated"],
      ["invalid byte", Uint8Array.from([...u64(3), 0x7b, 0xff, 0x7d]), "HeaderNotUtf8"],
      ["overlong NUL", Uint8Array.from([...u64(4), 0x7b, 0xc0, 0x80, 0x7d]), "HeaderNotUtf8"],
      [
        "encoded surrogate",
        Uint8Array.from([...u64(5), 0x7b, 0xed, 0xa0, 0x80, 0x7d]),
        "HeaderNotUtf8",
      ],
      [
        "above U+10FFFF",
        Uint8Array.from([...u64(6), 0x7b, 0xf4, 0x90, 0x80, 0x80, 0x7d]),
        "HeaderNotUtf8",
      ],
      ["cut sequence", Uint8Array.from([...u64(3), 0x7b, 0xe2, 0x82]), "HeaderNotUtf8"],
      ["empty header", Uint8Array.from(u64(0)), "HeaderNotObject"],
      ["leading space", fileOf(" {}"), "HeaderNotObject"],
      ["array", fileOf("[]"), "HeaderNotObject"],
      ["byte order mark", fileOf("\uFEFF{}"), "HeaderNotObject"],
      ["unterminated", fileOf('{"a":'), "HeaderNotJson"],
      ["trailing garbage", fileOf("{} x"), "HeaderNotJson"],
      ["NUL padding", fileOf("{}\u0000\u0000"), "HeaderNotJson"],
      ["negative dim", one(entry("F32", "[-1]", "[0,0]")), "HeaderInvalid"],
      ["fractional dim", one(entry("F32", "[1.5]", "[0,6]")), "HeaderInvalid"],
      ["huge offset", one(entry("F32", "[1]", "[0,1e300]")), "HeaderInvalid"],
      ["one offset", one(entry("F32", "[1]", "[0]"), [0, 0, 0, 0]), "HeaderInvalid"],
      ["three offsets", one(entry("F32", "[1]", "[0,4,8]"), [0, 0, 0, 0]), "HeaderInvalid"],
      ["string offsets", one(entry("F32", "[1]", '["0","4"]'), [0, 0, 0, 0]), "HeaderInvalid"],
      ["no dtype", one('{"shape":[1],"data_offsets":[0,4]}', [0, 0, 0, 0]), "HeaderInvalid"],
      [
        "numeric dtype",
        one('{"dtype":4,"shape":[1],"data_offsets":[0,4]}', [0, 0, 0, 0]),
        "HeaderInvalid",
      ],
      ["entry not an object", fileOf('{"a":3}'), "HeaderInvalid"],
      ["metadata not strings", fileOf('{"__metadata__":{"k":1}}'), "HeaderInvalid"],
      ["metadata an array", fileOf('{"__metadata__":["x"]}'), "HeaderInvalid"],
      [
        "lone surrogate key",
        fileOf('{"\\ud800":' + entry("F32", "[0]", "[0,0]") + "}"),
        "HeaderInvalid",
      ],
      ["lone surrogate value", fileOf('{"__metadata__":{"k":"\\udc00"}}'), "HeaderInvalid"],
      ["I64", one(entry("I64", "[1]", "[0,8]"), [0, 0, 0, 0, 0, 0, 0, 0]), "UnsupportedDtype"],
      ["lower-case dtype", one(entry("f32", "[1]", "[0,4]"), [0, 0, 0, 0]), "UnsupportedDtype"],
      ["BOOL", one(entry("BOOL", "[1]", "[0,1]"), [1]), "UnsupportedDtype"],
      ["reversed offsets", one(entry("F32", "[1]", "[4,0]"), [0, 0, 0, 0]), "BadOffsets"],
      ["past the data", one(entry("F32", "[2]", "[0,8]"), [0, 0, 0, 0]), "BadOffsets"],
      ["short range", one(entry("F32", "[2]", "[0,4]"), [0, 0, 0, 0]), "ShapeMismatch"],
      ["empty shape, bytes", one(entry("F32", "[0,5]", "[0,4]"), [0, 0, 0, 0]), "ShapeMismatch"],
      [
        "overflowing shape",
        one(entry("F64", "[4294967296,4294967296]", "[0,8]"), [0, 0, 0, 0, 0, 0, 0, 0]),
        "ShapeMismatch",
      ],
      ["no tensors, some data", fileOf("{}", [0, 0]), "Gap"],
    ]
    for (const [what, bytes, tag] of cases) expect([what, tagOf(bytes)]).toEqual([what, tag])
  })

  it("reports the numbers and names that explain each layout error", () => {
    const two = (a: string, b: string, data: number) =>
      fileOf(
        `{"a":{"dtype":"F32","shape":[2],"data_offsets":${a}},"b":{"dtype":"F32","shape":[2],"data_offsets":${b}}}`,
        new Uint8Array(data),
      )
    expect(leftOf(two("[0,8]", "[4,12]", 12))).toEqual({
      _tag: "Overlap",
      tensor: "b",
      range: [4, 12],
      other: "a",
      otherRange: [0, 8],
    })
    expect(leftOf(two("[0,8]", "[12,20]", 20))).toEqual({
      _tag: "Gap",
      begin: 8,
      end: 12,
      after: "a",
      before: "b",
    })
    expect(leftOf(two("[4,12]", "[12,20]", 20))).toEqual({
      _tag: "Gap",
      begin: 0,
      end: 4,
      after: undefined,
      before: "a",
    })
    expect(leftOf(two("[0,8]", "[8,16]", 20))).toEqual({
      _tag: "Gap",
      begin: 16,
      end: 20,
      after: "b",
      before: undefined,
    })
    expect(leftOf(two("[0,8]", "[0,8]", 8))._tag).toBe("Overlap")
    const inside = fileOf(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"I32","shape":[0],"data_offsets":[4,4]}}',
      new Uint8Array(8),
    )
    expect(leftOf(inside)).toMatchObject({ _tag: "Overlap", tensor: "e", other: "a" })
    const empties = fileOf(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"I32","shape":[0],"data_offsets":[4,4]},' +
        '"f":{"dtype":"F64","shape":[3,0],"data_offsets":[0,0]},"g":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}',
      new Uint8Array(4),
    )
    expect(Object.keys(rightOf(empties).tensors).sort()).toEqual(["a", "e", "f", "g"])
    expect(
      leftOf(fileOf('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}', new Uint8Array(12))),
    ).toEqual({
      _tag: "ShapeMismatch",
      tensor: "a",
      dtype: "F32",
      shape: [2],
      expectedBytes: 8,
      actualBytes: 12,
    })
    const invalid = leftOf(
      fileOf('{"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0]},"__metadata__":{"k":5}}'),
    )
    expect(invalid).toEqual({
      _tag: "HeaderInvalid",
      problems: [
        { path: '["w"].shape[1]', expected: "non-negative integer", actual: "-3" },
        {
          path: '["w"].data_offsets',
          expected: "[begin, end] of non-negative integers",
          actual: "[0]",
        },
        { path: '["__metadata__"]["k"]', expected: "string", actual: "5" },
      ],
      total: 3,
    })
    expect(leftOf(fileOf('{"__metadata__":["x"]}'))).toEqual({
      _tag: "HeaderInvalid",
      problems: [{ path: '["__metadata__"]', expected: "object of strings", actual: '["x"]' }],
      total: 1,
    })
    expect(leftOf(Uint8Array.from([...u64(4), 0x7b, 0x22, 0xff, 0x7d]))).toEqual({
      _tag: "HeaderNotUtf8",
      offset: 2,
      byte: 0xff,
    })
  })

  it("keeps a few header problems and counts the rest, one per bad shape", () => {
    const bad = `{"dtype":"F32","shape":[${new Array(2000).fill(-1).join(",")}],"data_offsets":[0,0]}`
    const names = Array.from({ length: 300 }, (_, i) => `"t${i}":${bad}`)
    const e = leftOf(fileOf(`{${names.join(",")}}`))
    expect(e._tag === "HeaderInvalid" && [e.total, e.problems.length]).toEqual([300, 20])
    expect(renderSafetensorsError(e)).toMatch(/; and 297 more$/)
  })

  it("survives headers nested too deeply to print", () => {
    const deep = "[".repeat(100000) + "]".repeat(100000)
    const r = decode(
      fileOf(`{"a":{"dtype":${deep},"shape":[],"data_offsets":[0,4]}}`, [0, 0, 0, 0]),
    )
    expect(E.isLeft(r)).toBe(true)
    if (E.isLeft(r)) expect(typeof renderSafetensorsError(r.left)).toBe("string")
  })
})

// ---------------------------------------------------------------------------------------------
// messages for people
// ---------------------------------------------------------------------------------------------

describe("rendered errors", () => {
  it("say which tensor, which numbers", () => {
    expect(
      renderSafetensorsError({
        _tag: "ShapeMismatch",
        tensor: "layers.0.w",
        dtype: "F32",
        shape: [784, 16],
        expectedBytes: 50176,
        actualBytes: 50172,
      }),
    ).toBe(
      'tensor "layers.0.w": shape [784, 16] needs 50176 bytes but data_offsets give 50172 (F32, 4 bytes each)',
    )
    expect(renderSafetensorsError({ _tag: "TooShort", length: 3 })).toBe(
      "the buffer is 3 bytes long, too short for the 8-byte header-length prefix",
    )
    expect(
      renderSafetensorsError({ _tag: "Gap", begin: 8, end: 12, after: "a", before: "b" }),
    ).toBe('data bytes [8, 12) belong to no tensor (between tensor "a" and tensor "b")')
    expect(
      renderSafetensorsError({ _tag: "BadOffsets", tensor: "x", begin: 0, end: 9, dataLength: 8 }),
    ).toBe('tensor "x": data_offsets [0, 9] run past the end of the 8-byte data buffer')
    expect(
      renderSafetensorsError(
        leftOf(fileOf('{"a":{"dtype":"U64","shape":[],"data_offsets":[0,8]}}', new Uint8Array(8))),
      ),
    ).toBe(
      'tensor "a": dtype "U64" is not supported (fnn reads F64, F32, I32, F16, BF16, I16, U16, I8, U8)',
    )
    expect(
      renderSafetensorsError(
        leftOf(
          fileOf(
            '{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}',
            new Uint8Array(8),
          ),
        ),
      ),
    ).toContain("needs more than 9007199254740991 bytes")
  })

  it("summarise many header problems in one sentence", () => {
    const header = `{${Array.from({ length: 5 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}`).join(",")}}`
    const text = renderSafetensorsError(leftOf(fileOf(header)))
    expect(text).toBe(
      'the header is malformed: at ["t0"].shape[0] expected non-negative integer but found -1; ' +
        'at ["t1"].shape[0] expected non-negative integer but found -1; ' +
        'at ["t2"].shape[0] expected non-negative integer but found -1; and 2 more',
    )
    expect(text).not.toContain("\n")
  })

  it("exist for every error a corrupted file produces", () => {
    const seen = new Set<string>()
    const files = [
      new Uint8Array(2),
      new Uint8Array(8).fill(255),
      Uint8Array.from(u64(9)),
      Uint8Array.from([...u64(1), 0xff]),
      fileOf("[]"),
      fileOf("{,}"),
      fileOf('{"a":1}'),
      fileOf('{"a":{"dtype":"X","shape":[],"data_offsets":[0,0]}}'),
      fileOf('{"a":{"dtype":"F32","shape":[],"data_offsets":[4,0]}}'),
      fileOf('{"a":{"dtype":"F32","shape":[],"data_offsets":[0,0]}}'),
      fileOf(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        [0, 0, 0, 0],
      ),
      fileOf("{}", [1]),
    ]
    for (const f of files) {
      const e = leftOf(f)
      seen.add(e._tag)
      const text = renderSafetensorsError(e)
      expect(text.length).toBeGreaterThan(20)
      expect(text).not.toContain("undefined")
    }
    expect(seen.size).toBe(files.length)
  })
})

// ---------------------------------------------------------------------------------------------
// encoder misuse
// ---------------------------------------------------------------------------------------------

describe("encode refuses programmer errors", () => {
  const x = new Tensor("float32", [1], new Float32Array([1]))
  const bad: Array<[string, () => unknown]> = [
    ["a tensor named __metadata__", () => encode({ __metadata__: x })],
    [
      "a value that is not a Tensor",
      () =>
        encode({
          a: { dtype: "float32", shape: [1], data: new Float32Array(1) } as unknown as Tensor,
        }),
    ],
    [
      "a metadata value that is not a string",
      () => encode({ a: x }, { n: 3 } as unknown as Record<string, string>),
    ],
    ["a name with a lone surrogate", () => encode({ "\ud800": x })],
    ["a metadata key with a lone surrogate", () => encode({}, { "\udc00": "v" })],
    [
      "storage shorter than the shape",
      () => encode({ a: new Tensor("float32", [3], new Float32Array(2)) }),
    ],
    [
      "storage of another dtype",
      () => encode({ a: new Tensor("float32", [1], new Float64Array(1)) }),
    ],
    [
      "a shape with a negative size",
      () => encode({ a: new Tensor("float32", [-1], new Float32Array(0)) }),
    ],
    ["tensors that are not a record", () => encode(null as unknown as Record<string, Tensor>)],
  ]
  for (const [what, f] of bad)
    it(`throws a TensorError for ${what}`, () => {
      expect(f).toThrow(TensorError)
      expect(f).toThrow(/^safetensors\.encode: /)
    })
})

// ---------------------------------------------------------------------------------------------
// UTF-8
// ---------------------------------------------------------------------------------------------

describe("header UTF-8", () => {
  // Bytes biased towards the edges of multi-byte sequences.
  const byteArb = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(
      0x7f,
      0x80,
      0xbf,
      0xc0,
      0xc1,
      0xc2,
      0xdf,
      0xe0,
      0xed,
      0xef,
      0xf0,
      0xf4,
      0xf5,
      0x9f,
      0xa0,
      0x8f,
      0x90,
    ),
  )
  const mixedArb = fc
    .array(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 4 }).map((s) => [...textEncoder.encode(s)]),
        byteArb.map((b) => [b]),
      ),
      {
        maxLength: 12,
      },
    )
    .map((parts) => Uint8Array.from(parts.flat()))

  it("decodes exactly what a strict platform decoder decodes, and refuses the rest", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 16 }), mixedArb), (bytes) => {
        let expected: string | undefined
        try {
          expected = strictDecoder.decode(bytes)
        } catch {
          expected = undefined
        }
        // the JavaScript decoder on its own, and the one that uses the platform's when it can
        for (const decode of [utf8DecodeHere, utf8Decode]) {
          const r = decode(bytes)
          if (expected === undefined) {
            expect(r.ok).toBe(false)
            if (!r.ok) expect(decode(bytes.subarray(0, r.offset)).ok).toBe(true)
          } else expect(r).toEqual({ ok: true, text: expected })
        }
      }),
      { numRuns: 1000 },
    )
  })

  it("encodes well-formed strings as the platform encoder does", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(utf8Encode(s)).toEqual(textEncoder.encode(s))
      }),
    )
    const long = "\u{1F600}é".repeat(10000)
    expect(utf8Decode(utf8Encode(long))).toEqual({ ok: true, text: long })
    expect(utf8DecodeHere(utf8Encode(long))).toEqual({ ok: true, text: long })
    // a byte-order mark is part of the text, as the reference reads it
    expect(utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b))).toEqual({ ok: true, text: "\ufeff{" })
  })
})
