import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import { checkGrads } from "@fnn/autodiff/testing"
import * as nn from "../src/index.ts"
import type { Params } from "../src/index.ts"

const key = T.random.key(0)
const images = (n: number, dtype: "float32" | "float64" = "float32") =>
  T.random.uniform(T.random.key(7), [n, 28, 28, 1], { dtype })

const lenet = () =>
  nn.serial(
    nn.Reshape([-1, 28, 28, 1]),
    nn.Conv(6, 5, { padding: "SAME" }),
    nn.Relu,
    nn.MaxPool(2),
    nn.Conv(16, 5),
    nn.Relu,
    nn.MaxPool(2),
    nn.Flatten,
    nn.Dense(120),
    nn.Relu,
    nn.Dense(10),
  )

describe("Conv, MaxPool, AvgPool, Reshape", () => {
  it("thread shapes at init and apply to what init promised", () => {
    const net = lenet()
    const [shape, params] = net.init(key, [-1, 784])
    expect(shape).toEqual([-1, 10])
    const p = params as unknown as ReadonlyArray<{ w?: T.Tensor }>
    expect(p[1]!.w!.shape).toEqual([5, 5, 1, 6])
    expect(p[4]!.w!.shape).toEqual([5, 5, 6, 16])
    expect(p[8]!.w!.shape).toEqual([400, 120])
    expect(net.apply(params, T.zeros([3, 784])).shape).toEqual([3, 10])
  })

  it("Conv is conv(x, w) + b with the layer's options", () => {
    const layer = nn.Conv(4, [3, 2], { strides: 2, padding: "SAME", dilation: [1, 2], groups: 2 })
    const [shape, { w, b }] = layer.init(key, [-1, 7, 6, 2])
    const x = T.random.normal(T.random.key(3), [2, 7, 6, 2])
    const y = layer.apply({ w, b: T.add(b, 0.5) }, x)
    const expected = T.add(
      T.conv(x, w, { strides: 2, padding: "SAME", kernelDilation: [1, 2], groups: 2 }),
      0.5,
    )
    expect(y.shape).toEqual([2, ...shape.slice(1)])
    expect(Array.from(y.data)).toEqual(Array.from(expected.data))
  })

  it("a stack that cannot fit 28 × 28 fails at init, naming the layer and the shape it got", () => {
    const tooDeep = nn.serial(
      nn.Reshape([-1, 28, 28, 1]),
      nn.Conv(6, 5),
      nn.MaxPool(2),
      nn.Conv(16, 5),
      nn.MaxPool(2),
      nn.Conv(8, 5),
    )
    expect(() => tooDeep.init(key, [-1, 784])).toThrow(
      /Conv\(8, 5\): cannot take inputs of shape \[-1, 4, 4, 16\]/,
    )
    const pooledAway = nn.serial(
      nn.Reshape([-1, 28, 28, 1]),
      nn.MaxPool(4),
      nn.MaxPool(4),
      nn.MaxPool(4),
    )
    expect(() => pooledAway.init(key, [-1, 784])).toThrow(
      /MaxPool\(4\): cannot take inputs of shape \[-1, 1, 1, 1\]/,
    )
    expect(() => nn.Reshape([-1, 28, 28, 1]).init(key, [-1, 100])).toThrow(
      /Reshape\(\[-1, 28, 28, 1\]\): cannot reshape inputs of shape \[-1, 100\]/,
    )
    expect(() => nn.Conv(2, [3, 3]).init(key, [-1, 10, 1])).toThrow(/window must be/)
    expect(() => nn.Conv(0, 3)).toThrow(/outChannels/)
  })

  it("AvgPool averages and MaxPool takes maxima, per channel", () => {
    const x = T.reshape(T.arange(0, 32, 1, { dtype: "float32" }), [1, 4, 4, 2])
    const [, p] = nn.AvgPool(2).init(key, [-1, 4, 4, 2])
    expect(nn.AvgPool(2).apply(p, x).shape).toEqual([1, 2, 2, 2])
    expect(Array.from(nn.MaxPool(4).apply(p, x).data)).toEqual([30, 31])
    expect(Array.from(nn.AvgPool(4).apply(p, x).data)).toEqual([15, 16])
  })
})

