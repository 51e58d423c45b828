/**
 * vmap with the other transformations (per-example gradients, jvp, nesting, Jacobians), its
 * trees of axes, and its errors.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import { useKernels, referenceKernels } from "@fnn/tensor/internal"
import { arbTensor } from "../src/testing/index.ts"
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
  vmap,
} from "../src/index.ts"

const f64 = (x: T.Nested): T.Tensor => T.tensor(x, { dtype: "float64" })
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

const close = (got: T.Tensor, want: T.Tensor, tol = 1e-12): void => {
  expect(got.shape).toEqual(want.shape)
  const g = Array.from(got.data)
  const w = Array.from(want.data)
  g.forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(w[i]!))))
}

const closeTrees = (got: T.Tree, want: T.Tree, tol = 1e-12): void => {
  const gl = T.tree.leaves(got)
  const wl = T.tree.leaves(want)
  expect(gl.length).toBe(wl.length)
  gl.forEach((g, i) => close(g, wl[i]!, tol))
}

/** Row `b` of `x` along axis 0. */
const row = (x: T.Tensor, b: number): T.Tensor => T.squeeze(T.slice(x, [b], [b + 1]), 0)

// a small network: 4 inputs, 3 hidden (tanh), 2 outputs, cross-entropy on an int32 label
type Params = {
  readonly w1: T.Tensor
  readonly b1: T.Tensor
  readonly w2: T.Tensor
  readonly b2: T.Tensor
}
const net = (p: Params, x: T.Tensor): T.Tensor =>
  T.add(T.matmul(T.tanh(T.add(T.matmul(x, p.w1), p.b1)), p.w2), p.b2)
const exampleLoss = (p: Params, x: T.Tensor, y: T.Tensor): T.Tensor =>
  T.neg(T.sum(T.mul(T.oneHot(y, 2, { dtype: "float64" }), T.logSoftmax(net(p, x)))))

const arbParams: fc.Arbitrary<Params> = fc.record({
  w1: arbTensor([4, 3], { dtype: "float64" }),
  b1: arbTensor([3], { dtype: "float64" }),
  w2: arbTensor([3, 2], { dtype: "float64" }),
  b2: arbTensor([2], { dtype: "float64" }),
})
const arbBatch = fc
  .integer({ min: 1, max: 5 })
  .chain((n) =>
    fc.tuple(
      arbTensor([n, 4], { dtype: "float64" }),
      arbTensor([n], { dtype: "int32", min: 0, max: 1 }),
    ),
  )

