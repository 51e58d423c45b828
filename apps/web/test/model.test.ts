import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import * as nn from "@fnn/nn"
import { describe, expect, test } from "vitest"
import type { Model } from "../src/model.ts"
import {
  argmax,
  loadModel,
  renderModelError,
  reportedAccuracy,
  summary,
  think,
} from "../src/model.ts"

const threeBlueOneBrown = nn.serial(
  nn.Dense(16),
  nn.Sigmoid,
  nn.Dense(16),
  nn.Sigmoid,
  nn.Dense(10),
)
const [, params] = threeBlueOneBrown.init(T.random.key(3), [-1, 784])
const bytes = nn.saveCheckpoint({
  params,
  arch: nn.describe(threeBlueOneBrown),
  meta: { note: "test" },
})

const load = (b: Uint8Array): Model => {
  const m = loadModel(b)
  if (E.isLeft(m)) throw new Error(renderModelError(m.left))
  return m.right
}

const pixels = fc.float32Array({ minLength: 784, maxLength: 784, min: 0, max: 1, noNaN: true })

/** σ(x·W + b) in float64, straight from the weights. */
const naiveLayer = (x: ArrayLike<number>, w: T.Tensor, b: T.Tensor, squash: boolean): number[] => {
  const [inputs, units] = w.shape as [number, number]
  return Array.from({ length: units }, (_, j) => {
    let z = b.data[j]!
    for (let i = 0; i < inputs; i++) z += x[i]! * w.data[i * units + j]!
    return squash ? 1 / (1 + Math.exp(-z)) : z
  })
}

describe("a checkpoint as the page sees it", () => {
  const model = load(bytes)

  test("is cut into a stage per Dense layer with the sizes of the layers", () => {
    expect(model.sizes).toEqual([16, 16, 10])
    expect(model.stages.map((s) => s.after)).toEqual([["Sigmoid"], ["Sigmoid"], []])
    expect(model.outputs).toBe("softmax")
    expect(model.parameters).toBe(13_002)
    expect(summary(model)).toBe("784-16-16-10 · Sigmoid")
    expect(model.meta).toEqual({ note: "test" })
  })

  test("thinks every layer's activations as σ(W·a + b), and softmax of the logits out", () => {
    const [p0, , p2, , p4] = params as unknown as ReadonlyArray<nn.DenseParams>
    fc.assert(
      fc.property(pixels, (x) => {
        const t = think(model, x)
        const h1 = naiveLayer(x, p0!.w, p0!.b, true)
        const h2 = naiveLayer(h1, p2!.w, p2!.b, true)
        const logits = naiveLayer(h2, p4!.w, p4!.b, false)
        const top = Math.max(...logits)
        const exps = logits.map((z) => Math.exp(z - top))
        const total = exps.reduce((a, b) => a + b, 0)
        t.hidden[0]!.forEach((v, j) => expect(v).toBeCloseTo(h1[j]!, 4))
        t.hidden[1]!.forEach((v, j) => expect(v).toBeCloseTo(h2[j]!, 4))
        t.outputs.forEach((v, j) => expect(v).toBeCloseTo(exps[j]! / total, 4))
        expect(t.prediction).toBe(argmax(t.outputs))
        expect(t.input).toBe(x)
      }),
      { numRuns: 20 },
    )
  })

  test("agrees with the network rebuilt by @fnn/nn", () => {
    fc.assert(
      fc.property(pixels, (x) => {
        const logits = threeBlueOneBrown.apply(params, new T.Tensor("float32", [1, 784], x))
        expect(think(model, x).prediction).toBe(argmax(logits.data))
      }),
      { numRuns: 20 },
    )
  })

  test("keeps outputs as they are when the network ends in a sigmoid, as in the video", () => {
    const net = nn.serial(nn.Dense(8), nn.Relu, nn.Dense(10), nn.Sigmoid)
    const [, p] = net.init(T.random.key(1), [-1, 784])
    const m = load(nn.saveCheckpoint({ params: p, arch: nn.describe(net) }))
    expect(m.outputs).toBe("raw")
    expect(summary(m)).toBe("784-8-10 · Relu")
    const x = new Float32Array(784).fill(0.5)
    const out = net.apply(p, new T.Tensor("float32", [1, 784], x)).data
    think(m, x).outputs.forEach((v, j) => expect(v).toBeCloseTo(out[j]!, 5))
  })
})

describe("bytes that are not a drawable network", () => {
  test("are errors, never exceptions", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        const r = loadModel(junk)
        expect(E.isLeft(r)).toBe(true)
        if (E.isLeft(r)) expect(renderModelError(r.left)).toMatch(/\w/)
      }),
    )
    const cut = loadModel(bytes.subarray(0, bytes.length - 5))
    expect(E.isLeft(cut) && cut.left._tag).toBe("BadCheckpoint")
  })

  test("networks without 784 inputs or 10 outputs are refused with a reason", () => {
    const net = nn.serial(nn.Dense(4), nn.Sigmoid, nn.Dense(3))
    const [, p] = net.init(T.random.key(0), [-1, 784])
    const r = loadModel(nn.saveCheckpoint({ params: p, arch: nn.describe(net) }))
    expect(E.isLeft(r) && r.left._tag).toBe("Unsupported")
    if (E.isLeft(r)) expect(renderModelError(r.left)).toContain("3 outputs")
    const small = nn.serial(nn.Dense(10))
    const [, q] = small.init(T.random.key(0), [-1, 100])
    const s = loadModel(nn.saveCheckpoint({ params: q, arch: nn.describe(small) }))
    if (E.isLeft(s)) expect(renderModelError(s.left)).toContain("100 inputs")
    else expect.unreachable("a 100-input network was accepted")
  })
})

describe("the accuracy a checkpoint reports", () => {
  test("is the last epoch of fnn train's history, on 10,000 test images", () => {
    const history = JSON.stringify([
      { epoch: 1, loss: 0.5, testAccuracy: 0.9 },
      { epoch: 2, loss: 0.3, testAccuracy: 0.95 },
    ])
    expect(reportedAccuracy({ "train.history": history })).toEqual({
      accuracy: 0.95,
      images: 10_000,
    })
  })

  test("is the browser's own entry for a network trained in the page", () => {
    expect(reportedAccuracy({ "web.testAccuracy": "0.875", "web.testImages": "2000" })).toEqual({
      accuracy: 0.875,
      images: 2000,
    })
  })

  test("is absent when the metadata says nothing readable", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom("train.history", "web.testAccuracy", "web.testImages", "x"),
          fc.string(),
        ),
        (meta) => {
          const r = reportedAccuracy({ ...meta, "web.testImages": "not a number" })
          if (r !== undefined) expect(r.images).toBe(10_000)
        },
      ),
    )
    expect(reportedAccuracy({})).toBeUndefined()
    expect(reportedAccuracy({ "train.history": "[]" })).toBeUndefined()
    expect(reportedAccuracy({ "train.history": "{" })).toBeUndefined()
  })
})
