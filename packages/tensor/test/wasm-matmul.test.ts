import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import { referenceKernels } from "../src/kernels/index.ts"
import { wasmApi } from "../src/kernels/wasm/api.ts"
import type { GemmEngine } from "../src/kernels/wasm/engine.ts"
import { createEngine } from "../src/kernels/wasm/engine.ts"
import { wasmMatmul } from "../src/kernels/wasm/matmul.ts"
import { Tensor } from "../src/tensor.ts"
import {
  apply,
  dyadicArb,
  expectLikeReference,
  matmulCaseArb,
  moderateArb,
  recordingMemories,
  specialArb,
} from "./wasm-support.ts"

const engine = createEngine(wasmApi()!, { threads: 1, threadMinMacs: Infinity, coolDown: 0 })!
// every product goes to WebAssembly, however small
const kernel = wasmMatmul(engine, { minMacs: 0 })
afterAll(() => engine.dispose())

describe("the WebAssembly matmul kernel agrees with the reference kernel", () => {
  it("exists on this runtime", () => {
    expect(engine).toBeDefined()
    expect(engine.threads).toBe(1)
  })

  it("bit for bit on float32 values whose sums are exact", () => {
    fc.assert(
      fc.property(matmulCaseArb("float32", dyadicArb), (c) => expectLikeReference(kernel, c, true)),
      { numRuns: 200 },
    )
  })

  it("within float32 rounding on arbitrary finite values", () => {
    fc.assert(
      fc.property(matmulCaseArb("float32", moderateArb), (c) => expectLikeReference(kernel, c)),
      { numRuns: 150 },
    )
  })

  it("within float64 rounding on float64", () => {
    fc.assert(
      fc.property(matmulCaseArb("float64", moderateArb), (c) => expectLikeReference(kernel, c)),
      { numRuns: 150 },
    )
  })

  it("on NaN and infinities", () => {
    for (const dtype of ["float32", "float64"] as const)
      fc.assert(
        fc.property(matmulCaseArb(dtype, specialArb), (c) => expectLikeReference(kernel, c, true)),
        { numRuns: 60 },
      )
  })

  it("across the packing blocks (k > 256, m > 64, many column panels)", () => {
    fc.assert(
      fc.property(
        matmulCaseArb("float32", dyadicArb, { m: 140, k: 600, n: 70 }).filter(
          (c) => c.a.shape.length === 2,
        ),
        (c) => expectLikeReference(kernel, c, true),
      ),
      { numRuns: 12 },
    )
  })

  it("while its memory grows and is reused between products of changing sizes", () => {
    const sizes = fc.array(
      fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 90 })),
      {
        minLength: 2,
        maxLength: 5,
      },
    )
    fc.assert(
      fc.property(sizes, (pairs) => {
        for (const [m, k] of pairs) {
          const a = new Tensor(
            "float32",
            [m, k],
            Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3),
          )
          const b = new Tensor(
            "float32",
            [k, 9],
            Float32Array.from({ length: k * 9 }, (_, i) => (i % 5) - 2),
          )
          expectLikeReference(kernel, { a, b, transposeA: false, transposeB: false }, true)
        }
      }),
      { numRuns: 10 },
    )
  })
})

describe("the engine's private memory", () => {
  it("grows without detaching a buffer (a detach slows typed-array loops process-wide)", () => {
    const recording = recordingMemories(wasmApi()!)
    const own = createEngine(recording.api, { threads: 1, threadMinMacs: Infinity, coolDown: 0 })!
    const growing = wasmMatmul(own, { minMacs: 0 })
    // each product needs more memory than the last: 64 KiB pages run out at once
    for (const m of [8, 64, 256, 700]) {
      const a = new Tensor(
        "float32",
        [m, 96],
        Float32Array.from({ length: m * 96 }, (_, i) => i % 3),
      )
      const b = new Tensor(
        "float32",
        [96, m],
        Float32Array.from({ length: 96 * m }, (_, i) => i % 5),
      )
      expectLikeReference(growing, { a, b, transposeA: false, transposeB: false }, true)
    }
    own.dispose()
    // a detached buffer reads as 0 bytes long
    for (const buffer of recording.buffers) expect(buffer.byteLength).toBeGreaterThan(0)
    expect(recording.buffers.length).toBeGreaterThan(1)
  })
})

describe("the WebAssembly matmul kernel falls back to the reference kernel", () => {
  it("for int32, giving exactly the reference result", () => {
    fc.assert(
      fc.property(matmulCaseArb("int32", fc.integer({ min: -100, max: 100 })), (c) =>
        expectLikeReference(kernel, c, true),
      ),
      { numRuns: 50 },
    )
  })

  it("below the size threshold", () => {
    let calls = 0
    const counting: GemmEngine = {
      ...engine,
      product: (...args) => {
        calls++
        return engine.product(...args)
      },
    }
    const k = wasmMatmul(counting, { minMacs: 1000 })
    const small = new Tensor("float32", [3, 3], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))
    expect(
      Array.from(apply(k, { a: small, b: small, transposeA: false, transposeB: true }).data),
    ).toEqual(
      Array.from(
        apply(referenceKernels.matmul, { a: small, b: small, transposeA: false, transposeB: true })
          .data,
      ),
    )
    expect(calls).toBe(0)
    const big = new Tensor("float32", [10, 10], new Float32Array(100).fill(0.5))
    apply(k, { a: big, b: big, transposeA: false, transposeB: false })
    expect(calls).toBe(1)
  })

  it("when the engine declines, whatever it wrote", () => {
    const declining: GemmEngine = {
      ...engine,
      product: (_dtype, _a, _ao, _b, _bo, _m, _k, _n, _ta, _tb, out) => {
        out.fill(123)
        return false
      },
    }
    const k = wasmMatmul(declining, { minMacs: 0 })
    fc.assert(
      fc.property(matmulCaseArb("float32", dyadicArb), (c) => expectLikeReference(k, c, true)),
      { numRuns: 30 },
    )
  })

  it("for empty products (a zero-sized axis), with the reference's shape and zeros", () => {
    const cases = [
      [
        [0, 3],
        [3, 4],
      ],
      [
        [2, 0],
        [0, 4],
      ],
      [
        [2, 3],
        [3, 0],
      ],
      [
        [0, 2, 3],
        [0, 3, 4],
      ],
    ] as const
    for (const [as, bs] of cases) {
      const a = new Tensor(
        "float32",
        as,
        new Float32Array(as.reduce((x: number, y: number) => x * y, 1)),
      )
      const b = new Tensor(
        "float32",
        bs,
        new Float32Array(bs.reduce((x: number, y: number) => x * y, 1)),
      )
      expectLikeReference(kernel, { a, b, transposeA: false, transposeB: false }, true)
    }
  })

  it("as an engine, handles empty products itself", () => {
    const out = new Float32Array(6).fill(7)
    const a = new Float32Array(0)
    expect(engine.product("float32", a, 0, a, 0, 2, 0, 3, false, false, out, 0)).toBe(true)
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0])
    expect(engine.product("float32", a, 0, a, 0, 0, 5, 3, false, true, out, 0)).toBe(true)
  })

  it("never writes into its inputs", () => {
    fc.assert(
      fc.property(matmulCaseArb("float32", specialArb), (c) => {
        const before = [Array.from(c.a.data), Array.from(c.b.data)]
        apply(kernel, c)
        expect([Array.from(c.a.data), Array.from(c.b.data)]).toEqual(before)
      }),
      { numRuns: 30 },
    )
  })
})