describe("per-example gradients", () => {
  it("equal a loop of grad over the examples", () => {
    fc.assert(
      fc.property(arbParams, arbBatch, (p, [x, y]) => {
        const got = vmap(grad(exampleLoss), { inAxes: [null, 0, 0] })(p, x, y)
        const n = x.shape[0]!
        const each = range(n).map((b) => grad(exampleLoss)(p, row(x, b), row(y, b)))
        closeTrees(got, {
          w1: T.stack(each.map((g) => g.w1)),
          b1: T.stack(each.map((g) => g.b1)),
          w2: T.stack(each.map((g) => g.w2)),
          b2: T.stack(each.map((g) => g.b2)),
        })
      }),
      { numRuns: 25 },
    )
  })

  it("summed, equal the gradient of the summed loss (grad of vmap)", () => {
    fc.assert(
      fc.property(arbParams, arbBatch, (p, [x, y]) => {
        const per = vmap(grad(exampleLoss), { inAxes: [null, 0, 0] })(p, x, y)
        const total = grad((q: Params) =>
          T.sum(vmap(exampleLoss, { inAxes: [null, 0, 0] })(q, x, y)),
        )(p)
        closeTrees(
          T.tree.map(per, (g) => T.sum(g, { axis: 0 })),
          total,
        )
      }),
      { numRuns: 25 },
    )
  })

  it("come with per-example values from valueAndGrad", () => {
    const p: Params = {
      w1: T.reshape(T.linspace(-1, 1, 12, { dtype: "float64" }), [4, 3]),
      b1: f64([0.1, 0, -0.1]),
      w2: T.reshape(T.linspace(-1, 1, 6, { dtype: "float64" }), [3, 2]),
      b2: f64([0, 0.2]),
    }
    const x = T.reshape(T.linspace(-2, 2, 12, { dtype: "float64" }), [3, 4])
    const y = T.tensor([0, 1, 1], { dtype: "int32" })
    const [values] = vmap(valueAndGrad(exampleLoss), { inAxes: [null, 0, 0] })(p, x, y)
    close(values, T.stack(range(3).map((b) => exampleLoss(p, row(x, b), row(y, b)))))
  })

  it("use a customVjp rule inside (vmap of grad batches fwd and bwd)", () => {
    let calls = 0
    const square = customVjp((x: T.Tensor) => T.mul(x, x), {
      fwd: (x) => [T.mul(x, x), x],
      bwd: (x, g) => {
        calls++
        return [T.mul(g, T.mul(x, 2))]
      },
    })
    const xs = f64([1, 2, 3])
    const got = vmap(grad((x: T.Tensor) => T.sum(square(x))))(xs)
    expect(calls).toBe(1)
    close(got, f64([2, 4, 6]))
  })

  it("are cut by stopGradient inside vmap, which keeps the batch", () => {
    const f = (x: T.Tensor) => T.sum(T.mul(x, stopGradient(x)))
    close(
      vmap(grad(f))(
        f64([
          [1, 2],
          [3, 4],
        ]),
      ),
      f64([
        [1, 2],
        [3, 4],
      ]),
    )
    close(
      grad((x: T.Tensor) => T.sum(vmap((r: T.Tensor) => T.mul(r, stopGradient(r)))(x)))(
        f64([[1, 2]]),
      ),
      f64([[1, 2]]),
    )
  })
})

describe("vmap with forward mode and with itself", () => {
  const g = (x: T.Tensor) => T.sum(T.sin(T.mul(x, x)))
  const arbXs = fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }))
    .chain(([n, d]) =>
      fc.tuple(arbTensor([n, d], { dtype: "float64" }), arbTensor([n, d], { dtype: "float64" })),
    )

  it("vmap(jvp) equals jvp on each example", () => {
    fc.assert(
      fc.property(arbXs, ([xs, ts]) => {
        const [ys, dys] = vmap((x: T.Tensor, t: T.Tensor) => jvp(g, [x], [t]))(xs, ts)
        const each = range(xs.shape[0]!).map((b) => jvp(g, [row(xs, b)], [row(ts, b)]))
        close(ys, T.stack(each.map((e) => e[0])))
        close(dys, T.stack(each.map((e) => e[1])))
      }),
      { numRuns: 25 },
    )
  })

  it("jvp(vmap) equals jvp on each example", () => {
    fc.assert(
      fc.property(arbXs, ([xs, ts]) => {
        const [ys, dys] = jvp(vmap(g), [xs], [ts])
        const each = range(xs.shape[0]!).map((b) => jvp(g, [row(xs, b)], [row(ts, b)]))
        close(ys, T.stack(each.map((e) => e[0])))
        close(dys, T.stack(each.map((e) => e[1])))
      }),
      { numRuns: 25 },
    )
  })

  it("vmap(vjp) pulls back each example's cotangent", () => {
    const xs = f64([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    const cs = f64([
      [1, 0],
      [0, 1],
      [1, 1],
    ])
    const got = vmap((x: T.Tensor, c: T.Tensor) => vjp((v: T.Tensor) => T.sin(v), x)[1](c)[0])(
      xs,
      cs,
    )
    close(got, T.mul(cs, T.cos(xs)))
  })

  it("vmap(vmap(f)) equals the double loop, for any pair of axes", () => {
    fc.assert(
      fc.property(
        arbTensor([2, 3, 4], { dtype: "float64" }),
        arbTensor([1], { dtype: "float64" }),
        fc.constantFrom(0, 1, 2),
        fc.constantFrom(0, 1),
        (x, w, outer, inner) => {
          const f = (r: T.Tensor) => T.sum(T.mul(T.exp(r), w))
          const got = vmap(vmap(f, { inAxes: inner }), { inAxes: outer })(x)
          const xo = T.transpose(x, [outer, ...[0, 1, 2].filter((a) => a !== outer)])
          const want = T.stack(
            range(xo.shape[0]!).map((i) => {
              const xi = row(xo, i)
              const xt = inner === 0 ? xi : T.transpose(xi)
              return T.stack(range(xt.shape[0]!).map((j) => f(row(xt, j))))
            }),
          )
          close(got, want)
        },
      ),
      { numRuns: 20 },
    )
  })

  it("per-example Hessians: vmap(hessian(f)) equals hessian on each example", () => {
    const xs = f64([
      [0.5, -1],
      [2, 0.25],
    ])
    const got = vmap(hessian(g))(xs)
    close(got, T.stack(range(2).map((b) => hessian(g)(row(xs, b)))))
  })
})

