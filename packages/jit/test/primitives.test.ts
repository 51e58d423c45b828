import fc from "fast-check"
import { describe, it } from "vitest"
import * as T from "@fnn/tensor"
import type { Primitive } from "@fnn/tensor/internal"
import { bind, primitives } from "@fnn/tensor/internal"
import { installFastKernels, uninstallFastKernels } from "@fnn/tensor/fast"
import type { Call } from "../../tensor/test/calls.ts"
import { callArbs } from "../../tensor/test/calls.ts"
import { jit } from "../src/index.ts"
import { expectSameTensor } from "./support.ts"

const eager = (c: Call): T.Tensor => bind(c.prim, c.inputs, c.params)

/** The call with its inputs traced (arguments of the jitted function). */
const traced = (c: Call): T.Tensor =>
  jit((...xs: T.Tensor[]) => bind(c.prim, xs, c.params), { poisonFreed: true })(...c.inputs)

/** The call with its inputs closed over: constants, folded before the program runs. */
const closed = (c: Call): T.Tensor => jit(() => bind(c.prim, c.inputs, c.params))()

/** The call followed by one more op, so its output is an intermediate in planned memory. */
const inside = (c: Call): T.Tensor =>
  jit((...xs: T.Tensor[]) => T.neg(T.neg(bind(c.prim, xs, c.params))), { poisonFreed: true })(
    ...c.inputs,
  )

const check = (prim: Primitive, runs: number): void => {
  fc.assert(
    fc.property(callArbs[prim] as fc.Arbitrary<Call>, (c) => {
      const expected = eager(c)
      expectSameTensor(traced(c), expected, "traced: ")
      expectSameTensor(closed(c), expected, "closed over: ")
      expectSameTensor(inside(c), expected, "intermediate: ")
    }),
    { numRuns: runs },
  )
}

describe("jit(f) equals f on every primitive, bit for bit", () => {
  for (const prim of primitives) it(prim, () => check(prim, 30))
})

describe("with the fast kernels installed, jit(f) equals f", () => {
  it("on every primitive", () => {
    installFastKernels({ threads: 1, minElements: 0, minMacs: 0 })
    try {
      for (const prim of primitives) check(prim, 8)
    } finally {
      uninstallFastKernels()
    }
  })
})
