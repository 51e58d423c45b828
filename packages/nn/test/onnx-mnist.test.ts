import { beforeAll, describe, expect, it } from "vitest"
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import type { Dataset } from "@fnn/mnist"
import { batches, take } from "@fnn/mnist"
import { loadMnistSplit } from "@fnn/mnist/node"
import * as nn from "../src/index.ts"
import type { Layer, Params } from "../src/index.ts"
import type { OrtModel } from "./ort.ts"
import { loadOrt } from "./ort.ts"

const digits = 1000

const load = async (split: "train" | "test"): Promise<Dataset> => {
  const r = await loadMnistSplit(split)()
  if (E.isLeft(r)) throw new Error(`no MNIST ${split} set`)
  return r.right
}

/** One epoch of Adam with cross-entropy over the first `examples` training images. */
const trained = (net: Layer, train: Dataset, lr: number, examples: number): Params => {
  const [, params] = net.init(T.random.key(0), [-1, 784])
  const optimizer = nn.adam(lr)
  const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
  let state = nn.trainState(params, optimizer)
  for (const batch of batches(take(train, examples), { batchSize: 32, key: T.random.key(1) }))
    state = step(state, batch).state
  return state.params
}

const argmaxRows = (t: Tensor): number[] => Array.from(T.argmax(t, { axis: -1 }).data, Number)

const maxAbsDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])))
  return m
}

const networks: ReadonlyArray<readonly [string, Layer, number]> = [
  [
    "3Blue1Brown's 784-16-16-10 sigmoid network",
    nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10)),
    1e-2,
  ],
  [
    "a 784-64-32-10 ReLU network",
    nn.serial(nn.Dense(64), nn.Relu, nn.Dense(32), nn.Relu, nn.Dense(10)),
    3e-3,
  ],
]

describe.each(networks)("%s, trained, in ONNX Runtime on 1,000 test digits", (_name, net, lr) => {
  let x: Tensor
  let expected: Tensor
  let model: OrtModel

  beforeAll(async () => {
    const [train, test] = await Promise.all([load("train"), load("test")])
    const params = trained(net, train, lr, 10_000)
    x = take(test, digits).images
    expected = net.apply(params, x)
    const bytes = nn.toOnnx(net, params)
    if (E.isLeft(bytes)) throw new Error(nn.renderOnnxError(bytes.left))
    model = await loadOrt(bytes.right)
    const accuracy = nn.accuracy(expected, take(test, digits).labels)
    expect(accuracy).toBeGreaterThan(0.8)
  }, 120_000)

  it("gives the same digit and outputs within 1e-4 for a batch of 1,000", async () => {
    const actual = await model.run(x)
    expect(actual.shape).toEqual([digits, 10])
    expect(argmaxRows(actual)).toEqual(argmaxRows(expected))
    expect(maxAbsDifference(actual.data, expected.data)).toBeLessThanOrEqual(1e-4)
  })

  it("gives the same digit and outputs within 1e-4 one digit at a time, from the same file", async () => {
    const predicted: number[] = []
    const rows: number[] = []
    for (let i = 0; i < digits; i++) {
      const row = await model.run(T.slice(x, [i, 0], [i + 1, 784]))
      expect(row.shape).toEqual([1, 10])
      predicted.push(...argmaxRows(row))
      rows.push(...Array.from(row.data, Number))
    }
    expect(predicted).toEqual(argmaxRows(expected))
    expect(maxAbsDifference(rows, expected.data)).toBeLessThanOrEqual(1e-4)
  })
})