describe("LayerNorm", () => {
  it("gives each example mean 0 and variance 1 over its features, before scale and offset", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.nat(), (features, seed) => {
        const layer = nn.LayerNorm()
        const [, p] = layer.init(key, [-1, features], { dtype: "float64" })
        const x = T.random.normal(T.random.key(seed), [3, features], { dtype: "float64", std: 3 })
        const y = layer.apply(p, x)
        for (const m of T.toArray(T.mean(y, { axis: -1 })) as number[])
          expect(Math.abs(m)).toBeLessThan(1e-9)
        // the variance is var / (var + epsilon), close to 1 unless the features nearly agree
        const centred = T.sub(x, T.mean(x, { axis: -1, keepDims: true }))
        const variance = T.toArray(T.mean(T.square(centred), { axis: -1 })) as number[]
        const got = T.toArray(T.mean(T.square(y), { axis: -1 })) as number[]
        got.forEach((v, i) => expect(v).toBeCloseTo(variance[i]! / (variance[i]! + 1e-5), 9))
      }),
      { numRuns: 20 },
    )
  })

  it("is differentiable to second order in its input and parameters", () => {
    const layer = nn.LayerNorm(1e-3)
    const x = T.random.normal(T.random.key(1), [2, 5], { dtype: "float64" })
    const scale = T.random.normal(T.random.key(2), [5], { dtype: "float64" })
    const offset = T.random.normal(T.random.key(3), [5], { dtype: "float64" })
    checkGrads((a, s, o) => layer.apply({ scale: s, offset: o }, a), [x, scale, offset], {
      order: 2,
    })
  })
})

describe("branches", () => {
  it("a residual block computes x + f(x)", () => {
    const inner = nn.serial(nn.Dense(6), nn.Tanh)
    const block = nn.serial(nn.FanOut(2), nn.parallel(inner, nn.Identity), nn.FanInSum)
    const [shape, params] = block.init(key, [-1, 6])
    expect(shape).toEqual([-1, 6])
    const x = T.random.normal(T.random.key(5), [4, 6])
    const innerParams = (params as unknown as ReadonlyArray<ReadonlyArray<Params>>)[1]![0]!
    const expected = T.add(inner.apply(innerParams as never, x), x)
    expect(Array.from(block.apply(params, x).data)).toEqual(Array.from(expected.data))
  })

  it("FanInConcat joins along the channels; shapes are checked at init", () => {
    const inception = nn.serial(
      nn.FanOut(3),
      nn.parallel(
        nn.Conv(2, 1),
        nn.Conv(3, 3, { padding: "SAME" }),
        nn.MaxPool(3, { strides: 1, padding: "SAME" }),
      ),
      nn.FanInConcat(),
    )
    const [shape, params] = inception.init(key, [-1, 8, 8, 4])
    expect(shape).toEqual([-1, 8, 8, 9])
    expect(inception.apply(params, T.zeros([2, 8, 8, 4])).shape).toEqual([2, 8, 8, 9])
    const bad = nn.serial(nn.FanOut(2), nn.parallel(nn.Dense(3), nn.Identity), nn.FanInSum)
    expect(() => bad.init(key, [-1, 5])).toThrow(
      /FanInSum: all inputs must have one shape: input 0 is \[-1, 3\], input 1 is \[-1, 5\]/,
    )
    expect(() => nn.parallel(nn.Identity).init(key, [-1, 5] as never)).toThrow(
      /parallel\(1 layers\): expects a tuple/,
    )
    expect(() =>
      nn.FanInConcat(1).init(key, [
        [-1, 2, 3],
        [-1, 3, 4],
      ]),
    ).toThrow(/FanInConcat\(1\): inputs must agree/)
  })
})

