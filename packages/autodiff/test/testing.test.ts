/**
 * The checker checked: it accepts right derivatives, catches wrong ones in each mode and order
 * with a readable message, and its arbitraries generate what they promise.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { test } from "@fast-check/vitest"
import * as T from "@fnn/tensor"
import { customVjp, stopGradient } from "../src/index.ts"
import {
  arbBroadcastShapes,
  arbShape,
  arbTensor,
  checkGrads,
  gradProperty,
} from "../src/testing/index.ts"

const f64 = (v: T.NestedArray): T.Tensor => T.tensor(v, { dtype: "float64" })

/** sin(x) in value, but with slope 1 in both modes: a wrong derivative. */
const sinWithSlopeOne = (x: T.Tensor) => T.add(stopGradient(T.sin(x)), T.sub(x, stopGradient(x)))

/** sin with a right first derivative whose own derivative is wrong (cos of a constant). */
const sinFlatSecond = customVjp((x: T.Tensor) => T.sin(x), {
  fwd: (x) => [T.sin(x), x],
  bwd: (x, g) => [T.mul(g, T.cos(stopGradient(x)))],
})

describe("checkGrads", () => {
  it("accepts right derivatives in float32 and float64, to second order", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = T.tensor([[0.3, -1.2, 2]], { dtype })
      checkGrads((t: T.Tensor) => T.softmax(T.mul(T.tanh(t), 3)), [x], { order: 2 })
    }
  })

  it("holds int32 leaves fixed and accepts trees", () => {
    const f = (p: { w: T.Tensor; k: T.Tensor }) => T.mul(T.sin(p.w), T.cast(p.k, "float64"))
    checkGrads(f, [{ w: f64([0.1, 0.2]), k: T.tensor([2, 3], { dtype: "int32" }) }])
  })

  it("catches a wrong derivative in reverse mode, showing input, direction and numbers", () => {
    expect(() => checkGrads(sinWithSlopeOne, [f64([0.5, 2])], { modes: ["rev"] })).toThrow(
      /reverse mode disagrees with finite differences for f\n {2}⟨t, Jᵀc⟩ by vjp = .*\n {2}⟨c, Jt⟩ by central differences in float64 \(step 0\.001\) = .*\n {2}error .* > tolerance .*\ninput: \[\n {2}tensor\(\[0\.5, 2\], float64\)\n\]\ndirection t: /,
    )
  })

  it("catches a wrong derivative in forward mode", () => {
    expect(() => checkGrads(sinWithSlopeOne, [f64([0.5, 2])], { modes: ["fwd"] })).toThrow(
      /forward mode disagrees with finite differences for f/,
    )
  })

  it("catches a wrong second derivative only at order 2", () => {
    const x = f64([0.5, 2])
    expect(() => checkGrads(sinFlatSecond, [x], { modes: ["rev"] })).not.toThrow()
    expect(() => checkGrads(sinFlatSecond, [x], { modes: ["rev"], order: 2 })).toThrow(
      /reverse mode disagrees with finite differences for x ↦ J\(x\)ᵀc, the reverse-mode derivative of f[\s\S]*fixed cotangent c: /,
    )
  })

  it("catches jvp and vjp that disagree with each other", () => {
    // reverse mode uses the custom rule (slope 3x²·2), forward mode differentiates f (3x²)
    const doubled = customVjp((x: T.Tensor) => T.mul(T.mul(x, x), x), {
      fwd: (x) => [T.mul(T.mul(x, x), x), x],
      bwd: (x, g) => [T.mul(g, T.mul(T.mul(x, x), 6))],
    })
    expect(() => checkGrads(doubled, [f64([1, 2])])).toThrow(/reverse mode disagrees/)
  })

  it("refuses a bad order", () => {
    expect(() => checkGrads(T.sin, [f64(1)], { order: 0 })).toThrow(
      /order must be a positive integer/,
    )
  })
})

describe("arbitraries", () => {
  it("arbShape respects its bounds", () => {
    fc.assert(
      fc.property(arbShape({ minRank: 1, maxRank: 2, minDim: 2, maxDim: 3 }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1)
        expect(s.length).toBeLessThanOrEqual(2)
        for (const d of s) expect(d >= 2 && d <= 3).toBe(true)
      }),
    )
  })

  it("arbBroadcastShapes gives shapes that broadcast together", () => {
    fc.assert(
      fc.property(arbBroadcastShapes(3), (shapes) => {
        expect(shapes).toHaveLength(3)
        expect(() => T.broadcastShapes("test", ...shapes)).not.toThrow()
      }),
    )
  })

  it("arbTensor keeps values in range and away from the avoided points", () => {
    fc.assert(
      fc.property(
        arbTensor(arbShape(), { dtype: "float64", min: -1, max: 1, avoid: [0, 0.5], margin: 0.1 }),
        (x) => {
          expect(x.dtype).toBe("float64")
          for (const v of x.data) {
            expect(v >= -1 && v <= 1).toBe(true)
            expect(Math.abs(v) >= 0.1 - 1e-12 && Math.abs(v - 0.5) >= 0.1 - 1e-12).toBe(true)
          }
        },
      ),
    )
  })

  it("arbTensor makes int32 tensors of integers in range", () => {
    fc.assert(
      fc.property(arbTensor([2, 3], { dtype: "int32", min: 0, max: 9 }), (x) => {
        expect(x.shape).toEqual([2, 3])
        for (const v of x.data) expect(Number.isInteger(v) && v >= 0 && v <= 9).toBe(true)
      }),
    )
  })
})

describe("gradProperty", () => {
  const x = arbTensor(arbShape({ maxDim: 3 }), { dtype: "float64", min: -3, max: 3 })

  it("holds for a right function under fc.assert", () => {
    fc.assert(
      gradProperty((t: T.Tensor) => T.sum(T.mul(T.tanh(t), t)), [x], { order: 2 }),
      {
        numRuns: 30,
      },
    )
  })

  it("fails for a wrong derivative and shrinks to a one-element counterexample", () => {
    // wrong only where x > 1
    const f = (t: T.Tensor) => T.where(T.greater(t, 1), sinWithSlopeOne(t), T.sin(t))
    const away = arbTensor(arbShape({ maxDim: 3 }), {
      dtype: "float64",
      min: -3,
      max: 3,
      avoid: [1],
    })
    const result = fc.check(gradProperty(f, [away]), { seed: 42, numRuns: 200 })
    expect(result.failed).toBe(true)
    const [tensor] = result.counterexample!
    expect(tensor.size).toBe(1)
    expect(tensor.data[0]).toBeGreaterThan(1)
  })

  it("shrinks the README's wrong log-sum-exp rule to a [2, 1] tensor", () => {
    const wrong = customVjp((x: T.Tensor) => T.logSumExp(x), {
      fwd: (x) => [T.logSumExp(x), x],
      bwd: (x, g) => [T.mul(g, T.softmax(x))],
    })
    const arb = arbTensor(arbShape({ minRank: 1 }), { dtype: "float64", min: -5, max: 5 })
    const result = fc.check(gradProperty(wrong, [arb]), { seed: 7, numRuns: 100 })
    expect(result.failed).toBe(true)
    expect(result.counterexample![0].shape).toEqual([2, 1])
  })

  const p = gradProperty(
    (a: T.Tensor, b: T.Tensor) => T.mul(T.sin(a), T.exp(b)),
    [arbTensor([2], { dtype: "float64" }), arbTensor([2, 1], { dtype: "float64" })],
  )
  test.prop(p.arbitraries, { numRuns: 20 })("plugs into @fast-check/vitest's test.prop", p.check)
})
