/**
 * Shared pieces of the WebAssembly kernel tests: operand arbitraries that cross the blocking
 * boundaries, an independent naive product, the comparison with the reference kernel, and a
 * WebAssembly API that records the memories made through it.
 * @module
 */
import fc from "fast-check"
import { expect } from "vitest"
import type { Kernel } from "../src/dispatch.ts"
import type { TypedArray } from "../src/dtype.ts"
import { referenceKernels } from "../src/kernels/index.ts"
import type { WasmApi } from "../src/kernels/wasm/api.ts"
import { Tensor } from "../src/tensor.ts"

/** One matmul primitive call: operands as stored, and the transpose flags. */
export interface MatmulCase {
  readonly a: Tensor
  readonly b: Tensor
  readonly transposeA: boolean
  readonly transposeB: boolean
}

type FloatDType = "float32" | "float64" | "int32"

const store = (dtype: FloatDType, values: ReadonlyArray<number>): TypedArray =>
  dtype === "float32"
    ? Float32Array.from(values)
    : dtype === "float64"
      ? Float64Array.from(values)
      : Int32Array.from(values)

/**
 * Sizes around the register tile (4×8), its multiples and the packing blocks, with zero now
 * and then.
 */
export const sizeArb = (max: number): fc.Arbitrary<number> =>
  fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: Math.min(max, 17) }), weight: 6 },
    { arbitrary: fc.integer({ min: 1, max }), weight: 3 },
    { arbitrary: fc.constant(0), weight: 1 },
  )

/**
 * Calls of the matmul primitive: equal batch shapes (0–2 axes, maybe empty), either operand
 * stored transposed, values from `value`.
 */
export const matmulCaseArb = (
  dtype: FloatDType,
  value: fc.Arbitrary<number>,
  maxSize = { m: 40, k: 40, n: 40 },
): fc.Arbitrary<MatmulCase> =>
  fc
    .record({
      batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
      m: sizeArb(maxSize.m),
      k: sizeArb(maxSize.k),
      n: sizeArb(maxSize.n),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
    })
    .chain(({ batch, m, k, n, transposeA, transposeB }) => {
      const aShape = [...batch, ...(transposeA ? [k, m] : [m, k])]
      const bShape = [...batch, ...(transposeB ? [n, k] : [k, n])]
      const size = (s: number[]): number => s.reduce((x, y) => x * y, 1)
      return fc
        .tuple(
          fc.array(value, { minLength: size(aShape), maxLength: size(aShape) }),
          fc.array(value, { minLength: size(bShape), maxLength: size(bShape) }),
        )
        .map(([av, bv]) => ({
          a: new Tensor(dtype, aShape, store(dtype, av)),
          b: new Tensor(dtype, bShape, store(dtype, bv)),
          transposeA,
          transposeB,
        }))
    })

/** Multiples of 1/16 in [-4, 4]: their products and sums are exact in float32 for k ≤ 4096. */
export const dyadicArb: fc.Arbitrary<number> = fc.integer({ min: -64, max: 64 }).map((i) => i / 16)

/** Finite floats of moderate size (no overflow anywhere in a product of these shapes). */
export const moderateArb: fc.Arbitrary<number> = fc.double({
  min: -1e3,
  max: 1e3,
  noNaN: true,
  noDefaultInfinity: true,
})

/** Mostly ordinary numbers, sometimes NaN or ±Infinity. */
export const specialArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: dyadicArb, weight: 12 },
  { arbitrary: fc.constantFrom(NaN, Infinity, -Infinity), weight: 1 },
)

/** Runs a kernel on a case. */
export const apply = (kernel: Kernel<"matmul">, c: MatmulCase): Tensor =>
  kernel([c.a, c.b], { transposeA: c.transposeA, transposeB: c.transposeB })

/** `Σ_p |A[i,p]|·|B[p,j]|` for every output element, in float64, by the naive triple loop. */
export const magnitudes = (c: MatmulCase): Float64Array => {
  const { a, b, transposeA, transposeB } = c
  const r = a.shape.length
  const m = a.shape[r - (transposeA ? 1 : 2)]!
  const k = a.shape[r - (transposeA ? 2 : 1)]!
  const n = b.shape[r - (transposeB ? 2 : 1)]!
  const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1)
  const out = new Float64Array(batch * m * n)
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0
        for (let p = 0; p < k; p++) {
          const x = a.data[t * m * k + (transposeA ? p * m + i : i * k + p)]!
          const y = b.data[t * k * n + (transposeB ? j * k + p : p * n + j)]!
          s += Math.abs(x) * Math.abs(y)
        }
        out[t * m * n + i * n + j] = s
      }
  return out
}

/**
 * The kernel's result equals the reference kernel's: same dtype and shape; values within the
 * rounding of a `k`-term sum in the dtype (`(k + 2) · (ε · Σ|a||b| + subnormal)`), or bit for bit when
 * `exact`; NaN and infinities where the reference has them.
 */
export const expectLikeReference = (
  kernel: Kernel<"matmul">,
  c: MatmulCase,
  exact = false,
): void => {
  const actual = apply(kernel, c)
  const expected = apply(referenceKernels.matmul, c)
  expect(actual.dtype).toBe(expected.dtype)
  expect(actual.shape).toEqual(expected.shape)
  expect(actual.data.length).toBe(expected.data.length)
  const r = c.a.shape.length
  const k = c.a.shape[r - (c.transposeA ? 2 : 1)]!
  const f32 = actual.dtype === "float32"
  // unit roundoff, and the smallest subnormal (each product may underflow by half of it)
  const eps = f32 ? 2 ** -24 : 2 ** -53
  const tiny = f32 ? 2 ** -149 : 2 ** -1074
  const mags = exact ? undefined : magnitudes(c)
  for (let i = 0; i < expected.data.length; i++) {
    const x = actual.data[i]!
    const y = expected.data[i]!
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue
    const tolerance = mags === undefined ? 0 : (k + 2) * (eps * mags[i]! + tiny)
    if (!Number.isFinite(y) || !(Math.abs(x - y) <= tolerance))
      throw new Error(`element ${i}: ${x}, reference ${y} (tolerance ${tolerance})`)
  }
}

/**
 * `api` with a `Memory` constructor that records the buffer of every memory made: a buffer that
 * later reads as 0 bytes long was detached.
 */
export const recordingMemories = (
  api: WasmApi,
): { readonly api: WasmApi; readonly buffers: ReadonlyArray<ArrayBuffer | SharedArrayBuffer> } => {
  const buffers: Array<ArrayBuffer | SharedArrayBuffer> = []
  const Memory = class extends api.Memory {
    constructor(descriptor: ConstructorParameters<WasmApi["Memory"]>[0]) {
      super(descriptor)
      buffers.push(this.buffer)
    }
  }
  return { api: Object.assign(Object.create(api) as WasmApi, { Memory }), buffers }
}
