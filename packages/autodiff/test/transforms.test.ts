import { describe, expect, expectTypeOf, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import {
  customVjp,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  stopGradient,
  valueAndGrad,
  vjp,
} from "../src/index.ts"
import { arbShape, arbTensor, checkGrads } from "../src/testing/index.ts"

const f64 = (v: T.NestedArray): T.Tensor => T.tensor(v, { dtype: "float64" })
const values = (x: T.Tensor): number[] => Array.from(x.data)
const close = (x: T.Tensor, expected: ReadonlyArray<number>, digits = 6): void => {
  expect(x.size).toBe(expected.length)
  values(x).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits))
}

describe("grad", () => {
  it("of Σx² is 2x, in the input's dtype and shape", () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom<T.DType>("float32", "float64")
          .chain((dtype) => arbTensor(arbShape(), { dtype })),
        (x) => {
          const g = grad((t: T.Tensor) => T.sum(T.mul(t, t)))(x)
          expect(g.dtype).toBe(x.dtype)
          expect(g.shape).toEqual(x.shape)
          expect(values(g)).toEqual(values(x).map((v) => 2 * v))
        },
      ),
      { numRuns: 30 },
    )
  })

  it("of a sum is ones", () => {
    fc.assert(
      fc.property(arbTensor(arbShape()), (x) => {
        const g = grad((t: T.Tensor) => T.sum(t))(x)
        expect(values(g)).toEqual(values(x).map(() => 1))
      }),
      { numRuns: 30 },
    )
  })

  it("of a function that ignores its argument is zeros", () => {
    const g = grad((_x: T.Tensor, y: T.Tensor) => T.sum(y))(f64([1, 2]), f64(3))
    expect(values(g)).toEqual([0, 0])
    expect(g.dtype).toBe("float64")
  })

  it("composes: grad(grad(Σ sin)) is -sin on a scalar", () => {
    const d2 = grad(grad((x: T.Tensor) => T.sum(T.sin(x))))
    for (const v of [-2, 0.5, 1.3]) expect(T.item(d2(f64(v)))).toBeCloseTo(-Math.sin(v), 12)
  })

  it("to third order: d³/dx³ x⁴ = 24x", () => {
    const f = (x: T.Tensor) => T.pow(x, 4)
    expect(T.item(grad(grad(grad(f)))(f64(1.5)))).toBeCloseTo(36, 10)
  })

  it("gives the same result when called twice (nothing to reset)", () => {
    const g = grad((x: T.Tensor) => T.sum(T.sigmoid(T.mul(x, x))))
    const x = f64([0.3, -1, 2])
    expect(values(g(x))).toEqual(values(g(x)))
  })

  it("answers a tree of parameters with the same tree", () => {
    const params = { layers: [{ w: f64([[1, 2]]), b: f64([0.5]) }], scale: f64(2) }
    const loss = (p: typeof params, x: T.Tensor) =>
      T.sum(T.mul(p.scale, T.add(T.matmul(p.layers[0]!.w, x), p.layers[0]!.b)))
    const g = grad(loss)(params, f64([3, 4]))
    expect(Object.keys(g)).toEqual(["layers", "scale"])
    close(g.layers[0]!.w, [6, 8])
    close(g.layers[0]!.b, [2])
    close(g.scale, [11.5])
    expect(g.layers[0]!.w.shape).toEqual([1, 2])
  })

  it("with argnums as an array returns a tuple of gradients", () => {
    const f = (a: T.Tensor, b: T.Tensor, c: T.Tensor) => T.sum(T.mul(T.mul(a, b), c))
    const [gc, ga] = grad(f, { argnums: [2, 0] })(f64(2), f64(3), f64(5))
    expect(T.item(gc)).toBe(6)
    expect(T.item(ga)).toBe(15)
    expectTypeOf(grad(f, { argnums: [2, 0] })).returns.toExtend<[T.Tensor, T.Tensor]>()
    expectTypeOf(grad(f, { argnums: 1 })).returns.toExtend<T.Tensor>()
    expectTypeOf(grad(f)).returns.not.toExtend<T.Tensor[]>()
  })

  it("with hasAux returns [grads, aux], aux holding plain values", () => {
    const f = (x: T.Tensor) => [T.sum(T.mul(x, x)), { doubled: T.mul(x, 2), note: "kept" }] as const
    const [g, aux] = grad(f, { hasAux: true })(f64([1, 2]))
    close(g, [2, 4])
    close(aux.doubled, [2, 4])
    expect(aux.note).toBe("kept")
    // aux is a plain value: using it later is fine
    close(T.add(aux.doubled, 1), [3, 5])
  })

  it("lets int32 values (labels, indices) flow inside with zero gradient", () => {
    const labels = T.tensor([2, 0], { dtype: "int32" })
    const loss = (logits: T.Tensor, y: T.Tensor) =>
      T.neg(
        T.mean(
          T.sum(T.mul(T.logSoftmax(logits), T.oneHot(y, 3, { dtype: "float64" })), { axis: 1 }),
        ),
      )
    const logits = f64([
      [1, 2, 3],
      [0.5, -1, 0],
    ])
    const g = grad(loss)(logits, labels)
    const p = T.softmax(logits)
    const expected = values(p).map((v, i) => (v - (i === 2 || i === 3 ? 1 : 0)) / 2)
    close(g, expected, 12)
  })

  it("refuses an int32 argument, naming it and its path", () => {
    const f = (p: { w: T.Tensor; step: T.Tensor }) => T.sum(p.w)
    expect(() => grad(f)({ w: f64([1]), step: T.tensor(3, { dtype: "int32" }) })).toThrow(
      /argument 0 at "step" is an int32 tensor/,
    )
    expect(() => grad((x: T.Tensor) => T.sum(x))(T.tensor([1, 2], { dtype: "int32" }))).toThrow(
      /argument 0 is an int32 tensor: integers have no derivative/,
    )
  })

  it("refuses a non-scalar output, naming its shape", () => {
    expect(() => grad((x: T.Tensor) => T.mul(x, 2))(f64([1, 2, 3]))).toThrow(
      /must return a scalar.*shape \[3\]/,
    )
  })

  it("refuses argnums out of range and non-tensor arguments", () => {
    expect(() => grad((x: T.Tensor) => T.sum(x), { argnums: 1 })(f64(1))).toThrow(
      /argnums 1 names argument 1, but the function was called with 1 argument/,
    )
    expect(() => grad((x: unknown) => T.sum(x as T.Tensor))(3)).toThrow(
      /argument 0 is not a tree of tensors: at the root: a number/,
    )
  })

  it("does not change its inputs (data snapshot before and after)", () => {
    fc.assert(
      fc.property(
        arbTensor([3, 2], { dtype: "float64" }),
        arbTensor([2], { dtype: "float64" }),
        (w, b) => {
          const params = { w, b }
          const before = [Float64Array.from(w.data), Float64Array.from(b.data)]
          const x = f64([1, -1, 0.5])
          const loss = (p: typeof params) => T.sum(T.sigmoid(T.add(T.matmul(x, p.w), p.b)))
          valueAndGrad(loss)(params)
          jvp(loss, [params], [params])
          vjp(loss, params)[1](f64(1))
          hessian((t: T.Tensor) => T.sum(T.tanh(t)))(b)
          expect(Array.from(w.data)).toEqual(Array.from(before[0]!))
          expect(Array.from(b.data)).toEqual(Array.from(before[1]!))
          expect(Object.keys(params)).toEqual(["w", "b"])
          expect(params.w).toBe(w)
        },
      ),
      { numRuns: 10 },
    )
  })
})

