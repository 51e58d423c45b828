import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import { installFastKernels, uninstallFastKernels } from "../src/kernels/fast.ts"
import { im2colConv } from "../src/kernels/im2col.ts"
import { currentKernels, referenceKernels } from "../src/internal.ts"
import type { ConvCase } from "./conv-reference.ts"
import { convCaseArb } from "./conv-reference.ts"
import { close, tensorArb } from "./reference.ts"

afterAll(() => uninstallFastKernels())

const finite = (): fc.Arbitrary<number> => fc.double({ min: -2, max: 2, noNaN: true })

const problem = (c: ConvCase) =>
  fc
    .tuple(tensorArb(c.xShape, c.dtype, finite), tensorArb(c.wShape, c.dtype, finite))
    .map(([x, w]) => ({ c, x, w }))

/** Equal shapes, and values within float rounding of sums of `taps · in` products of size ≤ 4. */
const expectClose = (a: T.Tensor, b: T.Tensor, dtype: T.DType): void => {
  expect(a.shape).toEqual(b.shape)
  expect(a.dtype).toBe(b.dtype)
  const tol = dtype === "float32" ? 1e-4 : 1e-12
  for (let i = 0; i < a.size; i++)
    if (!close(a.data[i]!, b.data[i]!, tol))
      throw new Error(`element ${i}: ${a.data[i]} against the reference's ${b.data[i]}`)
}

describe("the im2col convolution equals the direct reference", () => {
  it("over the JavaScript matmul, for random configurations", () => {
    const kernel = im2colConv(referenceKernels.matmul)
    fc.assert(
      fc.property(convCaseArb().chain(problem), ({ c, x, w }) => {
        const params = { ...c.cfg }
        expectClose(kernel([x, w], params), referenceKernels.conv([x, w], params), c.dtype)
      }),
      { numRuns: 150 },
    )
  })

  it("over the WebAssembly GEMM once the fast kernels are installed", () => {
    installFastKernels({ threads: 1 })
    try {
      const fast = currentKernels().conv
      expect(fast).not.toBe(referenceKernels.conv)
      fc.assert(
        fc.property(convCaseArb().chain(problem), ({ c, x, w }) => {
          const params = { ...c.cfg }
          expectClose(fast([x, w], params), referenceKernels.conv([x, w], params), c.dtype)
        }),
        { numRuns: 150 },
      )
      // a LeNet-sized layer: 5×5 taps over 6 channels into 16
      const x = T.sin(
        T.reshape(T.arange(0, 4 * 12 * 12 * 6, 1, { dtype: "float32" }), [4, 12, 12, 6]),
      )
      const w = T.cos(
        T.reshape(T.arange(0, 5 * 5 * 6 * 16, 1, { dtype: "float32" }), [5, 5, 6, 16]),
      )
      const params = {
        strides: [1, 1],
        padding: [
          [0, 0],
          [0, 0],
        ] as Array<[number, number]>,
        inputDilation: [1, 1],
        kernelDilation: [1, 1],
        groups: 1,
      }
      expectClose(fast([x, w], params), referenceKernels.conv([x, w], params), "float32")
    } finally {
      uninstallFastKernels()
    }
  })
})
