import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import { allocate } from "../src/dtype.ts"
import type { Primitive } from "../src/internal.ts"
import { primitives, referenceKernels, releaseData, shapeRules } from "../src/internal.ts"
import { sizeOf } from "../src/shape.ts"
import { currentKernels } from "../src/internal.ts"
import { installFastKernels, uninstallFastKernels } from "../src/kernels/fast.ts"
import type { Call } from "./calls.ts"
import { callArbs } from "./calls.ts"
import { refOf, expectMatches } from "./reference.ts"

const run = <P extends Primitive>(call: Call<P>, out?: Float32Array | Float64Array | Int32Array) =>
  referenceKernels[call.prim](call.inputs, call.params, out)

const poisoned = (dtype: T.DType, n: number) => {
  const out = allocate(dtype, n)
  out.fill(dtype === "int32" ? -123456789 : NaN)
  return out
}

describe("shape rules", () => {
  for (const prim of primitives)
    it(`give the dtype and shape of the reference kernel's output for ${prim}`, () => {
      fc.assert(
        fc.property(callArbs[prim] as fc.Arbitrary<Call>, (call) => {
          const aval = shapeRules[call.prim](call.inputs, call.params as never)
          const y = run(call)
          expect(aval.dtype).toBe(y.dtype)
          expect([...aval.shape]).toEqual([...y.shape])
        }),
        { numRuns: 40 },
      )
    })
})

describe("kernels given an output array", () => {
  for (const prim of primitives)
    it(`write ${prim}'s result there, equal bit for bit to a fresh result, whatever the array held`, () => {
      fc.assert(
        fc.property(callArbs[prim] as fc.Arbitrary<Call>, (call) => {
          const expected = run(call)
          const out = poisoned(expected.dtype, sizeOf(expected.shape))
          const y = run(call, out)
          expectMatches(y, refOf(expected))
          // reshape shares its input's storage instead; every other kernel takes the array
          if (prim !== "reshape" && out.length > 0) expect(y.data).toBe(out)
        }),
        { numRuns: 40 },
      )
    })

  it("ignore an array of the wrong dtype or length and allocate", () => {
    const x = T.tensor([1, 2, 3])
    const wrong = new Float64Array(3)
    const y = referenceKernels.neg([x], {}, wrong)
    expect(y.data).not.toBe(wrong)
    expect(Array.from(y.data)).toEqual([-1, -2, -3])
    expect(referenceKernels.neg([x], {}, new Float32Array(2)).data.length).toBe(3)
  })
})

describe("released tensors", () => {
  it("throw the given error on any read of their data and keep dtype and shape", () => {
    const x = T.tensor([1, 2])
    releaseData(x, "jit", "argument 0 was donated")
    expect(x.shape).toEqual([2])
    expect(x.dtype).toBe("float32")
    expect(() => x.data).toThrow("jit: argument 0 was donated")
    expect(() => T.add(x, 1)).toThrow(T.TensorError)
    expect(() => T.toArray(x)).toThrow("argument 0 was donated")
  })

  it("are concrete: only a transformation's stand-ins are abstract", () => {
    expect(T.tensor([1]).isAbstract).toBe(false)
  })
})

describe("fast kernels given an output array", () => {
  it("write their result there, equal bit for bit to their fresh result", () => {
    installFastKernels({ minMacs: 0, minElements: 0, threads: 1 })
    try {
      const kernels = currentKernels()
      fc.assert(
        fc.property(
          fc.oneof(
            callArbs.matmul,
            callArbs.add,
            callArbs.mul,
            callArbs.greater,
            callArbs.where,
          ) as fc.Arbitrary<Call>,
          (call) => {
            const kernel = kernels[call.prim] as (...a: unknown[]) => T.Tensor
            const expected = kernel(call.inputs, call.params)
            const out = poisoned(expected.dtype, sizeOf(expected.shape))
            const y = kernel(call.inputs, call.params, out)
            expectMatches(y, refOf(expected))
            if (out.length > 0) expect(y.data).toBe(out)
          },
        ),
        { numRuns: 150 },
      )
    } finally {
      uninstallFastKernels()
    }
  })
})
