/**
 * DP-SGD: per-example gradients against a loop of `grad`, clipping norms, the noise's standard
 * deviation, and reproducibility from the key.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import { grad, vmap } from "@fnn/autodiff"
import * as nn from "../src/index.ts"
import type { Params } from "../src/index.ts"
import { treesBitsEqual } from "./helpers.ts"

const net = nn.serial(nn.Dense(5), nn.Sigmoid, nn.Dense(3))
const leaves = (p: Params): Tensor[] => T.tree.leaves(p)
const row = (x: Tensor, b: number): Tensor => T.squeeze(T.slice(x, [b], [b + 1]), 0)
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

const arbSetup = fc
  .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 6 }))
  .map(([seed, n]) => {
    const [k1, k2, k3] = T.random.split(T.random.key(seed), 3)
    const [, params] = net.init(k1!, [-1, 4])
    const x = T.random.normal(k2!, [n, 4], { std: 2 })
    const y = T.random.randint(k3!, [n], 0, 3)
    return { params, batch: { x, y }, n }
  })

/** Each example's gradient norm, over every leaf (float64). */
const norms = (grads: Params, n: number): number[] =>
  range(n).map((b) =>
    Math.sqrt(
      leaves(grads).reduce((s, g) => {
        const r = T.cast(row(g, b), "float64")
        return s + T.item(T.sum(T.square(r)))
      }, 0),
    ),
  )

describe("per-example gradients", () => {
  it("equal a loop of grad over the examples, the README's one-liner included", () => {
    fc.assert(
      fc.property(arbSetup, ({ params, batch, n }) => {
        const [, got] = nn.perExampleGrads(net, nn.softmaxCrossEntropy, params, batch)
        const exampleLoss = nn.exampleLoss(net, nn.softmaxCrossEntropy)
        const oneLiner = vmapGrad(exampleLoss, params, batch.x, batch.y)
        const each = range(n).map((b) =>
          grad(exampleLoss)(params, row(batch.x, b), row(batch.y, b)),
        )
        leaves(got).forEach((g, i) => {
          const want = T.stack(each.map((e) => leaves(e)[i]!))
          expect(T.item(T.max(T.abs(T.sub(g, want))))).toBeLessThan(1e-6)
        })
        expect(treesBitsEqual(got, oneLiner)).toBe(true)
      }),
      { numRuns: 20 },
    )
  })
})

const vmapGrad = <P extends Params>(
  exampleLoss: (p: P, x: Tensor, y: Tensor) => Tensor,
  params: P,
  x: Tensor,
  y: Tensor,
): P => vmap(grad(exampleLoss), { inAxes: [null, 0, 0] })(params, x, y)

describe("clipPerExample", () => {
  it("leaves every example's norm at most C, and examples within it unchanged", () => {
    fc.assert(
      fc.property(
        arbSetup,
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        ({ params, batch, n }, c) => {
          const [, grads] = nn.perExampleGrads(net, nn.softmaxCrossEntropy, params, batch)
          const clipped = nn.clipPerExample(grads, c)
          const before = norms(grads, n)
          const after = norms(clipped, n)
          after.forEach((a, b) => {
            expect(a).toBeLessThanOrEqual(c * (1 + 1e-5))
            if (before[b]! <= c)
              expect(Math.abs(a - before[b]!)).toBeLessThanOrEqual(1e-6 * (1 + c))
            else expect(Math.abs(a - c)).toBeLessThanOrEqual(1e-5 * c)
          })
        },
      ),
      { numRuns: 20 },
    )
  })

  it("names a gradient tree without a shared batch axis, and a bad clip", () => {
    expect(() => nn.clipPerExample({ w: T.zeros([2, 3]), b: T.zeros([3]) }, 1)).toThrow(
      /one leading batch axis of the same size on every leaf/,
    )
    expect(() => nn.clipPerExample({ w: T.zeros([2, 3]) }, 0)).toThrow(
      /clip must be a finite number > 0, got 0/,
    )
  })
})

