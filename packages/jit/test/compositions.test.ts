import fc from "fast-check"
import { describe, it } from "vitest"
import * as T from "@fnn/tensor"
import { grad, valueAndGrad } from "@fnn/autodiff"
import { installFastKernels, uninstallFastKernels } from "@fnn/tensor/fast"
import { jit } from "../src/index.ts"
import { expectSameTensor, expectSameTree } from "./support.ts"

/**
 * A random program over a pool of values: each step applies an op to earlier values (picked by
 * index, modulo the pool); a step whose operands do not fit (shapes that do not broadcast) is
 * skipped. The same recipe run eagerly and jitted makes the same choices: they depend on shapes
 * only.
 */
type Step = readonly [kind: number, i: number, j: number, k: number]

const unary = [T.neg, T.exp, T.tanh, T.sigmoid, T.abs, T.relu, T.square, T.sin, T.softplus]
const binary = [T.add, T.sub, T.mul, T.maximum, T.minimum, T.div]

const apply = (pool: T.Tensor[], [kind, i, j, k]: Step): T.Tensor | undefined => {
  const a = pool[i % pool.length]!
  const b = pool[j % pool.length]!
  try {
    switch (kind) {
      case 0:
        return unary[k % unary.length]!(a)
      case 1:
        return binary[k % binary.length]!(a, b)
      case 2:
        return T.where(T.greater(a, b), a, b)
      case 3:
        return a.rank === 0 ? T.mul(a, 0.5) : T.sum(a, { axis: k % a.rank, keepDims: k % 2 === 0 })
      case 4:
        return a.rank === 0 ? T.neg(a) : T.max(a, { axis: k % a.rank })
      case 5:
        return T.transpose(a)
      case 6:
        return a.rank === 2 && b.rank === 2 ? T.matmul(a, T.transpose(b)) : T.reshape(a, [-1])
      case 7:
        return a.rank === 0 ? a : T.softmax(a, { axis: -1 })
      case 8:
        return T.mul(T.cast(T.greater(a, 0.5), a.dtype), b)
      default:
        return a.rank > 0 && a.shape[0]! > 1 ? T.slice(a, [1]) : T.add(a, 1)
    }
  } catch (e) {
    if (e instanceof T.TensorError) return undefined
    throw e
  }
}

const run =
  (steps: ReadonlyArray<Step>) =>
  (x: T.Tensor, y: T.Tensor, z: T.Tensor): T.Tensor[] => {
    const pool = [x, y, z]
    for (const s of steps) {
      const v = apply(pool, s)
      if (v !== undefined) pool.push(v)
    }
    return pool.slice(3).slice(-3)
  }

const stepArb: fc.Arbitrary<Step> = fc.tuple(
  fc.integer({ min: 0, max: 9 }),
  fc.nat(),
  fc.nat(),
  fc.nat(),
)
const valuesArb = (shape: number[]) =>
  fc
    .array(fc.float({ min: -3, max: 3, noNaN: true }), {
      minLength: shape.reduce((a, b) => a * b, 1),
      maxLength: shape.reduce((a, b) => a * b, 1),
    })
    .map((v) => T.reshape(T.tensor(v), shape))

const inputsArb = fc.tuple(valuesArb([3, 4]), valuesArb([4]), valuesArb([3, 1]))

const composition = (runs: number): void =>
  fc.assert(
    fc.property(
      fc.array(stepArb, { minLength: 1, maxLength: 14 }),
      inputsArb,
      (steps, [x, y, z]) => {
        const f = run(steps)
        const expected = f(x, y, z)
        const jitted = jit(f, { poisonFreed: true })
        expectSameTree(jitted(x, y, z), expected)
        // a second call runs the compiled program in reused memory
        const [x2, y2, z2] = [T.neg(x), T.mul(y, 2), T.sub(z, 1)]
        expectSameTree(jitted(x2, y2, z2), f(x2, y2, z2))
      },
    ),
    { numRuns: runs },
  )

describe("jit(f) equals f on random compositions", () => {
  it("of elementwise ops with broadcasting, reductions, products and movement", () => {
    composition(150)
  })

  it("with the fast kernels installed", () => {
    installFastKernels({ threads: 1, minElements: 0, minMacs: 0 })
    try {
      composition(60)
    } finally {
      uninstallFastKernels()
    }
  })
})

const loss =
  (steps: ReadonlyArray<Step>) =>
  (x: T.Tensor, y: T.Tensor, z: T.Tensor): T.Tensor =>
    T.sum(
      run(steps)(x, y, z)
        .map((t) => T.sum(t))
        .reduce((a, b) => T.add(a, b), T.tensor(0)),
    )

describe("jit composes with autodiff", () => {
  it("jit(grad(f)) equals grad(f), bit for bit", () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 10 }),
        inputsArb,
        (steps, [x, y, z]) => {
          const g = grad(loss(steps), { argnums: [0, 1, 2] })
          expectSameTree(jit(g, { poisonFreed: true })(x, y, z), g(x, y, z))
        },
      ),
      { numRuns: 80 },
    )
  })

  it("jit(valueAndGrad(f)) of a small network equals valueAndGrad(f)", () => {
    const net = (p: { w: T.Tensor; b: T.Tensor }, x: T.Tensor, labels: T.Tensor) =>
      T.mean(
        T.neg(
          T.sum(T.mul(T.logSoftmax(T.add(T.matmul(x, p.w), p.b)), T.oneHot(labels, 3)), {
            axis: -1,
          }),
        ),
      )
    const vg = valueAndGrad(net)
    const p = { w: T.reshape(T.linspace(-1, 1, 12), [4, 3]), b: T.tensor([0.1, 0, -0.1]) }
    const x = T.reshape(T.linspace(-2, 2, 20), [5, 4])
    const labels = T.tensor([0, 2, 1, 1, 0], { dtype: "int32" })
    const jitted = jit(vg)
    expectSameTree(jitted(p, x, labels), vg(p, x, labels))
    const labels2 = T.tensor([2, 2, 1, 0, 0], { dtype: "int32" })
    expectSameTree(jitted(p, x, labels2), vg(p, x, labels2))
    expect1(jitted.traceCount)
  })

  it("to second order: jit(grad(grad(f))) equals grad(grad(f))", () => {
    const f = (x: T.Tensor) => T.sum(T.mul(T.sin(x), T.exp(T.mul(x, 0.5))))
    const g2 = grad((x: T.Tensor) => T.sum(grad(f)(x)))
    const x = T.tensor([0.5, -1, 2])
    expectSameTensor(jit(g2)(x), g2(x))
  })

  it("grad(jit(f)) equals grad(f): f runs inside the gradient's trace", () => {
    const f = (x: T.Tensor) => T.sum(T.tanh(T.mul(x, x)))
    const x = T.tensor([0.5, -1, 2])
    const jf = jit(f)
    expectSameTensor(grad(jf)(x), grad(f)(x))
    expectSameTensor(jf(x), f(x))
  })

  it("refuses a value of an enclosing gradient that the jitted function closed over", () => {
    const outer = (x: T.Tensor) => T.sum(jit((y: T.Tensor) => T.mul(x, y))(T.tensor([1, 2, 3])))
    let message = ""
    try {
      grad(outer)(T.tensor([1, 1, 1]))
    } catch (e) {
      message = String(e)
    }
    if (!message.includes("used a value of an enclosing transformation"))
      throw new Error(`unexpected: ${message}`)
  })
})

const expect1 = (n: number): void => {
  if (n !== 1) throw new Error(`traced ${n} times, expected once`)
}
