import * as T from "@fnn/tensor"
import { describe, expect, it } from "vitest"
import { customVjp, grad, hessian, jacrev, jvp, valueAndGrad, vjp } from "../src/index.ts"

const message = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (e instanceof T.TensorError) return e.message
    throw e
  }
  throw new Error("expected a TensorError")
}

const sq = (x: T.Tensor): T.Tensor => T.sum(T.mul(x, x))
const labels = T.tensor([1, 2], { dtype: "int32" })

describe("errors say what to do with the options each function has", () => {
  it("grad's options are checked, with the likely spelling", () => {
    expect(message(() => grad(sq, { argnums: "1" } as never)(T.ones([2])))).toBe(
      'grad: option argnums must be an integer or an array of integers, got the string "1"',
    )
    expect(message(() => grad(sq, { has_aux: true } as never))).toBe(
      'grad: unknown option "has_aux" (did you mean "hasAux"?); it takes { argnums, hasAux }',
    )
    expect(message(() => valueAndGrad(sq, 0 as never))).toMatch(
      /^valueAndGrad: options must be an object \{ argnums, hasAux \}, got number 0$/,
    )
    expect(message(() => jacrev(sq, { argnums: [0, 1] } as never)(T.ones([2])))).toMatch(
      /^jacrev: option argnums must be an integer, got the array \[0,1\]/,
    )
  })

  it("a value that is not a tree does not point at an option the transformation lacks", () => {
    const m = message(() => grad((_p: { f: unknown }) => sq(T.ones([1])))({ f: () => 1 }))
    expect(m).not.toContain("isLeaf")
    expect(m).toContain("pass other values through a closure")
  })

  it("an int32 input to vjp or jvp is not told about argnums", () => {
    const vm = message(() => vjp((x: T.Tensor) => x, labels))
    expect(vm).not.toContain("argnums")
    expect(vm).toContain("close over it")
    const jm = message(() => jvp((x: T.Tensor) => x, [labels], [labels]))
    expect(jm).not.toContain("argnums")
    expect(jm).toContain("close over it")
    expect(message(() => grad((x: T.Tensor) => T.sum(T.cast(x, "float32")))(labels))).toContain(
      "leave it out of argnums",
    )
  })

  it("a cotangent of the wrong shape from customVjp names customVjp and both shapes", () => {
    const f = customVjp((x: T.Tensor) => T.sum(x), {
      fwd: (x) => [T.sum(x), x],
      bwd: (_x, g) => [T.mul(g, T.ones([3]))],
    })
    expect(message(() => grad(f)(T.ones([2])))).toBe(
      "customVjp: bwd returned a cotangent of shape [3] for argument 0, which has shape [2]: return one shaped like the argument",
    )
  })

  it("hessian names itself", () => {
    expect(message(() => hessian(sq as never)({ a: T.ones([2]) }))).toMatch(/^hessian: /)
  })

  it("concat and stack of tensors instead of an array say how to call them", () => {
    const x = T.ones([2])
    expect(message(() => T.concat(x as never, 0))).toBe(
      "concat: takes an array of tensors, got a Tensor: write concat([a, b], axis)",
    )
    expect(message(() => T.stack(x as never))).toContain("write stack([a, b], axis)")
  })
})
