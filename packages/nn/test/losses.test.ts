import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { grad } from "@fnn/autodiff"
import { arbTensor, checkGrads } from "@fnn/autodiff/testing"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "../src/index.ts"
import { close } from "./helpers.ts"

/** Logits `[b, c]` (float64) with int32 labels `[b]`. */
const arbBatch = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }))
  .chain(([b, c]) =>
    fc.tuple(
      arbTensor([b, c], { dtype: "float64", min: -5, max: 5 }),
      fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: b, maxLength: b }),
    ),
  )
  .map(([logits, ls]) => ({ logits, labels: T.tensor(ls, { dtype: "int32" }) }))

const rows = (t: Tensor): number[][] => {
  const [b, c] = t.shape as [number, number]
  return Array.from({ length: b }, (_, i) => Array.from(t.data.subarray(i * c, i * c + c)))
}

describe("losses equal their formulas", () => {
  it("mse: mean over the batch of the sum over classes of squared differences to one-hot rows", () => {
    fc.assert(
      fc.property(arbBatch, ({ logits, labels }) => {
        const expected =
          rows(logits)
            .map((r, i) => r.reduce((s, v, j) => s + (v - (j === labels.data[i] ? 1 : 0)) ** 2, 0))
            .reduce((a, b) => a + b, 0) / logits.shape[0]!
        expect(close(T.item(nn.mse(logits, labels)), expected, 1e-12)).toBe(true)
        const oneHot = T.oneHot(labels, logits.shape[1]!, { dtype: "float64" })
        expect(close(T.item(nn.mse(logits, oneHot)), expected, 1e-12)).toBe(true)
      }),
    )
  })

  it("softmaxCrossEntropy: mean of logSumExp(row) − row[label]", () => {
    fc.assert(
      fc.property(arbBatch, ({ logits, labels }) => {
        const expected =
          rows(logits)
            .map((r, i) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)) - r[labels.data[i]!]!)
            .reduce((a, b) => a + b, 0) / logits.shape[0]!
        expect(close(T.item(nn.softmaxCrossEntropy(logits, labels)), expected, 1e-12)).toBe(true)
      }),
    )
  })

  it("binaryCrossEntropy: mean of −[y·log σ(z) + (1 − y)·log(1 − σ(z))]", () => {
    fc.assert(
      fc.property(
        arbTensor([2, 3], { dtype: "float64", min: -8, max: 8 }),
        arbTensor([2, 3], { dtype: "float64", min: 0, max: 1 }),
        (z, y) => {
          const sig = (v: number) => 1 / (1 + Math.exp(-v))
          const zs = Array.from(z.data)
          const expected =
            zs.reduce((s, v, i) => {
              const t = y.data[i]!
              return s - (t * Math.log(sig(v)) + (1 - t) * Math.log(1 - sig(v)))
            }, 0) / zs.length
          expect(close(T.item(nn.binaryCrossEntropy(z, y)), expected, 1e-10)).toBe(true)
        },
      ),
    )
  })

  it("stay finite for huge logits", () => {
    const logits = T.tensor([[1e4, -1e4, 0]])
    const ce = T.item(nn.softmaxCrossEntropy(logits, T.tensor([1], { dtype: "int32" })))
    expect(ce).toBeCloseTo(2e4, 0)
    const bce = T.item(nn.binaryCrossEntropy(T.tensor([1e4, -1e4]), T.tensor([0, 1])))
    expect(bce).toBeCloseTo(1e4, 0)
    expect(T.item(nn.softmaxCrossEntropy(logits, T.tensor([0], { dtype: "int32" })))).toBe(0)
  })
})

describe("loss gradients", () => {
  it("match finite differences", () => {
    fc.assert(
      fc.property(arbBatch, ({ logits, labels }) => {
        checkGrads((z: Tensor) => nn.softmaxCrossEntropy(z, labels), [logits], { order: 2 })
        checkGrads((z: Tensor) => nn.mse(z, labels), [logits], { order: 2 })
        const y = T.cast(T.greater(logits, 0), "float64")
        checkGrads((z: Tensor) => nn.binaryCrossEntropy(z, y), [logits])
      }),
      { numRuns: 20 },
    )
  })

  it("are softmax(z) − onehot(y) and σ(z) − y per example, 0 included", () => {
    const z = T.tensor(
      [
        [0, 0],
        [1, -1],
      ],
      { dtype: "float64" },
    )
    const g = grad((x: Tensor) => nn.softmaxCrossEntropy(x, T.tensor([0, 1], { dtype: "int32" })))(
      z,
    )
    const e = Math.exp(1) / (Math.exp(1) + Math.exp(-1))
    const expected = [0.5 - 1, 0.5, e, 1 - e - 1].map((v) => v / 2)
    Array.from(g.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12))
    const gb = grad((x: Tensor) =>
      nn.binaryCrossEntropy(x, T.tensor([1, 0, 1], { dtype: "float64" })),
    )(T.tensor([0, 0, 2], { dtype: "float64" }))
    const s2 = 1 / (1 + Math.exp(-2))
    ;[0.5 - 1, 0.5, s2 - 1].forEach((v, i) => expect(gb.data[i]).toBeCloseTo(v / 3, 12))
  })
})

describe("bad targets", () => {
  it("are errors that name the loss and the shapes", () => {
    const z = T.zeros([2, 3])
    expect(() => nn.softmaxCrossEntropy(z, T.tensor([0, 1, 2], { dtype: "int32" }))).toThrow(
      /softmaxCrossEntropy.*\[3\]/,
    )
    expect(() => nn.softmaxCrossEntropy(z, T.tensor([0, 3], { dtype: "int32" }))).toThrow(/outside/)
    expect(() => nn.mse(z, T.zeros([2, 4]))).toThrow(/mse/)
    expect(() => nn.binaryCrossEntropy(z, T.zeros([3, 2]))).toThrow(/binaryCrossEntropy/)
  })
})
