/**
 * Laws every derivative obeys, over random compositions of ops and random shapes: linearity in
 * the direction, forward and reverse mode agreeing, the chain rule, symmetric Hessians.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import { grad, hessian, jacfwd, jacrev, jvp, vjp } from "../src/index.ts"
import { arbShape, arbTensor } from "../src/testing/index.ts"

type Fn = (x: T.Tensor) => T.Tensor

/** Shape-preserving building blocks (on the last axis where it matters). */
const blocks: ReadonlyArray<readonly [string, Fn]> = [
  ["sigmoid", T.sigmoid],
  ["tanh", T.tanh],
  ["softplus", T.softplus],
  ["square", T.square],
  ["sin", T.sin],
  ["softmax", (x) => T.softmax(x)],
  ["x - logSumExp(x)", (x) => T.logSoftmax(x)],
  ["x · Σx", (x) => T.mul(x, T.sum(x))],
  ["x + max(x)", (x) => T.add(x, T.max(x, { axis: -1, keepDims: true }))],
  ["x · mean over axis 0", (x) => T.mul(x, T.mean(x, { axis: 0 }))],
  ["exp(-x²)", (x) => T.exp(T.neg(T.square(x)))],
  ["x / (1 + x²)", (x) => T.div(x, T.add(1, T.square(x)))],
]

/** A random composition of 1 to 4 blocks, with its name. */
const arbComposite = fc
  .array(fc.constantFrom(...blocks), { minLength: 1, maxLength: 4 })
  .map((fs): readonly [string, Fn] => [
    fs.map(([name]) => name).join(" ∘ "),
    (x) => fs.reduce((acc, [, f]) => f(acc), x),
  ])

const arbX = arbTensor(arbShape({ minRank: 1, maxRank: 2, maxDim: 3 }), { dtype: "float64" })

const dotT = (a: T.Tensor, b: T.Tensor): number => T.item(T.sum(T.mul(a, b)))

/** Elementwise closeness relative to the largest magnitude involved. */
const expectClose = (a: T.Tensor, b: T.Tensor, tol = 1e-10): void => {
  expect(a.shape).toEqual(b.shape)
  const scale = Math.max(1, ...Array.from(a.data, Math.abs), ...Array.from(b.data, Math.abs))
  Array.from(a.data).forEach((v, i) =>
    expect(Math.abs(v - b.data[i]!)).toBeLessThanOrEqual(tol * scale),
  )
}

const like = (x: T.Tensor) => arbTensor(x.shape, { dtype: "float64", min: -1, max: 1 })

describe("derivative laws", () => {
  it("vjp is linear in the cotangent", () => {
    fc.assert(
      fc.property(
        arbComposite,
        arbX.chain((x) => fc.tuple(fc.constant(x), like(x), like(x))),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        ([, f], [x, c1, c2], a, b) => {
          const [, pullback] = vjp(f, x)
          const lhs = pullback(T.add(T.mul(c1, a), T.mul(c2, b)))[0]
          const rhs = T.add(T.mul(pullback(c1)[0], a), T.mul(pullback(c2)[0], b))
          expectClose(lhs, rhs)
        },
      ),
      { numRuns: 40 },
    )
  })

  it("jvp is linear in the tangent", () => {
    fc.assert(
      fc.property(
        arbComposite,
        arbX.chain((x) => fc.tuple(fc.constant(x), like(x), like(x))),
        fc.double({ min: -3, max: 3, noNaN: true }),
        ([, f], [x, t1, t2], a) => {
          const d = (t: T.Tensor) => jvp(f, [x], [t])[1]
          expectClose(d(T.add(T.mul(t1, a), t2)), T.add(T.mul(d(t1), a), d(t2)))
        },
      ),
      { numRuns: 40 },
    )
  })

  it("jvp and vjp agree: ⟨c, Jt⟩ = ⟨t, Jᵀc⟩", () => {
    fc.assert(
      fc.property(
        arbComposite,
        arbX.chain((x) => fc.tuple(fc.constant(x), like(x), like(x))),
        ([, f], [x, t, c]) => {
          const jt = jvp(f, [x], [t])[1]
          const jtc = vjp(f, x)[1](c)[0]
          expect(Math.abs(dotT(c, jt) - dotT(t, jtc))).toBeLessThan(1e-10)
        },
      ),
      { numRuns: 40 },
    )
  })

  it("follow the chain rule: J(g ∘ f)(x) = J(g)(f(x)) · J(f)(x)", () => {
    fc.assert(
      fc.property(arbComposite, arbComposite, arbX, ([, f], [, g], x) => {
        const n = x.size
        const composed = jacrev((t: T.Tensor) => g(f(t)))(x)
        const product = T.matmul(
          T.reshape(jacrev(g)(f(x)), [n, n]),
          T.reshape(jacrev(f)(x), [n, n]),
        )
        expectClose(T.reshape(composed, [n, n]), product)
      }),
      { numRuns: 25 },
    )
  })

  it("forward and reverse Jacobians are equal", () => {
    fc.assert(
      fc.property(arbComposite, arbX, ([, f], x) => {
        expectClose(jacfwd(f)(x), jacrev(f)(x))
      }),
      { numRuns: 25 },
    )
  })

  it("Hessians are symmetric and match the Jacobian of the gradient", () => {
    fc.assert(
      fc.property(arbComposite, arbX, ([, f], x) => {
        const s = (t: T.Tensor) => T.sum(f(t))
        const n = x.size
        const h = T.reshape(hessian(s)(x), [n, n])
        expectClose(h, T.transpose(h), 1e-9)
        expectClose(h, T.reshape(jacrev(grad(s))(x), [n, n]), 1e-9)
      }),
      { numRuns: 20 },
    )
  })
})