describe("valueAndGrad", () => {
  it("returns [value, grads] with the value of f", () => {
    const loss = (w: T.Tensor, x: T.Tensor, y: T.Tensor) => T.mean(T.square(T.sub(T.mul(w, x), y)))
    const [value, g] = valueAndGrad(loss)(f64(2), f64([1, 2]), f64([1, 1]))
    // residuals 1 and 3: mean of squares 5, gradient mean(2·r·x) = 7
    expect(T.item(value)).toBe(5)
    expect(T.item(g)).toBe(7)
  })

  it("with hasAux returns [[loss, aux], grads] as JAX", () => {
    const f = (x: T.Tensor) => [T.sum(T.exp(x)), T.max(x)] as const
    const [[loss, aux], g] = valueAndGrad(f, { hasAux: true, argnums: 0 })(f64([0, 1]))
    expect(T.item(loss)).toBeCloseTo(1 + Math.E, 12)
    expect(T.item(aux)).toBe(1)
    close(g, [1, Math.E])
  })

  it("with hasAux refuses a function that does not return a pair", () => {
    const f = ((x: T.Tensor) => T.sum(x)) as unknown as (x: T.Tensor) => readonly [T.Tensor, number]
    expect(() => valueAndGrad(f, { hasAux: true })(f64(1))).toThrow(/\[loss, aux\]/)
  })
})

