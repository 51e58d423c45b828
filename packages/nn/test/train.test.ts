import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type {
  Batch,
  GradientTransformation,
  Layer,
  OptState,
  Params,
  TrainState,
} from "../src/index.ts"
import { bitsEqual, treesBitsEqual } from "./helpers.ts"

const xor: Batch = {
  x: T.tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]),
  y: T.tensor([0, 1, 1, 0], { dtype: "int32" }),
}

/** Runs `steps` training steps on `batches[i % length]`, returning the state and the losses. */
const fit = <P extends Params, S extends OptState>(
  net: Layer<P>,
  optimizer: GradientTransformation<S>,
  params: P,
  batches: ReadonlyArray<Batch>,
  steps: number,
  options: { loss?: nn.Loss; key?: T.random.Key } = {},
): { state: TrainState<P, S>; losses: number[] } => {
  const step = nn.trainStep({ net, loss: options.loss ?? nn.softmaxCrossEntropy, optimizer })
  let state = nn.trainState(params, optimizer)
  const keys = options.key === undefined ? [] : T.random.split(options.key, steps)
  const losses: number[] = []
  for (let i = 0; i < steps; i++) {
    const r = step(state, batches[i % batches.length]!, keys[i])
    state = r.state
    losses.push(r.loss)
  }
  return { state, losses }
}

describe("training", () => {
  it("learns XOR to 100 %", () => {
    const net = nn.serial(nn.Dense(8), nn.Tanh, nn.Dense(2))
    const [, params] = net.init(T.random.key(0), [-1, 2])
    const { state, losses } = fit(net, nn.momentum(0.3), params, [xor], 200)
    expect(nn.accuracy(net.apply(state.params, xor.x), xor.y)).toBe(1)
    expect(losses[losses.length - 1]!).toBeLessThan(0.05)
    expect(state.step).toBe(200)
  })

  it("learns XOR with 3Blue1Brown's sigmoid outputs and squared error", () => {
    const net = nn.serial(nn.Dense(4), nn.Sigmoid, nn.Dense(2), nn.Sigmoid)
    const [, params] = net.init(T.random.key(1), [-1, 2])
    const { state } = fit(net, nn.adam(0.1), params, [xor], 300, { loss: nn.mse })
    expect(nn.accuracy(net.apply(state.params, xor.x), xor.y)).toBe(1)
  })

  it("overfits 64 random MNIST-shaped images with random labels to 100 %", () => {
    const n = 64
    const x = T.random.uniform(T.random.key(10), [n, 784])
    const y = T.random.randint(T.random.key(11), [n], 0, 10)
    const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
    const [, params] = net.init(T.random.key(12), [-1, 784])
    const { state } = fit(net, nn.adam(0.02), params, [{ x, y }], 150)
    expect(nn.evaluate(net, state.params, { x, y }).accuracy).toBe(1)
  })

  it("follows an identical trajectory from the same key, bit for bit", () => {
    const run = () => {
      const net = nn.serial(nn.Dense(6), nn.Relu, nn.Dropout(0.2), nn.Dense(2))
      const [, params] = net.init(T.random.key(5), [-1, 2])
      const optimizer = nn.chain(nn.weightDecay(1e-4), nn.momentum(nn.oneCycle(20, 0.5)))
      return fit(net, optimizer, params, [xor], 20, { key: T.random.key(6) })
    }
    const a = run()
    const b = run()
    expect(a.losses).toEqual(b.losses)
    expect(treesBitsEqual(a.state.params, b.state.params)).toBe(true)
    expect(a.state.optState[1][1].count).toBe(20)
    expect(treesBitsEqual(a.state.optState[1][0].trace, b.state.optState[1][0].trace)).toBe(true)
  })

  it("passes the key to Dropout: another key gives another trajectory", () => {
    const net = nn.serial(nn.Dense(6), nn.Relu, nn.Dropout(0.5), nn.Dense(2))
    const [, params] = net.init(T.random.key(5), [-1, 2])
    const a = fit(net, nn.sgd(0.1), params, [xor], 3, { key: T.random.key(1) })
    const b = fit(net, nn.sgd(0.1), params, [xor], 3, { key: T.random.key(2) })
    const c = fit(net, nn.sgd(0.1), params, [xor], 3)
    const d = fit(net, nn.sgd(0.1), params, [xor], 3)
    expect(a.losses).not.toEqual(b.losses)
    expect(c.losses).toEqual(d.losses)
  })

  it("is a pure function: the state it is given does not change", () => {
    const net = nn.serial(nn.Dense(3), nn.Tanh, nn.Dense(2))
    const [, params] = net.init(T.random.key(0), [-1, 2])
    const optimizer = nn.adam(0.1)
    const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
    const s0 = nn.trainState(params, optimizer)
    const copy = T.tensor(T.toArray(params[0].w))
    const r1 = step(s0, xor)
    const r2 = step(s0, xor)
    expect(bitsEqual(s0.params[0].w, copy)).toBe(true)
    expect(s0.step).toBe(0)
    expect(s0.optState[0].count).toBe(0)
    expect(r1.loss).toBe(r2.loss)
    expect(treesBitsEqual(r1.state.params, r2.state.params)).toBe(true)
  })

  it("reports the loss before the update", () => {
    const net = nn.serial(nn.Dense(2))
    const [, params] = net.init(T.random.key(0), [-1, 2])
    const { losses } = fit(net, nn.sgd(0.1), params, [xor], 1)
    expect(losses[0]).toBe(T.item(nn.softmaxCrossEntropy(net.apply(params, xor.x), xor.y)))
  })
})

