import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { checkGrads } from "@fnn/autodiff/testing"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { Layer, Params } from "../src/index.ts"
import { bitsEqual, close, sequence, treesBitsEqual } from "./helpers.ts"

const mlp = () => nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))

describe("the 3Blue1Brown network", () => {
  it("has 13,002 parameters of the documented shapes", () => {
    const net = mlp()
    const [outShape, params] = net.init(T.random.key(0), [-1, 784])
    expect(outShape).toEqual([-1, 10])
    expect(nn.paramCount(params)).toBe(13_002)
    expect(params[0].w.shape).toEqual([784, 16])
    expect(params[0].b.shape).toEqual([16])
    expect(params[1]).toEqual({})
    expect(params[2].w.shape).toEqual([16, 16])
    expect(params[4].w.shape).toEqual([16, 10])
    expect(params[4].w.dtype).toBe("float32")
    // zero biases, Glorot-uniform weights within ±√(6 / (784 + 16))
    expect(Array.from(params[0].b.data).every((v) => v === 0)).toBe(true)
    const limit = Math.sqrt(6 / 800)
    expect(Array.from(params[0].w.data).every((v) => Math.abs(v) <= limit)).toBe(true)
  })

  it("computes σ(W·a + b) layer by layer, as a reference loop does", () => {
    const net = mlp()
    const [, params] = net.init(T.random.key(1), [-1, 784], { dtype: "float64" })
    const x = sequence([3, 784], 2)
    const out = net.apply(params, x)
    const dense = (a: number[], { w, b }: { w: Tensor; b: Tensor }): number[] => {
      const [n, m] = w.shape as [number, number]
      return Array.from({ length: m }, (_, j) => {
        let s = b.data[j]!
        for (let i = 0; i < n; i++) s += a[i]! * w.data[i * m + j]!
        return s
      })
    }
    const sigma = (v: number[]) => v.map((z) => 1 / (1 + Math.exp(-z)))
    for (let r = 0; r < 3; r++) {
      let a = Array.from(x.data.subarray(r * 784, r * 784 + 784))
      a = sigma(dense(a, params[0]))
      a = sigma(dense(a, params[2]))
      a = dense(a, params[4])
      a.forEach((v, j) => expect(close(out.data[r * 10 + j]!, v, 1e-12, 1e-12)).toBe(true))
    }
  })

  it("has the gradient that finite differences measure", () => {
    const net = mlp()
    const [, params] = net.init(T.random.key(3), [-1, 20], { dtype: "float64" })
    const x = sequence([4, 20], 4)
    const y = T.tensor([3, 1, 4, 1], { dtype: "int32" })
    checkGrads((p: typeof params) => nn.softmaxCrossEntropy(net.apply(p, x), y), [params])
    checkGrads((p: typeof params) => nn.mse(T.sigmoid(net.apply(p, x)), y), [params])
    // and with respect to the input
    checkGrads((x: Tensor) => T.sum(net.apply(params, x)), [x])
  })
})