describe("vjp and jvp", () => {
  it("vjp handles several primals and tree outputs", () => {
    const f = (a: T.Tensor, b: T.Tensor) => ({ s: T.add(a, b), p: T.mul(a, b) })
    const [y, pullback] = vjp(f, f64([1, 2]), f64(3))
    close(y.s, [4, 5])
    const [da, db] = pullback({ s: f64([1, 0]), p: f64([0, 1]) })
    close(da, [1, 3])
    close(db, [1 + 2])
    expect(db.shape).toEqual([])
  })

  it("vjp's pullback can run many times and refuses a cotangent of the wrong shape", () => {
    const [, pullback] = vjp((x: T.Tensor) => T.mul(x, x), f64([1, 2]))
    close(pullback(f64([1, 1]))[0], [2, 4])
    close(pullback(f64([1, 0]))[0], [2, 0])
    expect(() => pullback(f64([1, 1, 1]))).toThrow(
      /cotangent has shape \[3\] but the output has shape \[2\]/,
    )
  })

  it("jvp pushes tangents forward; constant outputs get zero tangents", () => {
    const [[y, k], [dy, dk]] = jvp(
      (x: T.Tensor) => [T.exp(x), f64(7)] as const,
      [f64([0, 1])],
      [f64([1, 2])],
    )
    close(y, [1, Math.E])
    close(dy, [1, 2 * Math.E])
    expect(T.item(k)).toBe(7)
    expect(T.item(dk)).toBe(0)
  })

  it("jvp refuses tangents that do not match the primals", () => {
    expect(() => jvp((x: T.Tensor) => x, [f64([1, 2])], [f64([1])])).toThrow(
      /tangent 0 has shape \[1\] but primal 0 has shape \[2\]/,
    )
  })

  it("jvp of grad gives Hessian-vector products", () => {
    // f = Σ x³: ∇f = 3x², H = diag(6x)
    const g = grad((x: T.Tensor) => T.sum(T.mul(T.mul(x, x), x)))
    const [, hv] = jvp(g, [f64([1, 2])], [f64([1, -1])])
    close(hv, [6, -12])
  })
})

describe("Jacobians", () => {
  it("jacfwd, jacrev and hessian agree with hand derivatives", () => {
    const A = f64([
      [1, 2],
      [3, 4],
    ])
    // f(x) = ½ xᵀAx: ∇ = ½(A + Aᵀ)x, H = ½(A + Aᵀ)
    const f = (x: T.Tensor) => T.mul(0.5, T.sum(T.mul(x, T.matmul(A, x))))
    close(hessian(f)(f64([0.3, -2])), [1, 2.5, 2.5, 4])
    const lin = (x: T.Tensor) => T.matmul(A, T.sin(x))
    const x = f64([0.1, 0.7])
    const expected = [1 * Math.cos(0.1), 2 * Math.cos(0.7), 3 * Math.cos(0.1), 4 * Math.cos(0.7)]
    close(jacrev(lin)(x), expected, 12)
    close(jacfwd(lin)(x), expected, 12)
    expect(jacrev(lin)(x).shape).toEqual([2, 2])
  })

  it("have shape [...output, ...input]", () => {
    const f = (x: T.Tensor) => T.reshape(T.concat([x, x], 0), [2, 2, 3])
    const x = T.zeros([2, 3], { dtype: "float64" })
    expect(jacrev(f)(x).shape).toEqual([2, 2, 3, 2, 3])
    expect(jacfwd(f)(x).shape).toEqual([2, 2, 3, 2, 3])
  })
})

