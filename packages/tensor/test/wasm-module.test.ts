import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { s32, u32 } from "../scripts/wasm-encoder.ts"
import { configs, encodeBase64, moduleBytes } from "../scripts/wasm-source.ts"
import { VECTOR_PAD, elementwiseModule } from "../scripts/wasm-elementwise.ts"
import { wasmApi } from "../src/kernels/wasm/api.ts"
import { decodeBase64 } from "../src/kernels/wasm/base64.ts"
import * as generated from "../src/kernels/wasm/gemm.generated.ts"
import * as generatedElementwise from "../src/kernels/wasm/elementwise.generated.ts"

const variants = [
  ["f32", false, generated.f32Module],
  ["f32", true, generated.f32ModuleShared],
  ["f64", false, generated.f64Module],
  ["f64", true, generated.f64ModuleShared],
] as const

describe("the checked-in GEMM modules", () => {
  it("are what the generator produces now (run `pnpm --filter @fnn/tensor gen:wasm`)", () => {
    for (const [type, shared, text] of variants)
      expect(text).toBe(encodeBase64(moduleBytes(type, shared)))
    const { type: _t32, ...f32 } = configs.f32
    const { type: _t64, ...f64 } = configs.f64
    expect(generated.f32Blocking).toEqual(f32)
    expect(generated.f64Blocking).toEqual(f64)
  })

  it("validate, and stay under 4 KiB so a browser main thread may compile them synchronously", () => {
    const api = wasmApi()!
    for (const [, , text] of variants) {
      const bytes = decodeBase64(text)
      expect(api.validate(bytes)).toBe(true)
      expect(bytes.length).toBeLessThan(4096)
    }
  })

  it("differ between shared and unshared memory only in the memory's flags byte", () => {
    for (const type of ["f32", "f64"] as const) {
      const a = moduleBytes(type, false)
      const b = moduleBytes(type, true)
      expect(a.length).toBe(b.length)
      const differing = a.reduce<number[]>((acc, x, i) => (x === b[i] ? acc : [...acc, i]), [])
      expect(differing.length).toBe(1)
      expect([a[differing[0]!], b[differing[0]!]]).toEqual([0x01, 0x03])
    }
  })

  it("keep the register tile within 15 vector registers and the blocks consistent", () => {
    for (const c of [configs.f32, configs.f64]) {
      const lanes = c.type === "f32" ? 4 : 2
      expect(c.nr % lanes).toBe(0)
      // accumulators + B vectors + A splats + one product
      expect((c.mr * c.nr) / lanes + c.nr / lanes + c.mr + 1).toBeLessThanOrEqual(15)
      expect(c.mc % c.mr).toBe(0)
      expect(c.kc % c.unroll).toBe(0)
    }
  })
})

describe("the checked-in elementwise module", () => {
  it("is what the generator produces now (run `pnpm --filter @fnn/tensor gen:wasm`)", () => {
    expect(generatedElementwise.elementwiseModule).toBe(encodeBase64(elementwiseModule()))
    expect(generatedElementwise.vectorPad).toBe(VECTOR_PAD)
  })

  it("validates, and stays under 4 KiB so a browser main thread may compile it synchronously", () => {
    const bytes = decodeBase64(generatedElementwise.elementwiseModule)
    expect(wasmApi()!.validate(bytes)).toBe(true)
    expect(bytes.length).toBeLessThan(4096)
  })
})

describe("base64", () => {
  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(Array.from(decodeBase64(encodeBase64(bytes)))).toEqual(Array.from(bytes))
      }),
    )
  })

  it("matches known encodings", () => {
    expect(encodeBase64(Uint8Array.from([0, 97, 115, 109]))).toBe("AGFzbQ==")
    expect(Array.from(decodeBase64("AGFzbQEAAAA="))).toEqual([0, 97, 115, 109, 1, 0, 0, 0])
  })

  it("rejects characters outside the alphabet", () => {
    expect(() => decodeBase64("AG-z")).toThrow(/not base64/)
    expect(() => decodeBase64("AGé")).toThrow(/not base64/)
  })
})

/** Reads a LEB128 number back (signed or not). */
const readLeb = (bytes: ReadonlyArray<number>, signed: boolean): number => {
  let result = 0
  let shift = 0
  let byte = 0
  let i = 0
  do {
    byte = bytes[i++]!
    result += (byte & 0x7f) * 2 ** shift
    shift += 7
  } while (byte & 0x80)
  expect(i).toBe(bytes.length)
  if (signed && byte & 0x40) result -= 2 ** shift
  return result
}

describe("the LEB128 encoder", () => {
  it("round-trips unsigned and signed 32-bit integers in as few bytes as needed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => {
        const bytes = u32(v)
        expect(readLeb(bytes, false)).toBe(v)
        expect(bytes.length).toBe(Math.max(1, Math.ceil(Math.log2(v + 1) / 7)))
      }),
    )
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        expect(readLeb(s32(v), true)).toBe(v)
      }),
    )
  })
})