describe("serial composes layers", () => {
  const arbLayer: fc.Arbitrary<Layer> = fc.oneof(
    fc.integer({ min: 1, max: 6 }).map((u) => nn.Dense(u) as Layer),
    fc.constantFrom<Layer>(
      nn.Sigmoid,
      nn.Relu,
      nn.Tanh,
      nn.LeakyRelu,
      nn.Softmax,
      nn.LogSoftmax,
      nn.Flatten,
    ),
    fc.double({ min: 0, max: 0.9, noNaN: true }).map((r) => nn.Dropout(r)),
  )

  it("threads shapes: init, outputShape and apply agree", () => {
    fc.assert(
      fc.property(
        fc.array(arbLayer, { minLength: 0, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        (layers, inputs, batch) => {
          const net = nn.serial(...layers)
          const [outShape, params] = net.init(T.random.key(0), [-1, inputs])
          expect(net.outputShape([-1, inputs])).toEqual(outShape)
          const y = net.apply(params, sequence([batch, inputs], 1, "float32"))
          expect(y.shape).toEqual(outShape.map((d) => (d === -1 ? batch : d)))
          expect((params as ReadonlyArray<Params>).length).toBe(layers.length)
          // the last Dense decides the width
          const lastDense = [...layers].reverse().find((l) => l.description.layer === "Dense")
          const width =
            lastDense?.description.layer === "Dense" ? lastDense.description.units : inputs
          expect(outShape).toEqual([-1, width])
        },
      ),
      { numRuns: 60 },
    )
  })

  it("splits the key per layer: layer i is initialised with split(key, n)[i]", () => {
    const layers = [nn.Dense(5), nn.Tanh, nn.Dense(3)] as const
    const net = nn.serial(...layers)
    const key = T.random.key(7)
    const [, params] = net.init(key, [-1, 4])
    const keys = T.random.split(key, 3)
    const [s0, p0] = layers[0].init(keys[0]!, [-1, 4])
    const [, p2] = layers[2].init(keys[2]!, s0)
    expect(treesBitsEqual(params[0], p0)).toBe(true)
    expect(treesBitsEqual(params[2], p2)).toBe(true)
  })

  it("gives bit-identical parameters for the same key and different ones for another", () => {
    const [, a] = mlp().init(T.random.key(42), [-1, 784])
    const [, b] = mlp().init(T.random.key(42), [-1, 784])
    const [, c] = mlp().init(T.random.key(43), [-1, 784])
    expect(treesBitsEqual(a, b)).toBe(true)
    expect(bitsEqual(a[0].w, c[0].w)).toBe(false)
  })

  it("nests: a serial inside a serial is a layer", () => {
    const block = nn.serial(nn.Dense(8), nn.Relu)
    const net = nn.serial(block, block, nn.Dense(2))
    const [shape, params] = net.init(T.random.key(0), [-1, 3])
    expect(shape).toEqual([-1, 2])
    expect(params[0][0].w.shape).toEqual([3, 8])
    expect(params[1][0].w.shape).toEqual([8, 8])
    expect(nn.paramCount(params)).toBe(3 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2)
  })
})

describe("layers", () => {
  it("Dense acts on the last axis of inputs of any rank", () => {
    const d = nn.Dense(3)
    const [shape, p] = d.init(T.random.key(0), [-1, 2, 4], { dtype: "float64" })
    expect(shape).toEqual([-1, 2, 3])
    const x = sequence([5, 2, 4], 1)
    const y = d.apply(p, x)
    expect(y.shape).toEqual([5, 2, 3])
    const flat = d.apply(p, T.reshape(x, [10, 4]))
    expect(bitsEqual(T.reshape(y, [10, 3]), flat)).toBe(true)
  })

  it("activations compute their formulas", () => {
    const x = T.tensor([[-2, -0.5, 0, 0.5, 3]], { dtype: "float64" })
    const v = (l: Layer) => Array.from(l.apply({}, x).data)
    const xs = [-2, -0.5, 0, 0.5, 3]
    expect(v(nn.Relu)).toEqual([0, 0, 0, 0.5, 3])
    expect(v(nn.LeakyRelu)).toEqual([-0.02, -0.005, 0, 0.5, 3])
    expect(v(nn.leakyRelu(0.2))).toEqual([-0.4, -0.1, 0, 0.5, 3])
    v(nn.Sigmoid).forEach((y, i) => expect(y).toBeCloseTo(1 / (1 + Math.exp(-xs[i]!)), 14))
    v(nn.Tanh).forEach((y, i) => expect(y).toBeCloseTo(Math.tanh(xs[i]!), 14))
    const z = xs.reduce((s, a) => s + Math.exp(a), 0)
    v(nn.Softmax).forEach((y, i) => expect(y).toBeCloseTo(Math.exp(xs[i]!) / z, 14))
    v(nn.LogSoftmax).forEach((y, i) => expect(y).toBeCloseTo(xs[i]! - Math.log(z), 13))
  })

  it("Flatten keeps the first axis and multiplies the rest", () => {
    expect(nn.Flatten.outputShape([-1, 28, 28])).toEqual([-1, 784])
    const y = nn.Flatten.apply({}, T.zeros([2, 3, 4]))
    expect(y.shape).toEqual([2, 12])
    expect(() => nn.Flatten.outputShape([-1, -1])).toThrow(/Flatten/)
  })

  it("Dropout is the identity without a key or in eval mode, and inverted dropout with one", () => {
    const drop = nn.Dropout(0.25)
    const x = T.ones([100, 100])
    expect(drop.apply({}, x)).toBe(x)
    expect(drop.apply({}, x, { key: T.random.key(0), train: false })).toBe(x)
    const y = drop.apply({}, x, { key: T.random.key(0), train: true })
    const values = Array.from(y.data)
    expect(values.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true)
    const dropped = values.filter((v) => v === 0).length / values.length
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.02)
    expect(bitsEqual(y, drop.apply({}, x, { key: T.random.key(0) }))).toBe(true)
    expect(bitsEqual(y, drop.apply({}, x, { key: T.random.key(1) }))).toBe(false)
  })

  it("serial passes one key per layer to Dropout, and none when not training", () => {
    const net = nn.serial(nn.Dropout(0.5), nn.Dropout(0.5))
    const x = T.ones([1000])
    const y = net.apply([{}, {}], x, { key: T.random.key(3) })
    const zeros = Array.from(y.data).filter((v) => v === 0).length
    // two independent masks keep a quarter of the units
    expect(Math.abs(zeros / 1000 - 0.75)).toBeLessThan(0.05)
    expect(net.apply([{}, {}], x, { key: T.random.key(3), train: false })).toBe(x)
  })

  it("refuses bad arguments with errors that name the layer", () => {
    expect(() => nn.Dense(0)).toThrow(/units/)
    expect(() => nn.Dropout(1)).toThrow(/rate/)
    expect(() => nn.leakyRelu(Number.NaN)).toThrow(/slope/)
    const [, p] = nn.Dense(4).init(T.random.key(0), [-1, 3])
    expect(() => nn.Dense(4).apply(p, T.zeros([2, 5]))).toThrow(/Dense\(4\).*3 features/)
    expect(() => nn.Dense(4).init(T.random.key(0), [-1, -1])).toThrow(/known size/)
    expect(() => nn.serial(nn.Dense(2)).apply([] as never, T.zeros([1, 2]))).toThrow(/serial/)
  })
})

describe("initializers", () => {
  it("compute fans as JAX does", () => {
    expect(nn.fans([784, 16])).toEqual([784, 16])
    expect(nn.fans([3, 3, 8, 16])).toEqual([72, 144])
    expect(nn.fans([5])).toEqual([5, 5])
    expect(nn.fans([])).toEqual([1, 1])
  })

  const moments = (t: Tensor): [number, number, number] => {
    const d = Array.from(t.data)
    const mean = d.reduce((a, b) => a + b, 0) / d.length
    const variance = d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length
    return [mean, variance, Math.max(...d.map(Math.abs))]
  }

  it("draw with the variances their formulas state", () => {
    const key = T.random.key(0)
    const shape = [400, 300]
    const cases: Array<[nn.Initializer, number, number]> = [
      // [initializer, variance, largest |value|]
      [nn.glorotUniform, 2 / 700, Math.sqrt(6 / 700)],
      [nn.glorotNormal, 2 / 700, (2 * Math.sqrt(2 / 700)) / 0.87962566103423978],
      [nn.heNormal, 2 / 400, (2 * Math.sqrt(2 / 400)) / 0.87962566103423978],
      [nn.heUniform, 2 / 400, Math.sqrt(6 / 400)],
      [nn.lecunNormal, 1 / 400, (2 * Math.sqrt(1 / 400)) / 0.87962566103423978],
      [nn.lecunUniform, 1 / 400, Math.sqrt(3 / 400)],
      [nn.normal(0.05), 0.0025, Infinity],
    ]
    for (const [init, variance, bound] of cases) {
      const [mean, v, largest] = moments(init(key, shape))
      expect(Math.abs(mean)).toBeLessThan(3 * Math.sqrt(variance / 120_000) + 1e-9)
      expect(Math.abs(v / variance - 1)).toBeLessThan(0.02)
      expect(largest).toBeLessThanOrEqual(bound * (1 + 1e-6))
    }
  })

  it("are pure functions of the key, in the dtype asked for", () => {
    const a = nn.heNormal(T.random.key(5), [10, 10], "float64")
    expect(a.dtype).toBe("float64")
    expect(bitsEqual(a, nn.heNormal(T.random.key(5), [10, 10], "float64"))).toBe(true)
    expect(T.toArray(nn.zeros(T.random.key(0), [2]))).toEqual([0, 0])
    expect(T.toArray(nn.ones(T.random.key(0), [2]))).toEqual([1, 1])
    expect(T.toArray(nn.constantInit(0.5)(T.random.key(0), [2]))).toEqual([0.5, 0.5])
    const u = nn.uniform(0.1)(T.random.key(0), [1000])
    expect(Array.from(u.data).every((v) => v >= 0 && v < 0.1)).toBe(true)
    expect(() => nn.glorotUniform(T.random.key(0), [2, 2], "int32")).toThrow(/float/)
  })

  it("Dense uses the initializers it is given", () => {
    const [, p] = nn
      .Dense(3, { init: nn.ones, biasInit: nn.constantInit(0.5) })
      .init(T.random.key(0), [-1, 2])
    expect(T.toArray(p.w)).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ])
    expect(T.toArray(p.b)).toEqual([0.5, 0.5, 0.5])
  })
})