describe("edges decided on purpose", () => {
  it("relu's derivative at 0 is 0 (and 1 above, 0 below)", () => {
    close(grad((x: T.Tensor) => T.sum(T.relu(x)))(f64([-1, 0, 2])), [0, 0, 1])
    const [, dy] = jvp(T.relu, [f64([-1, 0, 2])], [f64([1, 1, 1])])
    close(dy, [0, 0, 1])
  })

  it("maximum and minimum split a tie in halves, so max(x, x) has slope 1", () => {
    close(grad((x: T.Tensor) => T.sum(T.maximum(x, 0)))(f64([-1, 0, 2])), [0, 0.5, 1])
    close(grad((x: T.Tensor) => T.sum(T.maximum(x, x)))(f64([3])), [1])
    close(grad((x: T.Tensor) => T.sum(T.minimum(x, x)))(f64([3])), [1])
  })

  it("abs has slope 0 at 0; max shares its slope among tied maxima", () => {
    close(grad((x: T.Tensor) => T.sum(T.abs(x)))(f64([-2, 0, 3])), [-1, 0, 1])
    close(grad((x: T.Tensor) => T.max(x))(f64([1, 5, 5])), [0, 0.5, 0.5])
  })

  it("pow has finite slopes at 0 for positive exponents and at 0⁰", () => {
    close(grad((x: T.Tensor) => T.sum(T.pow(x, 2)))(f64([0, 3])), [0, 6])
    const [ga, gb] = grad((a: T.Tensor, b: T.Tensor) => T.sum(T.pow(a, b)), { argnums: [0, 1] })(
      f64([0, 0]),
      f64([0, 2]),
    )
    close(ga, [0, 0])
    close(gb, [0, 0])
  })

  it("softmax and logSumExp have finite gradients at ±1e4", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = T.tensor([1e4, -1e4, 1e4], { dtype })
      const g = grad((t: T.Tensor) => T.logSumExp(t))(x)
      close(g, [0.5, 0, 0.5])
      const w = T.tensor([1, 2, 3], { dtype })
      const gs = grad((t: T.Tensor) => T.sum(T.mul(T.softmax(t), w)))(x)
      expect(values(gs).every(Number.isFinite)).toBe(true)
      // softmax = [½, 0, ½]: ∂/∂xᵢ Σ pⱼwⱼ = pᵢ(wᵢ - Σ pⱼwⱼ) = [-½, 0, ½]
      close(gs, [-0.5, 0, 0.5])
      const [, dy] = jvp((t: T.Tensor) => T.logSumExp(t), [x], [T.tensor([1, 1, 0], { dtype })])
      expect(T.item(dy)).toBeCloseTo(0.5, 6)
    }
  })
})

describe("levels", () => {
  it("keep nested derivatives apart (perturbation confusion)", () => {
    // d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1, not 2
    const inner = (x: T.Tensor) => grad((y: T.Tensor) => T.add(x, y))(f64(4))
    expect(T.item(grad((x: T.Tensor) => T.mul(x, inner(x)))(f64(3)))).toBe(1)
    // the same in forward mode
    const d = (f: (t: T.Tensor) => T.Tensor, at: T.Tensor) => jvp(f, [at], [f64(1)])[1]
    expect(
      T.item(
        d(
          (x) =>
            T.mul(
              x,
              d((y) => T.add(x, y), f64(4)),
            ),
          f64(3),
        ),
      ),
    ).toBe(1)
    // and mixed: forward outside, reverse inside
    expect(T.item(d((x) => T.mul(x, inner(x)), f64(3)))).toBe(1)
  })

  it("a closed-over outer value is a constant for the inner derivative", () => {
    // d/dx grad_y (x·y²) at y = 2: grad_y = 2xy = 4x, so d/dx = 4
    const g = (x: T.Tensor) => grad((y: T.Tensor) => T.mul(x, T.mul(y, y)))(f64(2))
    expect(T.item(grad(g)(f64(5)))).toBe(4)
  })
})

