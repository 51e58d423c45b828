/** The README's example, as written there, with its printed values checked. */
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import { jit, makeJaxpr } from "../src/index.ts"

describe("README", () => {
  it("jits a layer and prints its program", () => {
    const layer = (x: T.Tensor, w: T.Tensor, b: T.Tensor) => T.sigmoid(T.add(T.matmul(x, w), b))
    const fast = jit(layer)
    const y = fast(T.zeros([32, 784]), T.zeros([784, 16]), T.zeros([16]))
    expect(y.shape).toEqual([32, 16])
    expect(T.item(T.mean(y))).toBe(0.5)
    fast(T.ones([32, 784]), T.ones([784, 16]), T.ones([16]))
    expect(fast.traceCount).toBe(1)
    expect(String(makeJaxpr(layer)(T.zeros([32, 784]), T.zeros([784, 16]), T.zeros([16])))).toBe(
      [
        "{ lambda a:f32[32,784] b:f32[784,16] c:f32[16] ;",
        "    d:f32[32,16] = matmul a b",
        "    e:f32[32,16] = add d c",
        "    f:f32[32,16] = sigmoid e",
        "  in ( f ) }",
      ].join("\n"),
    )
  })
})