// the loop-based Jacobians the batched ones replaced: one jvp per input element, one pullback
// per output element
const unit = (like: T.Tensor, k: number): T.Tensor =>
  T.reshape(
    T.oneHot(T.tensor([k], { dtype: "int32" }), like.size, { dtype: like.dtype }),
    like.shape,
  )
const loopJacfwd = (f: (x: T.Tensor) => T.Tensor, x: T.Tensor): T.Tensor => {
  const cols = range(x.size).map((k) => jvp(f, [x], [unit(x, k)])[1])
  return T.reshape(T.stack(cols, cols[0]!.rank), [...cols[0]!.shape, ...x.shape])
}
const loopJacrev = (f: (x: T.Tensor) => T.Tensor, x: T.Tensor): T.Tensor => {
  const [y, pullback] = vjp(f, x)
  return T.reshape(T.stack(range(y.size).map((k) => pullback(unit(y, k))[0])), [
    ...y.shape,
    ...x.shape,
  ])
}

describe("Jacobians on vmap", () => {
  const f = (x: T.Tensor): T.Tensor =>
    T.concat([
      T.tanh(T.matmul(T.reshape(x, [2, 3]), T.transpose(T.reshape(x, [2, 3])))),
      T.reshape(T.exp(x), [3, 2]),
    ])
  const arbX = arbTensor([6], { dtype: "float64", min: -1, max: 1 })

  it("jacfwd and jacrev equal the loop-based ones", () => {
    fc.assert(
      fc.property(arbX, (x) => {
        const want = loopJacfwd(f, x)
        close(jacfwd(f)(x), want)
        close(jacrev(f)(x), loopJacrev(f, x))
        close(jacrev(f)(x), want)
      }),
      { numRuns: 20 },
    )
  })

  it("hessian equals the loop-based jacfwd of the loop-based jacrev", () => {
    const s = (x: T.Tensor) => T.sum(T.mul(T.sin(x), T.sum(T.mul(x, x))))
    fc.assert(
      fc.property(arbX, (x) => {
        close(
          hessian(s)(x),
          loopJacfwd((v) => loopJacrev(s, v), x),
          1e-10,
        )
      }),
      { numRuns: 10 },
    )
  })

  it("of an output that does not depend on the input are zeros", () => {
    const c = (_x: T.Tensor) => f64([1, 2])
    close(jacfwd(c)(f64([1, 2, 3])), T.zeros([2, 3], { dtype: "float64" }))
    close(jacrev(c)(f64([1, 2, 3])), T.zeros([2, 3], { dtype: "float64" }))
  })
})

