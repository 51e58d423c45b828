/**
 * Convolution as one matrix product: the windows of the input are copied out as the rows of a
 * patch matrix (im2col), `[groups, batch · positions, taps · in/groups]`, and multiplied by the
 * kernel viewed as `[groups, taps · in/groups, out/groups]` with whichever matmul kernel is given
 * (the WebAssembly GEMM among the fast kernels). Equal to the direct loops up to float rounding.
 * @module
 */
import type { Kernel } from "../dispatch.ts"
import { allocate, outputArray } from "../dtype.ts"
import { Tensor } from "../tensor.ts"
import { convSizes } from "./windows.ts"

/** A `conv` kernel that multiplies patch matrices with `matmul`. */
export const im2colConv =
  (matmul: Kernel<"matmul">): Kernel<"conv"> =>
  ([x, w], params, into) => {
    const dtype = x!.dtype
    const { shape, N, C, O, G, Cg, Og, tp } = convSizes(x!, w!, params)
    const M = N * tp.outCount
    const K = tp.tapCount * Cg
    const patches = allocate(dtype, G * M * K)
    const xd = x!.data
    const table = tp.table()
    const T = tp.tapCount
    // one image after another, so the patch rows are written in order
    for (let n = 0; n < N; n++)
      for (let o = 0; o < tp.outCount; o++) {
        const row = (n * tp.outCount + o) * K
        for (let t = 0; t < T; t++) {
          const s = table[o * T + t]!
          if (s < 0) continue // the patch matrix starts as zeros
          const xb = (n * tp.inCount + s) * C
          if (Cg === 1 && G === 1) patches[row + t] = xd[xb]!
          else
            for (let g = 0; g < G; g++) {
              const src = xb + g * Cg
              const dst = g * M * K + row + t * Cg
              for (let c = 0; c < Cg; c++) patches[dst + c] = xd[src + c]!
            }
        }
      }
    if (G === 1) {
      const y = matmul(
        [new Tensor(dtype, [M, K], patches), new Tensor(dtype, [K, O], w!.data)],
        { transposeA: false, transposeB: false },
        into,
      )
      return new Tensor(dtype, shape, y.data)
    }
    // wᵍ[g, t·Cg + c, j] = w[t, c, g·Og + j]
    const wd = w!.data
    const kernels = allocate(dtype, G * K * Og)
    for (let r = 0; r < K; r++)
      for (let g = 0; g < G; g++)
        kernels.set(wd.subarray(r * O + g * Og, r * O + (g + 1) * Og), (g * K + r) * Og)
    const y = matmul(
      [new Tensor(dtype, [G, M, K], patches), new Tensor(dtype, [G, K, Og], kernels)],
      { transposeA: false, transposeB: false },
    ).data
    const out = outputArray(into, dtype, M * O)
    for (let g = 0; g < G; g++)
      for (let m = 0; m < M; m++)
        out.set(y.subarray((g * M + m) * Og, (g * M + m + 1) * Og), m * O + g * Og)
    return new Tensor(dtype, shape, out)
  }