describe("evaluation", () => {
  it("accuracy and predict agree with a reference argmax", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (b, c, seed) => {
          const logits = T.random.normal(T.random.key(seed), [b, c])
          const labels = T.random.randint(T.random.key(seed + 1), [b], 0, c)
          let correct = 0
          for (let i = 0; i < b; i++) {
            const row = Array.from(logits.data.subarray(i * c, i * c + c))
            if (row.indexOf(Math.max(...row)) === labels.data[i]) correct++
          }
          expect(nn.accuracy(logits, labels)).toBe(correct / b)
          expect(nn.accuracy(logits, T.oneHot(labels, c))).toBe(correct / b)
        },
      ),
      { numRuns: 50 },
    )
    const net = nn.serial(nn.Dense(2))
    const [, p] = net.init(T.random.key(0), [-1, 2])
    expect(nn.predict(net, p, xor.x).dtype).toBe("int32")
    expect(bitsEqual(nn.predict(net, p, xor.x), T.argmax(net.apply(p, xor.x), { axis: -1 }))).toBe(
      true,
    )
  })

  it("evaluate does not depend on the batch size", () => {
    const net = nn.serial(nn.Dense(4), nn.Tanh, nn.Dense(3))
    const [, p] = net.init(T.random.key(0), [-1, 5])
    const x = T.random.normal(T.random.key(1), [37, 5])
    const y = T.random.randint(T.random.key(2), [37], 0, 3)
    const whole = nn.evaluate(net, p, { x, y }, { loss: nn.softmaxCrossEntropy })
    for (const batchSize of [1, 5, 36, 37, 100]) {
      const r = nn.evaluate(net, p, { x, y }, { batchSize, loss: nn.softmaxCrossEntropy })
      expect(r.accuracy).toBe(whole.accuracy)
      expect(r.loss!).toBeCloseTo(whole.loss!, 5)
    }
    expect(whole.accuracy).toBe(nn.accuracy(net.apply(p, x), y))
    expect(nn.evaluate(net, p, { x, y })).toEqual({ accuracy: whole.accuracy })
    expect(() => nn.evaluate(net, p, { x, y: T.slice(y, [0], [3]) })).toThrow(/evaluate/)
  })

  it("confusionMatrix counts (label, prediction) pairs", () => {
    const pred = T.tensor([0, 1, 1, 2, 2, 2], { dtype: "int32" })
    const labels = T.tensor([0, 1, 2, 2, 2, 0], { dtype: "int32" })
    expect(T.toArray(nn.confusionMatrix(pred, labels, 3))).toEqual([
      [1, 0, 1],
      [0, 1, 0],
      [0, 1, 2],
    ])
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(9), fc.nat(9)), { maxLength: 50 }), (pairs) => {
        const m = nn.confusionMatrix(
          T.tensor(
            pairs.map((p) => p[1]),
            { dtype: "int32" },
          ),
          T.tensor(
            pairs.map((p) => p[0]),
            { dtype: "int32" },
          ),
          10,
        )
        const total = Array.from(m.data).reduce((a, b) => a + b, 0)
        expect(total).toBe(pairs.length)
        const diagonal = Array.from({ length: 10 }, (_, i) => m.data[i * 11]!).reduce(
          (a, b) => a + b,
          0,
        )
        expect(diagonal).toBe(pairs.filter(([a, b]) => a === b).length)
      }),
      { numRuns: 50 },
    )
    expect(() =>
      nn.confusionMatrix(pred, T.tensor([0, 1, 2, 3, 0, 0], { dtype: "int32" }), 3),
    ).toThrow(/outside/)
  })
})

