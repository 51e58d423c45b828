/**
 * Gradients of the public convolution and pooling ops (built on the `conv` and `windows`
 * primitives), to second order, and the tie rule of max pooling.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import { grad } from "../src/index.ts"
import { checkGrads } from "../src/testing/index.ts"

const dtypes = fc.constantFrom<T.DType>("float32", "float64")

/** Entries that are distinct and at least 0.1 apart, so no window has a tie. */
const distinct = (shape: number[], dtype: T.DType): fc.Arbitrary<T.Tensor> => {
  const n = shape.reduce((a, b) => a * b, 1)
  const positions = Array.from({ length: n }, (_, i) => i)
  return fc.shuffledSubarray(positions, { minLength: n, maxLength: n }).map((p) =>
    T.reshape(
      T.tensor(
        p.map((v) => (v - n / 2) / 10),
        { dtype },
      ),
      shape,
    ),
  )
}

const poolCase = fc.record({
  dtype: dtypes,
  h: fc.integer({ min: 1, max: 5 }),
  w: fc.integer({ min: 1, max: 5 }),
  window: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  strides: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  padding: fc.constantFrom<"SAME" | "VALID">("SAME", "VALID"),
})

describe("pooling gradients", () => {
  it.each(["maxPool", "avgPool"] as const)(
    "%s: jvp, vjp and finite differences agree to second order (overlapping windows, padding)",
    (op) => {
      fc.assert(
        fc.property(
          poolCase
            .filter((r) => r.padding === "SAME" || (r.h >= r.window[0] && r.w >= r.window[1]))
            .chain((r) => distinct([2, r.h, r.w, 2], r.dtype).map((x) => ({ r, x }))),
          fc.nat(),
          ({ r, x }, seed) => {
            const f = (t: T.Tensor) =>
              T[op](T.exp(t), r.window, { strides: r.strides, padding: r.padding })
            checkGrads(f, [x], { order: 2, seed })
          },
        ),
        { numRuns: 25 },
      )
    },
  )

  it("max pooling shares the gradient of a window equally among its tied maxima", () => {
    const x = T.reshape(T.tensor([3, 3, 1, 3], { dtype: "float64" }), [1, 2, 2, 1])
    const g = grad((t: T.Tensor) => T.sum(T.maxPool(t, 2)))(x)
    expect(Array.from(g.data)).toEqual([1 / 3, 1 / 3, 0, 1 / 3])
  })

  it("overlapping windows add up their shares at a shared maximum", () => {
    // windows [0..1], [1..2], [2..3] of [1, 5, 2, 0]: 5 is the maximum of the first two
    const x = T.reshape(T.tensor([1, 5, 2, 0], { dtype: "float64" }), [1, 4, 1])
    const g = grad((t: T.Tensor) => T.sum(T.maxPool(t, 2, { strides: 1 })))(x)
    expect(Array.from(g.data)).toEqual([0, 2, 1, 0])
  })

  it("padding takes no gradient in average pooling: each window divides by what it holds", () => {
    const x = T.reshape(T.tensor([1, 2, 3], { dtype: "float64" }), [1, 3, 1])
    // SAME with window 2: windows {1, 2}, {2, 3}, {3} → ∂/∂x = [1/2, 1/2 + 1/2, 1/2 + 1]
    const g = grad((t: T.Tensor) => T.sum(T.avgPool(t, 2, { strides: 1, padding: "SAME" })))(x)
    expect(Array.from(g.data)).toEqual([0.5, 1, 1.5])
  })
})

describe("convolution gradients through the public ops", () => {
  it("conv2d with SAME padding, strides and groups: to second order", () => {
    fc.assert(
      fc.property(
        fc.record({
          dtype: dtypes,
          strides: fc.integer({ min: 1, max: 2 }),
          groups: fc.constantFrom(1, 2),
          k: fc.integer({ min: 1, max: 3 }),
        }),
        fc.nat(),
        ({ dtype, strides, groups, k }, seed) => {
          const x = T.reshape(T.linspace(-1, 1, 2 * 5 * 4 * 2, { dtype }), [2, 5, 4, 2])
          const w = T.reshape(T.sin(T.arange(0, k * k * (2 / groups) * 2, 1, { dtype })), [
            k,
            k,
            2 / groups,
            2,
          ])
          const f = (a: T.Tensor, b: T.Tensor) =>
            T.tanh(T.conv2d(a, b, { strides, groups, padding: "SAME" }))
          checkGrads(f, [x, w], { order: 2, seed })
        },
      ),
      { numRuns: 10 },
    )
  })
})
