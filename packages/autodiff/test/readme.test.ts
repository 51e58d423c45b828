/** The README's examples, as written there, with their printed values checked. */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import { customVjp, grad, valueAndGrad, vmap } from "@fnn/autodiff"
import { arbShape, arbTensor, checkGrads, gradProperty } from "@fnn/autodiff/testing"

describe("README", () => {
  it("opening example", () => {
    const f = (x: T.Tensor) => T.sum(T.mul(x, x))
    expect(T.toArray(grad(f)(T.tensor([1, 2, 3])))).toEqual([2, 4, 6])
  })

  it("fits a line by least squares", () => {
    type Line = { readonly w: T.Tensor; readonly b: T.Tensor }

    // points on y = 2x + 1
    const x = T.linspace(-1, 1, 20)
    const y = T.add(T.mul(x, 2), 1)

    const loss = (p: Line, xs: T.Tensor, ys: T.Tensor) =>
      T.mean(T.square(T.sub(T.add(T.mul(p.w, xs), p.b), ys)))

    let line: Line = { w: T.tensor(0), b: T.tensor(0) }
    const step = valueAndGrad(loss)
    for (let i = 0; i < 300; i++) {
      const [, g] = step(line, x, y)
      line = { w: T.sub(line.w, T.mul(g.w, 0.3)), b: T.sub(line.b, T.mul(g.b, 0.3)) }
    }
    expect(T.item(line.w)).toBeCloseTo(2, 4)
    expect(T.item(line.b)).toBeCloseTo(1, 4)
  })

  it("takes a second derivative", () => {
    // f(x) = x³ + sin x, so f''(x) = 6x − sin x
    const f = (x: T.Tensor) => T.add(T.pow(x, 3), T.sin(x))
    const d2f = grad(grad(f))
    expect(T.item(d2f(T.tensor(2, { dtype: "float64" })))).toBeCloseTo(12 - Math.sin(2), 12)
  })

  it("checks a user's own gradients", () => {
    // log Σ eˣ over all elements, with a hand-written gradient e^(x − y) that reuses the output y
    const lse = customVjp((x: T.Tensor) => T.logSumExp(x), {
      fwd: (x) => {
        const y = T.logSumExp(x)
        return [y, [x, y] as const]
      },
      bwd: ([x, y], g) => [T.mul(g, T.exp(T.sub(x, y)))],
    })

    // one point, first and second derivatives (fwd over a customVjp function differentiates f itself)
    checkGrads(lse, [T.tensor([0.5, -1, 2], { dtype: "float64" })], { order: 2 })

    // random shapes and values; a failure shrinks to a small tensor
    const x = arbTensor(arbShape({ minRank: 1 }), { dtype: "float64", min: -5, max: 5 })
    fc.assert(gradProperty(lse, [x], { order: 2 }), { numRuns: 50 })
  })

  it("maps over a batch, and gives per-example gradients", () => {
    const dot = (a: T.Tensor, b: T.Tensor) => T.sum(T.mul(a, b))
    expect(
      T.toArray(
        vmap(dot)(
          T.tensor([
            [1, 2],
            [3, 4],
          ]),
          T.tensor([
            [1, 1],
            [2, 2],
          ]),
        ),
      ),
    ).toEqual([3, 14])
    expect(
      T.toArray(
        vmap(dot, { inAxes: [0, null] })(
          T.tensor([
            [1, 2],
            [3, 4],
          ]),
          T.tensor([1, 0]),
        ),
      ),
    ).toEqual([1, 3])

    // per-example gradients: the weights shared, one gradient per (x, y) row
    const loss = (w: T.Tensor, x: T.Tensor, y: T.Tensor) => T.square(T.sub(T.dot(w, x), y))
    const w = T.tensor([1, -1])
    const xs = T.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    const ys = T.tensor([0, 1, 2])
    expect(T.toArray(vmap(grad(loss), { inAxes: [null, 0, 0] })(w, xs, ys))).toEqual([
      [-2, -4],
      [-12, -16],
      [-30, -36],
    ])
  })
})