describe("vmap's batching", () => {
  it("runs a product with one batched operand as one larger product", () => {
    const shapes: number[][][] = []
    const restore = useKernels({
      matmul: (inputs, params) => {
        shapes.push(inputs.map((x) => [...x.shape]))
        return referenceKernels.matmul(inputs, params)
      },
    })
    try {
      const w = T.ones([3, 4])
      vmap((x: T.Tensor) => T.matmul(x, w))(T.ones([5, 2, 3]))
      vmap((x: T.Tensor) => T.matmul(w, x), { inAxes: 1 })(T.ones([4, 7, 2]))
    } finally {
      restore()
    }
    expect(shapes).toEqual([
      [
        [10, 3],
        [3, 4],
      ],
      [
        [3, 4],
        [4, 14],
      ],
    ])
  })

  it("keeps the batch axis where it is through elementwise ops and reductions", () => {
    const transposes: number[] = []
    const restore = useKernels({
      transpose: (inputs, params) => {
        transposes.push(1)
        return referenceKernels.transpose(inputs, params)
      },
    })
    try {
      const y = vmap((x: T.Tensor) => T.sum(T.exp(T.mul(x, 2)), { axis: 0 }), {
        inAxes: 1,
        outAxes: 0,
      })(T.ones([3, 4, 5]))
      expect(y.shape).toEqual([4, 5])
    } finally {
      restore()
    }
    expect(transposes).toEqual([])
  })

  it("maps trees of arguments with trees of axes, a number standing for a whole subtree", () => {
    const f = (p: { readonly a: T.Tensor; readonly b: ReadonlyArray<T.Tensor> }) =>
      T.add(p.a, T.mul(p.b[0]!, p.b[1]!))
    const a = f64([[1, 2, 3]])
    const b0 = f64([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    const b1 = f64([10, 20])
    const got = vmap(f, { inAxes: [{ a: 1, b: [0, null] }], outAxes: 1 })({ a, b: [b0, b1] })
    close(
      got,
      f64([
        [11, 32, 53],
        [41, 82, 123],
      ]),
    )
    // a number for the whole tree
    const both = vmap(f, { inAxes: 0 })({
      a: f64([[1], [2]]),
      b: [f64([[1], [2]]), f64([[3], [4]])],
    })
    close(both, f64([[4], [10]]))
  })

  it("broadcasts outputs that do not depend on the mapped inputs, or returns them as they are under null", () => {
    const f = (x: T.Tensor) => [T.mul(x, 2), f64([7, 8])] as const
    const [y, c] = vmap(f)(f64([1, 2, 3]))
    close(y, f64([2, 4, 6]))
    close(
      c,
      f64([
        [7, 8],
        [7, 8],
        [7, 8],
      ]),
    )
    const [, c2] = vmap(f, { outAxes: [0, -1] })(f64([1, 2, 3]))
    close(
      c2,
      f64([
        [7, 7, 7],
        [8, 8, 8],
      ]),
    )
    const [, c3] = vmap(f, { outAxes: [0, null] })(f64([1, 2, 3]))
    close(c3, f64([7, 8]))
  })

  it("maps nothing when every argument is shared and axisSize says how many", () => {
    const y = vmap((x: T.Tensor) => T.exp(x), { inAxes: null, axisSize: 3 })(f64([0, 1]))
    close(y, T.stack([0, 1, 2].map(() => T.exp(f64([0, 1])))))
  })

  it("passes an argument under null as it is, whatever it is", () => {
    const f = (x: T.Tensor, k: number) => T.mul(x, k)
    close(vmap(f, { inAxes: [0, null] })(f64([1, 2]), 3), f64([3, 6]))
  })

  it("turns negative indices around, in gathers with batched indices", () => {
    const x = f64([10, 20, 30])
    const idx = T.tensor(
      [
        [-1, 0],
        [1, -2],
      ],
      { dtype: "int32" },
    )
    close(
      vmap((i: T.Tensor) => T.gather(x, i))(idx),
      f64([
        [30, 10],
        [20, 20],
      ]),
    )
    close(
      vmap((r: T.Tensor, i: T.Tensor) => T.gather(r, i))(
        f64([
          [1, 2],
          [3, 4],
        ]),
        idx,
      ),
      f64([
        [2, 1],
        [4, 3],
      ]),
    )
  })

  it("one-hot rows of batched labels", () => {
    const labels = T.tensor([2, 0], { dtype: "int32" })
    close(
      vmap((l: T.Tensor) => T.oneHot(l, 3, { dtype: "float64" }))(labels),
      f64([
        [0, 0, 1],
        [1, 0, 0],
      ]),
    )
  })

  it("works on an empty batch", () => {
    const y = vmap((x: T.Tensor) => T.matmul(x, T.ones([3, 2])))(T.zeros([0, 4, 3]))
    expect(y.shape).toEqual([0, 4, 2])
  })
})

describe("vmap's errors", () => {
  const add = (a: T.Tensor, b: T.Tensor) => T.add(a, b)

  it("names the arguments and sizes of mapped axes that differ", () => {
    expect(() => vmap(add)(T.zeros([3, 2]), T.zeros([4, 2]))).toThrow(
      /different sizes: axis 0 of argument 0 \(shape \[3, 2\]\) has size 3, but axis 0 of argument 1 \(shape \[4, 2\]\) has size 4/,
    )
    expect(() => vmap(add, { axisSize: 2 })(T.zeros([3]), T.zeros([3]))).toThrow(/axisSize is 2/)
  })

  it("names an axis out of range, and where it is", () => {
    expect(() => vmap(add, { inAxes: [0, 2] })(T.zeros([3]), T.zeros([3, 1]))).toThrow(
      /inAxes asks for axis 2 of argument 1 \(shape \[3, 1\]\), which has 2 axes/,
    )
    expect(() => vmap((p: { w: T.Tensor }) => p.w)({ w: T.zeros([]) })).toThrow(
      /axis 0 of argument 0 at "w" \(shape \[\]\), which has 0 axes/,
    )
    expect(() => vmap((x: T.Tensor) => x, { outAxes: 3 })(T.zeros([2, 2]))).toThrow(
      /outAxes asks for axis 3 of the output/,
    )
    expect(() => vmap(add, { inAxes: [0.5, 0] })(T.zeros([3]), T.zeros([3]))).toThrow(/axis 0.5/)
  })

  it("names an inAxes tree that does not match its argument", () => {
    const f = (p: { w: T.Tensor; b: T.Tensor }) => T.add(p.w, p.b)
    expect(() => vmap(f, { inAxes: [{ w: 0 }] })({ w: T.zeros([2]), b: T.zeros([2]) })).toThrow(
      /inAxes for argument 0 is a record with keys \[w\], which does not match argument 0: a record with keys \[b, w\]/,
    )
    expect(() => vmap(f, { inAxes: [[0, 0]] })({ w: T.zeros([2]), b: T.zeros([2]) })).toThrow(
      /inAxes for argument 0 is an array of length 2/,
    )
    expect(() => vmap(add, { inAxes: [0] })(T.zeros([2]), T.zeros([2]))).toThrow(
      /inAxes has 1 entries but the function was called with 2 arguments/,
    )
    expect(() =>
      vmap(add, { inAxes: ["0" as unknown as number, 0] })(T.zeros([2]), T.zeros([2])),
    ).toThrow(/must be a number, null, an array or a record, got a string/)
  })

  it("asks for axisSize when nothing is mapped", () => {
    expect(() => vmap(add, { inAxes: null })(T.zeros([2]), T.zeros([2]))).toThrow(/give axisSize/)
    expect(() => vmap(add, { inAxes: null, axisSize: -1 })(T.zeros([2]), T.zeros([2]))).toThrow(
      /axisSize must be an integer ≥ 0, got -1/,
    )
  })

  it("refuses outAxes null for an output that differs from example to example", () => {
    expect(() => vmap((x: T.Tensor) => T.exp(x), { outAxes: null })(T.zeros([2]))).toThrow(
      /outAxes is null for the output, but it differs from example to example/,
    )
  })

  it("refuses to read a batched tensor's values, and a tracer that escaped", () => {
    expect(() => vmap((x: T.Tensor) => T.tensor(T.item(x)))(T.zeros([2]))).toThrow(
      /values of a batched tensor cannot be read inside vmap/,
    )
    let leaked: T.Tensor | undefined
    vmap((x: T.Tensor) => {
      leaked = T.exp(x)
      return x
    })(T.zeros([2]))
    expect(() => T.add(leaked!, 1)).toThrow(/escaped/)
  })

  it("names a batched gather index out of range", () => {
    const x = f64([1, 2, 3])
    expect(() =>
      vmap((i: T.Tensor) => T.gather(x, i))(T.tensor([[0], [3]], { dtype: "int32" })),
    ).toThrow(/index 3 .* out of range for an axis of size 3/)
  })
})