const everything = () =>
  nn.serial(
    nn.Reshape([-1, 12, 12, 1]),
    nn.Conv(4, 3, { padding: "SAME", strides: [1, 1], dilation: 1, groups: 1, init: nn.heNormal }),
    nn.FanOut(2),
    nn.parallel(
      nn.serial(
        nn.Conv(4, 3, {
          padding: [
            [1, 1],
            [1, 1],
          ],
          groups: 2,
        }),
        nn.Relu,
      ),
      nn.Identity,
    ),
    nn.FanInSum,
    nn.FanOut(2),
    nn.parallel(nn.MaxPool(2), nn.AvgPool(2, { strides: 2, padding: "VALID" })),
    nn.FanInConcat(-1),
    nn.Flatten,
    nn.LayerNorm(1e-4),
    nn.Dense(10),
  )

describe("descriptions and checkpoints cover every new layer", () => {
  it("fromDescription(describe(net)) computes the same function", () => {
    const net = everything()
    const [, params] = net.init(key, [-1, 144])
    const json = JSON.parse(JSON.stringify(nn.describe(net))) as unknown
    const rebuilt = nn.fromDescription(json)
    if (E.isLeft(rebuilt)) throw new Error(nn.renderDescriptionError(rebuilt.left))
    const x = T.random.uniform(T.random.key(2), [3, 144])
    expect(Array.from(rebuilt.right.apply(params, x).data)).toEqual(
      Array.from(net.apply(params, x).data),
    )
    expect(nn.describe(rebuilt.right)).toEqual(json)
  })

  it("a checkpoint of a CNN loads back to the same parameters and function", () => {
    const net = everything()
    const [, params] = net.init(key, [-1, 144])
    const bytes = nn.saveCheckpoint({ params, arch: nn.describe(net), inputShape: [-1, 144] })
    const loaded = nn.loadCheckpoint(bytes)
    if (E.isLeft(loaded)) throw new Error(nn.renderCheckpointError(loaded.left))
    const x = T.random.uniform(T.random.key(4), [2, 144])
    expect(Array.from(loaded.right.net.apply(loaded.right.params, x).data)).toEqual(
      Array.from(net.apply(params, x).data),
    )
    expect(() => nn.saveCheckpoint({ params, arch: nn.describe(net) })).toThrow(
      /inputShape is needed/,
    )
  })

  it("bad descriptions of the new layers are listed with their paths", () => {
    const r = nn.decodeDescription({
      layer: "Serial",
      layers: [
        { layer: "Conv", outChannels: 0, window: [3], padding: "FULL", groups: 1 },
        { layer: "MaxPool", window: [], padding: "SAME", strides: [0] },
        { layer: "Parallel", layers: [{ layer: "FanOut", n: -1 }] },
      ],
    })
    expect(
      E.isLeft(r) && r.left._tag === "InvalidDescription" ? r.left.problems.map((p) => p.path) : [],
    ).toEqual([
      "layers[0].outChannels",
      "layers[0].padding",
      "layers[1].window",
      "layers[1].strides",
      "layers[2].layers[0].n",
    ])
  })
})

describe("a CNN trains", () => {
  it("a few SGD steps on a fixed batch lower the loss", () => {
    const net = lenet()
    const [, params] = net.init(key, [-1, 784])
    const x = T.reshape(images(16), [16, 784])
    const labels = T.cast(T.mul(T.random.uniform(T.random.key(9), [16]), 10), "int32")
    const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer: nn.sgd(0.05) })
    let state = nn.trainState(params, nn.sgd(0.05))
    let first = Infinity
    let last = Infinity
    for (let i = 0; i < 6; i++) {
      const r = step(state, { x, y: T.oneHot(labels, 10) })
      state = r.state
      if (i === 0) first = r.loss
      last = r.loss
    }
    expect(last).toBeLessThan(first)
  })
})
