import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { DType, Tensor } from "../src/index.ts"
import { bind } from "../src/internal.ts"
import type { Ref } from "./reference.ts"
import {
  close,
  compatibleShapeArb,
  dtypeArb,
  expectMatches,
  finiteValueArb,
  make,
  matmulRef,
  refOf,
  tensorArb,
  transposeRef,
} from "./reference.ts"

/** Compares with a tolerance scaled by `Σ |a||b|` (the magnitude of what was added up). */
const expectProductClose = (actual: Tensor, a: Ref, b: Ref): void => {
  const expected = matmulRef(a, b)
  const abs = (r: Ref): Ref => ({ ...r, dtype: "float64", values: r.values.map(Math.abs) })
  if (expected.dtype === "int32") return expectMatches(actual, expected)
  const magnitude = matmulRef(abs(a), abs(b))
  const rtol = expected.dtype === "float32" ? 1e-6 : 1e-14
  expectMatches(actual, expected, () => true)
  actual.data.forEach((v, i) => {
    const e = expected.values[i]!
    if (!close(v, e, 0, rtol * magnitude.values[i]!))
      throw new Error(`value at ${i} is ${v}, expected ${e} (±${rtol * magnitude.values[i]!})`)
  })
}

const sizeArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 9 }), weight: 8 },
  { arbitrary: fc.constant(0), weight: 1 },
)

/** Operands of NumPy matmul: 1-D or batched, batch axes that broadcast, dtypes that promote. */
const matmulArgsArb = fc
  .record({
    m: sizeArb,
    k: sizeArb,
    n: sizeArb,
    aVec: fc.boolean(),
    bVec: fc.boolean(),
    batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    da: dtypeArb,
    db: dtypeArb,
  })
  .chain(({ m, k, n, aVec, bVec, batch, da, db }) =>
    fc
      .tuple(compatibleShapeArb(batch), compatibleShapeArb(batch))
      .chain(([ba, bb]) =>
        fc.tuple(
          tensorArb(aVec ? [k] : [...ba, m, k], da, finiteValueArb),
          tensorArb(bVec ? [k] : [...bb, k, n], db, finiteValueArb),
        ),
      ),
  )

describe("matmul agrees with the naive triple loop", () => {
  it("on random shapes: vectors, matrices and broadcast batches, all dtypes", () => {
    fc.assert(
      fc.property(matmulArgsArb, ([a, b]) => {
        expectProductClose(T.matmul(a, b), refOf(a), refOf(b))
      }),
      { numRuns: 300 },
    )
  })

  it("on the 1-D cases NumPy defines", () => {
    const v = make("float64", [3], [1, 2, 3])
    const w = make("float64", [3], [4, 5, 6])
    const m = make("float64", [2, 3], [1, 0, 0, 0, 1, 1])
    const vv = T.matmul(v, w)
    expect(vv.shape).toEqual([])
    expect(T.item(vv)).toBe(32)
    expectMatches(T.matmul(m, v), { dtype: "float64", shape: [2], values: [1, 5] })
    expectMatches(T.matmul(v, T.transpose(m)), { dtype: "float64", shape: [2], values: [1, 5] })
    const batched = T.stack([m, T.neg(m)])
    expectMatches(T.matmul(batched, v), { dtype: "float64", shape: [2, 2], values: [1, 5, -1, -5] })
  })

  it("int32 products are exact and int32", () => {
    const a = make("int32", [2, 2], [1, 2, 3, 4])
    const r = T.matmul(a, a)
    expect(r.dtype).toBe("int32")
    expect(Array.from(r.data)).toEqual([7, 10, 15, 22])
    expect(T.matmul(a, make("float32", [2], [1, 1])).dtype).toBe("float32")
  })

  const patterned = (d: DType, shape: ReadonlyArray<number>, seed: number): Tensor => {
    const n = shape.reduce((x, y) => x * y, 1)
    const values = Array.from(
      { length: n },
      (_, i) => (((i * 7919 + seed * 104729) % 201) - 100) / 16,
    )
    return make(d, shape, values)
  }

  for (const d of ["float64", "float32", "int32"] as const) {
    it(`on ${d} sizes past every block (m > 64, k > 256, n > 512, none a multiple of 4)`, () => {
      const a = patterned(d, [67, 259], 1)
      const b = patterned(d, [259, 517], 2)
      expectProductClose(T.matmul(a, b), refOf(a), refOf(b))
    })
  }

  it("with batches that broadcast against a large matrix", () => {
    const a = patterned("float64", [2, 1, 5, 270], 3)
    const b = patterned("float64", [3, 270, 9], 4)
    const r = T.matmul(a, b)
    expect(r.shape).toEqual([2, 3, 5, 9])
    expectProductClose(r, refOf(a), refOf(b))
  })
})

describe("the matmul primitive", () => {
  const primArgsArb = fc
    .record({
      m: sizeArb,
      k: sizeArb,
      n: sizeArb,
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      d: dtypeArb,
    })
    .chain(({ m, k, n, batch, transposeA, transposeB, d }) =>
      fc.tuple(
        tensorArb(transposeA ? [...batch, k, m] : [...batch, m, k], d, finiteValueArb),
        tensorArb(transposeB ? [...batch, n, k] : [...batch, k, n], d, finiteValueArb),
        fc.constant({ transposeA, transposeB }),
      ),
    )

  /** Swaps the last two axes of a Ref. */
  const swapLast = (r: Ref): Ref => {
    const rank = r.shape.length
    const perm = r.shape.map((_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i))
    return transposeRef(r, perm)
  }

  it("reads operands transposed when asked", () => {
    fc.assert(
      fc.property(primArgsArb, ([a, b, params]) => {
        const ra = params.transposeA ? swapLast(refOf(a)) : refOf(a)
        const rb = params.transposeB ? swapLast(refOf(b)) : refOf(b)
        expectProductClose(bind("matmul", [a, b], params), ra, rb)
      }),
      { numRuns: 200 },
    )
  })

  it("reads large operands transposed past every block", () => {
    const a = make(
      "float64",
      [300, 6],
      Array.from({ length: 300 * 6 }, (_, i) => ((i * 31) % 17) - 8),
    )
    const b = make(
      "float64",
      [520, 300],
      Array.from({ length: 520 * 300 }, (_, i) => ((i * 13) % 11) - 5),
    )
    const r = bind("matmul", [a, b], { transposeA: true, transposeB: true })
    expect(r.shape).toEqual([6, 520])
    expectProductClose(r, swapLast(refOf(a)), swapLast(refOf(b)))
  })
})

describe("dot and outer", () => {
  it("dot of vectors is their inner product; outer multiplies every pair", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 6 })
          .chain((n) =>
            fc.tuple(
              tensorArb([n], "float64", finiteValueArb),
              tensorArb([n], "float64", finiteValueArb),
            ),
          ),
        ([u, v]) => {
          expectProductClose(T.dot(u, v), refOf(u), refOf(v))
          const values: number[] = []
          for (const x of u.data) for (const y of v.data) values.push(x * y)
          expectMatches(T.outer(u, v), { dtype: "float64", shape: [u.size, v.size], values })
        },
      ),
    )
  })

  it("dot refuses batches", () => {
    expect(() => T.dot(T.zeros([2, 2, 2]), T.zeros([2, 2]))).toThrow(/dot.*matmul/)
  })
})