describe("differentiallyPrivateAggregate", () => {
  it("without noise is the mean of the clipped per-example gradients", () => {
    fc.assert(
      fc.property(arbSetup, ({ params, batch, n }) => {
        const [, grads] = nn.perExampleGrads(net, nn.softmaxCrossEntropy, params, batch)
        const dp = nn.differentiallyPrivateAggregate({ clip: 0.5, noise: 0, key: T.random.key(0) })
        const [agg, state] = dp.update(grads, dp.init(params))
        expect(state).toEqual({ count: 1 })
        const clipped = nn.clipPerExample(grads, 0.5)
        leaves(agg).forEach((a, i) => {
          const g = leaves(clipped)[i]!
          const want = T.div(
            range(n)
              .map((b) => row(g, b))
              .reduce((s, r) => T.add(s, r)),
            n,
          )
          expect(a.shape).toEqual(want.shape)
          expect(T.item(T.max(T.abs(T.sub(a, want))))).toBeLessThan(1e-6)
        })
      }),
      { numRuns: 15 },
    )
  })

  it("adds noise of standard deviation σC/B to the mean (a fixed key, 20,200 coordinates)", () => {
    const B = 4
    const clip = 0.7
    const noise = 1.3
    const grads = {
      w: T.zeros([B, 100, 200], { dtype: "float64" }),
      b: T.zeros([B, 200], { dtype: "float64" }),
    }
    const dp = nn.differentiallyPrivateAggregate({ clip, noise, key: T.random.key(17) })
    const [agg] = dp.update(grads, dp.init(grads))
    const values = leaves(agg).flatMap((t) => Array.from(t.data))
    const m = values.reduce((s, v) => s + v, 0) / values.length
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1))
    const want = (noise * clip) / B
    // the sample sd of 20,200 normals has a relative sd of 0.5%: 2% is four of them
    expect(values.length).toBe(20_200)
    expect(Math.abs(sd / want - 1)).toBeLessThan(0.02)
    expect(Math.abs(m)).toBeLessThan((4 * want) / Math.sqrt(values.length))
  })

  it("gives the same bits from the same key and step, other bits at the next step or key", () => {
    const grads = { w: T.ones([3, 4, 2]) }
    const dp = nn.differentiallyPrivateAggregate({ clip: 1, noise: 1, key: T.random.key(5) })
    const s0 = dp.init(grads)
    const [a] = dp.update(grads, s0)
    const [b, s1] = dp.update(grads, s0)
    const [c] = dp.update(grads, s1)
    const other = nn.differentiallyPrivateAggregate({ clip: 1, noise: 1, key: T.random.key(6) })
    const [d] = other.update(grads, s0)
    expect(treesBitsEqual(a, b)).toBe(true)
    expect(treesBitsEqual(a, c)).toBe(false)
    expect(treesBitsEqual(a, d)).toBe(false)
  })

  it("names per-example gradients that do not fit the params", () => {
    const dp = nn.differentiallyPrivateAggregate({ clip: 1, noise: 0, key: T.random.key(0) })
    const params = { w: T.zeros([3, 2]) }
    expect(() => dp.update({ w: T.zeros([4, 2, 3]) }, dp.init(params), params)).toThrow(
      /per-example grads at w are \[4, 2, 3\], but params there are \[3, 2\]/,
    )
    expect(() => dp.update({ w: T.zeros([4, 3, 2]) }, { step: 0 } as never, params)).toThrow(
      /differentiallyPrivateAggregate.init makes \{ count \}/,
    )
  })

  it("names bad options", () => {
    const key = T.random.key(0)
    expect(() => nn.differentiallyPrivateAggregate({ clip: -1, noise: 1, key })).toThrow(
      /clip must be/,
    )
    expect(() => nn.differentiallyPrivateAggregate({ clip: 1, noise: -0.1, key })).toThrow(
      /noise must be a finite number ≥ 0, got -0.1/,
    )
    expect(() =>
      nn.differentiallyPrivateAggregate({ clip: 1, noise: 1, key: 3 as unknown as T.random.Key }),
    ).toThrow(/key must be a key/)
  })
})

describe("privateTrainStep", () => {
  it("without clipping or noise takes trainStep's step (the mean loss's gradient)", () => {
    fc.assert(
      fc.property(arbSetup, ({ params, batch }) => {
        const aggregate = nn.differentiallyPrivateAggregate({
          clip: 1e30,
          noise: 0,
          key: T.random.key(0),
        })
        const privateOpt = nn.chain(aggregate, nn.sgd(0.1))
        const priv = nn.privateTrainStep({
          net,
          loss: nn.softmaxCrossEntropy,
          optimizer: privateOpt,
        })
        const plain = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer: nn.sgd(0.1) })
        const a = priv(nn.trainState(params, privateOpt), batch)
        const b = plain(nn.trainState(params, nn.sgd(0.1)), batch)
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5)
        leaves(a.state.params).forEach((p, i) => {
          expect(T.item(T.max(T.abs(T.sub(p, leaves(b.state.params)[i]!))))).toBeLessThan(1e-6)
        })
      }),
      { numRuns: 15 },
    )
  })

  it("is pure: the same state and batch give the same bits, and it lowers the loss on a toy task", () => {
    const [k1, k2] = T.random.split(T.random.key(3))
    const [, params] = net.init(k1!, [-1, 4])
    const x = T.random.normal(k2!, [32, 4])
    // the class is which of the first three inputs is largest
    const y = T.argmax(T.slice(x, [0, 0], [32, 3]), { axis: 1 })
    const optimizer = nn.chain(
      nn.differentiallyPrivateAggregate({ clip: 1, noise: 0.5, key: T.random.key(9) }),
      nn.sgd(0.5),
    )
    const step = nn.privateTrainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
    const s0 = nn.trainState(params, optimizer)
    const r1 = step(s0, { x, y })
    const r2 = step(s0, { x, y })
    expect(treesBitsEqual(r1.state.params, r2.state.params)).toBe(true)
    expect(r1.state.step).toBe(1)
    let state = s0
    let first = 0
    let last = 0
    for (let i = 0; i < 60; i++) {
      const r = step(state, { x, y })
      if (i === 0) first = r.loss
      last = r.loss
      state = r.state
    }
    expect(last).toBeLessThan(first * 0.8)
  })
})
