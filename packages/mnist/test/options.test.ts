import * as T from "@fnn/tensor"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import * as mnist from "../src/index.ts"
import * as node from "../src/node.ts"

const images = { dtype: "ubyte", shape: [2, 2, 2], data: new Uint8Array(8) } as const
const labels = { dtype: "ubyte", shape: [2], data: Uint8Array.of(1, 2) } as const
const d = E.getOrElseW(() => {
  throw new Error("fixture")
})(mnist.dataset(images, labels))
const key = T.random.key(0)

const withOptions: Record<string, (o: never) => unknown> = {
  dataset: (o) => mnist.dataset(images, labels, o),
  split: (o) => mnist.split(d, o),
  batches: (o) => mnist.batches(d, o),
  renderDigit: (o) => mnist.renderDigit(Float32Array.of(0, 1, 1, 0), o),
  loadMnist: (o) => node.loadMnist(o),
  loadMnistSplit: (o) => node.loadMnistSplit("test", o),
}

const thrown = (f: () => unknown): T.TensorError => {
  try {
    f()
  } catch (e) {
    if (e instanceof T.TensorError) return e
    throw e
  }
  throw new Error("expected a TensorError")
}

describe("mnist's functions check their options", () => {
  it.each(Object.entries(withOptions))("%s refuses an unknown option", (name, call) => {
    const e = thrown(() => call({ notAnOption: 1, batchSize: 1, key, validation: 1 } as never))
    expect(e.op).toBe(name)
    expect(e.message).toContain('unknown option "notAnOption"')
  })

  it("the likely spelling is suggested", () => {
    expect(thrown(() => mnist.batches(d, { batch_size: 2, key } as never)).message).toContain(
      '(did you mean "batchSize"?)',
    )
  })
})