describe("escaped tracers", () => {
  it("are refused with a clear error after the transformation returns", () => {
    let leaked: T.Tensor | undefined
    grad((x: T.Tensor) => {
      leaked = T.mul(x, 2)
      return T.sum(x)
    })(f64([1, 2]))
    expect(() => T.add(leaked!, 1)).toThrow(/escaped/)
    expect(() => grad((y: T.Tensor) => T.sum(T.mul(y, leaked!)))(f64([1, 2]))).toThrow(/escaped/)
    expect(() => jvp((y: T.Tensor) => T.mul(y, leaked!), [f64([1, 2])], [f64([1, 1])])).toThrow(
      /escaped/,
    )
    // reading its values is still allowed
    expect(values(leaked!)).toEqual([2, 4])
  })

  it("from jvp too", () => {
    let leaked: T.Tensor | undefined
    jvp(
      (x: T.Tensor) => {
        leaked = T.exp(x)
        return x
      },
      [f64(0)],
      [f64(1)],
    )
    expect(() => T.neg(leaked!)).toThrow(/escaped/)
    expect(() => stopGradient(leaked!)).toThrow(/escaped/)
  })
})

describe("stopGradient", () => {
  it("cuts the derivative in every mode and at every level", () => {
    const f = (x: T.Tensor) => T.mul(x, stopGradient(x))
    expect(T.item(grad(f)(f64(3)))).toBe(3)
    expect(T.item(jvp(f, [f64(3)], [f64(1)])[1])).toBe(3)
    // as JAX: the inner gradient stopGradient(x) is a constant for the outer grad too
    expect(T.item(grad(grad(f))(f64(3)))).toBe(0)
    const tree = stopGradient({ a: f64(1), b: [f64(2)] })
    expect(T.item(tree.b[0]!)).toBe(2)
  })
})

describe("customVjp", () => {
  // log Σ eˣ with the gradient written as softmax(x)
  const lse = customVjp((x: T.Tensor) => T.logSumExp(x), {
    fwd: (x) => [T.logSumExp(x), x],
    bwd: (x, g) => [T.mul(g, T.softmax(x))],
  })

  it("runs f without transformations and its rule under grad", () => {
    expect(T.item(lse(f64([0, 0])))).toBeCloseTo(Math.log(2), 12)
    close(grad(lse)(f64([1e4, 1e4])), [0.5, 0.5])
    checkGrads(lse, [f64([0.3, -1, 2])], { order: 2, modes: ["rev"] })
  })

  it("is used instead of differentiating f", () => {
    const wrong = customVjp((x: T.Tensor) => T.mul(x, x), {
      fwd: (x) => [T.mul(x, x), x],
      bwd: (x, g) => [T.mul(g, T.mul(x, 10))],
    })
    expect(T.item(grad(wrong)(f64(2)))).toBe(20)
    // forward mode differentiates f itself (documented)
    expect(T.item(jvp(wrong, [f64(2)], [f64(1)])[1])).toBe(4)
  })

  it("nests: grad(grad(g)) differentiates bwd", () => {
    // d²/dx² lse at a scalar-summed vector = softmax'(x): for x = [a, b] and direction e₀
    const h = grad((x: T.Tensor) => T.sum(T.mul(grad(lse)(x), f64([1, 0]))))(f64([0, 0]))
    close(h, [0.25, -0.25], 12)
  })

  it("handles tree arguments, constant and int32 inputs", () => {
    const scaled = customVjp(
      (p: { w: T.Tensor }, k: T.Tensor) => T.sum(T.mul(p.w, T.cast(k, "float64"))),
      {
        fwd: (p, k) => [T.sum(T.mul(p.w, T.cast(k, "float64"))), k],
        bwd: (k, g) => [{ w: T.mul(g, T.cast(k, "float64")) }, undefined],
      },
    )
    const k = T.tensor([2, 3], { dtype: "int32" })
    close(grad(scaled)({ w: f64([1, 1]) }, k).w, [2, 3])
  })

  it("refuses a bwd that returns the wrong number of cotangents", () => {
    const bad = customVjp((x: T.Tensor) => T.sum(x), {
      fwd: (x) => [T.sum(x), undefined],
      bwd: () => [] as unknown as [T.Tensor],
    })
    expect(() => grad(bad)(f64([1]))).toThrow(/one cotangent \(or undefined\) per argument/)
  })
})
