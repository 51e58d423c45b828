import { test } from "@fast-check/vitest"
import * as T from "@fnn/tensor"
import { describe, expect, it } from "vitest"
import { jvp, vjp } from "../src/index.ts"
import { arbTensor } from "../src/testing/index.ts"

const f64 = (xs: number[]): T.Tensor => T.tensor(xs, { dtype: "float64" })

describe("ties are decided the same way in forward and reverse mode", () => {
  it("max: the tangents of the tied maxima are averaged", () => {
    const [, dy] = jvp((x: T.Tensor) => T.max(x), [f64([1, 3, 3, 2])], [f64([10, 20, 40, 80])])
    expect(T.item(dy)).toBe(30)
  })

  it("maximum and minimum: a tie takes half of each tangent; relu at 0 takes none", () => {
    const [, d] = jvp(
      (a: T.Tensor, b: T.Tensor) => T.maximum(a, b),
      [f64([2]), f64([2])],
      [f64([1]), f64([3])],
    )
    expect(T.toArray(d)).toEqual([2])
    const [, e] = jvp(
      (a: T.Tensor, b: T.Tensor) => T.minimum(a, b),
      [f64([2]), f64([2])],
      [f64([1]), f64([5])],
    )
    expect(T.toArray(e)).toEqual([3])
    // relu is not maximum(x, 0): its slope at 0 is 0, as in JAX
    const [, r] = jvp(T.relu, [f64([0])], [f64([1])])
    expect(T.toArray(r)).toEqual([0])
  })

  test.prop([
    arbTensor([5], { dtype: "float64", ties: true }),
    arbTensor([5], { dtype: "float64" }),
  ])("⟨c, J t⟩ = ⟨t, Jᵀ c⟩ for max over inputs with ties", (x, t) => {
    const [, dy] = jvp((v: T.Tensor) => T.max(v), [x], [t])
    const [, pullback] = vjp((v: T.Tensor) => T.max(v), x)
    const [g] = pullback(T.tensor(1, { dtype: "float64" }))
    expect(T.item(dy)).toBeCloseTo(T.item(T.sum(T.mul(g, t))), 12)
  })
})