// A tensor's value must not be mistaken for a shared reference: fresh tensors per step.
describe("trainStep", () => {
  it("needs one valueAndGrad per step: the gradient of the loss of the batch", () => {
    const net = nn.serial(nn.Dense(2))
    const [, params] = net.init(T.random.key(0), [-1, 2])
    const lr = 0.5
    const step = nn.trainStep({ net, loss: nn.mse, optimizer: nn.sgd(lr) })
    const { state } = step(nn.trainState(params, nn.sgd(lr)), xor)
    // by hand: d/dw mean_b Σ_c (x·w + b − y)² = 2/B · xᵀ(out − Y)
    const out = net.apply(params, xor.x)
    const diff = T.sub(out, T.oneHot(xor.y, 2))
    const gw = T.mul(T.matmul(T.transpose(xor.x), diff), 2 / 4)
    const expected = T.sub(params[0].w, T.mul(gw, lr))
    Array.from(state.params[0].w.data).forEach((v, i) =>
      expect(v).toBeCloseTo(expected.data[i]!, 6),
    )
  })
})

describe("a jitted training step", () => {
  const digits = (n: number, seed: number): Batch => {
    const [kx, ky] = T.random.split(T.random.key(seed))
    return {
      x: T.random.uniform(kx!, [n, 12]),
      y: T.random.randint(ky!, [n], 0, 4),
    }
  }

  const compare = <S extends OptState>(
    net: Layer<Params>,
    optimizer: GradientTransformation<S>,
    loss: nn.Loss,
  ): void => {
    const [, params] = net.init(T.random.key(3), [-1, 12])
    const eager = nn.trainStep({ net, loss, optimizer })
    const compiled = nn.trainStep({ net, loss, optimizer, jit: true })
    let a = nn.trainState(params, optimizer)
    let b = a
    // the last batch is smaller, as an epoch's last batch is: one more signature
    const batches = [digits(8, 1), digits(8, 2), digits(8, 3), digits(5, 4)]
    for (let i = 0; i < 9; i++) {
      const batch = batches[i % batches.length]!
      const ra = eager(a, batch)
      const rb = compiled(b, batch)
      expect(Object.is(rb.loss, ra.loss)).toBe(true)
      a = ra.state
      b = rb.state
    }
    expect(treesBitsEqual(b.params, a.params)).toBe(true)
    expect(b.step).toBe(a.step)
  }

  it("gives the eager step's losses and parameters bit for bit (SGD, sigmoid, squared error)", () => {
    compare(nn.serial(nn.Dense(6), nn.Sigmoid, nn.Dense(4), nn.Sigmoid), nn.sgd(0.5), nn.mse)
  })

  it("gives the eager step's results bit for bit (Adam, ReLU, cross-entropy)", () => {
    compare(nn.serial(nn.Dense(6), nn.Relu, nn.Dense(4)), nn.adam(0.01), nn.softmaxCrossEntropy)
  })
})
