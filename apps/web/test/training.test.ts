import * as E from "fp-ts/lib/Either.js"
import { Tensor } from "@fnn/tensor"
import type { Dataset } from "@fnn/mnist"
import { describe, expect, test } from "vitest"
import { loadModel, summary } from "../src/model.ts"
import type { TrainEvent } from "../src/training.ts"
import { trainInBrowser } from "../src/training.ts"

/** `n` made-up 28 × 28 "digits": digit d lights row 2d + 3, so they are easy to tell apart. */
const stripes = (n: number): Dataset => {
  const x = new Float32Array(n * 784)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const d = i % 10
    y[i] = d
    for (let c = 4; c < 24; c++) x[i * 784 + (2 * d + 3) * 28 + c] = 1
  }
  return {
    images: new Tensor("float32", [n, 784], x),
    labels: new Tensor("int32", [n], y),
    rows: 28,
    cols: 28,
  }
}

const run = (epochs: number, seed: number): TrainEvent[] => [
  ...trainInBrowser({ train: stripes(500), test: stripes(50) }, { epochs, seed, progressEvery: 3 }),
]

describe("training in the browser", () => {
  const events = run(3, 0)

  test("evaluates before the first step and reports examples in order up to the total", () => {
    expect(events[0]).toMatchObject({ type: "evaluation", examples: 0, totalExamples: 1500 })
    const examples = events.map((e) => e.examples)
    expect(examples).toEqual([...examples].sort((a, b) => a - b))
    expect(events.at(-1)).toMatchObject({ type: "evaluation", examples: 1500 })
    expect(events.filter((e) => e.type === "progress").at(-1)).toMatchObject({
      epoch: 2,
      examples: 1500,
    })
  })

  test("evaluates four times an epoch with checkpoints the page can load", () => {
    const evaluations = events.filter((e) => e.type === "evaluation")
    expect(evaluations).toHaveLength(1 + 3 * 4)
    for (const e of evaluations) {
      expect(e.accuracy).toBeGreaterThanOrEqual(0)
      expect(e.accuracy).toBeLessThanOrEqual(1)
      const m = loadModel(e.checkpoint)
      expect(E.isRight(m) && summary(m.right)).toBe("784-16-16-10 · Sigmoid")
    }
  })

  test("learns: stripes are told apart after three epochs", () => {
    const last = events.at(-1)
    expect(last?.type === "evaluation" && last.accuracy).toBeGreaterThan(0.9)
  })

  test("is the same for the same seed and differs for another", () => {
    const accuracies = (es: TrainEvent[]) =>
      es.map((e) => (e.type === "evaluation" ? e.accuracy : e.loss))
    const one = run(1, 5)
    expect(accuracies(run(1, 5))).toEqual(accuracies(one))
    expect(accuracies(run(1, 6))).not.toEqual(accuracies(one))
  })
})
