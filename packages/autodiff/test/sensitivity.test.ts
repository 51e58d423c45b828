/**
 * The checker's own sensitivity: derivatives wrong by a small relative amount are caught at the
 * default settings, in each mode, at each order, in both float dtypes; and the arbitraries make
 * the inputs that find such errors (size-1 broadcasting axes, ties, both dtypes).
 */
import { fc, test } from "@fast-check/vitest"
import * as T from "@fnn/tensor"
import { describe, expect, it } from "vitest"
import { grad, stopGradient } from "../src/index.ts"
import type { Mode } from "../src/testing/index.ts"
import { arbBroadcastShapes, arbShape, arbTensor, checkGrads } from "../src/testing/index.ts"

/** A smooth scalar function whose first and second derivatives stay away from 0 on [-1, 2]. */
const g = (x: T.Tensor): T.Tensor =>
  T.sum(T.add(T.add(T.mul(x, x), T.mul(x, 3)), T.exp(T.mul(x, 0.5))))

/**
 * The value of `g` and its first derivative, with a second derivative wrong by the relative
 * amount `delta`: the added term and its first derivative are zero at every point, but its
 * second derivative is `delta · g''`.
 */
const wrongSecond =
  (delta: number) =>
  (x: T.Tensor): T.Tensor => {
    const s = stopGradient(x)
    const taylor = T.add(g(s), T.sum(T.mul(T.sub(x, s), grad(g)(s))))
    return T.add(g(x), T.mul(T.sub(g(x), taylor), delta))
  }

/** `g` with a first derivative wrong by the relative amount `delta` (its value is `g`'s). */
const wrongFirst =
  (delta: number) =>
  (x: T.Tensor): T.Tensor =>
    T.add(g(x), T.mul(T.sub(g(x), g(stopGradient(x))), delta))

const cases = fc.record({
  dtype: fc.constantFrom("float32" as const, "float64" as const),
  mode: fc.constantFrom<Mode>("rev", "fwd"),
  x: fc.double({ min: -1, max: 2, noNaN: true }),
  seed: fc.nat(),
})

describe("checkGrads catches small errors at its default settings", () => {
  test.prop([cases])("a first derivative wrong by 1e-3, in each mode and dtype", (c) => {
    const x = T.tensor([c.x], { dtype: c.dtype })
    expect(() => checkGrads(wrongFirst(1e-3), [x], { modes: [c.mode], seed: c.seed })).toThrow(
      /disagrees with finite differences/,
    )
    // and the right function passes, so the error is what was caught
    checkGrads(g, [x], { modes: [c.mode], seed: c.seed, order: 2 })
  })

  test.prop([cases])("a second derivative wrong by 1e-3, in each mode and dtype", (c) => {
    const x = T.tensor([c.x], { dtype: c.dtype })
    // first order is right …
    checkGrads(wrongSecond(1e-3), [x], { modes: [c.mode], seed: c.seed })
    // … the second is not, and each mode's derivative function is checked
    expect(() =>
      checkGrads(wrongSecond(1e-3), [x], { modes: [c.mode], seed: c.seed, order: 2 }),
    ).toThrow(/derivative of f/)
  })

  it("the stated threshold: errors well below rtol pass, errors above it fail", () => {
    for (const [dtype, rtol] of [
      ["float32", 5e-4],
      ["float64", 1e-6],
    ] as const) {
      const x = T.tensor([0.7], { dtype })
      checkGrads(wrongFirst(rtol / 10), [x])
      expect(() => checkGrads(wrongFirst(rtol * 3), [x])).toThrow(/disagrees/)
    }
  })
})

describe("the arbitraries make the inputs that find errors", () => {
  it("shapes include size-1 axes, and broadcasting shapes set axes to 1", () => {
    const shapes = fc.sample(arbShape({ minRank: 1, maxDim: 4 }), { numRuns: 300, seed: 1 })
    expect(shapes.some((s) => s.includes(1))).toBe(true)
    const pairs = fc.sample(arbBroadcastShapes(2, { minRank: 2, maxDim: 4 }), {
      numRuns: 300,
      seed: 2,
    })
    expect(
      pairs.some(([a, b]) => a!.some((d, i) => d === 1 && b![b!.length - a!.length + i]! > 1)),
    ).toBe(true)
    expect(pairs.some(([a, b]) => a!.length !== b!.length)).toBe(true)
  })

  it("ties: equal entries are common when asked and rare otherwise", () => {
    const hasTie = (t: T.Tensor): boolean => new Set(t.data).size < t.size
    const tied = fc.sample(arbTensor([6], { ties: true }), { numRuns: 100, seed: 3 })
    expect(tied.filter(hasTie).length).toBeGreaterThan(90)
    const plain = fc.sample(arbTensor([6], { dtype: "float64" }), { numRuns: 100, seed: 3 })
    expect(plain.filter(hasTie).length).toBeLessThan(50)
  })

  it("both float dtypes come out as asked", () => {
    for (const dtype of ["float32", "float64"] as const)
      for (const t of fc.sample(arbTensor(arbShape(), { dtype }), { numRuns: 20, seed: 4 }))
        expect(t.dtype).toBe(dtype)
  })
})
