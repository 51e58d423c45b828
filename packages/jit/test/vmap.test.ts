import { grad, vmap } from "@fnn/autodiff"
import * as T from "@fnn/tensor"
import { describe, expect, it } from "vitest"
import { jit } from "../src/index.ts"

const layer = (x: T.Tensor, w: T.Tensor): T.Tensor => T.sum(T.tanh(T.matmul(x, w)))
const xs = T.random.normal(T.random.key(0), [5, 3], { dtype: "float64" })
const w = T.random.normal(T.random.key(1), [3, 2], { dtype: "float64" })
const bits = (t: T.Tensor): number[] => Array.from(t.data)

describe("jit and vmap compose in both orders", () => {
  it("jit(vmap(f)) equals vmap(f), traced once", () => {
    const batched = vmap(layer, { inAxes: [0, null] })
    const compiled = jit(batched)
    expect(bits(compiled(xs, w))).toEqual(bits(batched(xs, w)))
    compiled(T.mul(xs, 2), w)
    expect(compiled.traceCount).toBe(1)
  })

  it("vmap(jit(f)) and per-example gradients under jit equal the eager ones", () => {
    const eager = vmap(layer, { inAxes: [0, null] })(xs, w)
    expect(bits(vmap(jit(layer), { inAxes: [0, null] })(xs, w))).toEqual(bits(eager))
    const perExample = vmap(grad(layer, { argnums: 1 }), { inAxes: [0, null] })
    expect(bits(jit(perExample)(xs, w))).toEqual(bits(perExample(xs, w)))
  })
})
