/**
 * Convolution and the windows primitives, portable JavaScript with direct loops: the reference
 * the im2col kernel is tested against. Sums accumulate in float64 whatever the dtype.
 * @module
 */
import type { Params } from "../primitives.ts"
import type { TypedArray } from "../dtype.ts"
import { outputArray } from "../dtype.ts"
import { sizeOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"
import { windowsShape } from "../window.ts"
import { convSizes, taps } from "./windows.ts"

/** `y[n, o, j] = Σ_{t, c} x[n, tap(o, t), c] · w[t, c, j]` within each group of channels. */
export const conv = (
  [x, w]: ReadonlyArray<Tensor>,
  params: Params["conv"],
  into?: TypedArray,
): Tensor => {
  const { shape, N, C, O, G, Cg, Og, tp } = convSizes(x!, w!, params)
  const out = outputArray(into, x!.dtype, sizeOf(shape))
  const xd = x!.data
  const wd = w!.data
  const acc = new Float64Array(O)
  const at = new Int32Array(tp.tapCount)
  for (let o = 0; o < tp.outCount; o++) {
    tp.at(o, at)
    for (let n = 0; n < N; n++) {
      acc.fill(0)
      for (let t = 0; t < tp.tapCount; t++) {
        const s = at[t]!
        if (s < 0) continue
        const xb = (n * tp.inCount + s) * C
        const wb = t * Cg * O
        for (let g = 0; g < G; g++)
          for (let c = 0; c < Cg; c++) {
            const xv = xd[xb + g * Cg + c]!
            const wr = wb + c * O + g * Og
            const ab = g * Og
            for (let j = 0; j < Og; j++) acc[ab + j]! += xv * wd[wr + j]!
          }
      }
      out.set(acc, (n * tp.outCount + o) * O)
    }
  }
  return new Tensor(x!.dtype, shape, out)
}

const unit = (n: number): number[] => new Array<number>(n).fill(1)

/** The geometry of windows taken without padding or dilation. */
const plain = (d: number, strides: ReadonlyArray<number>) => ({
  strides,
  padding: Array.from({ length: d }, (): [number, number] => [0, 0]),
  inputDilation: unit(d),
  kernelDilation: unit(d),
})

/** `y[n, o, t, c] = x[n, o · strides + t, c]`. */
export const windows = (
  [x]: ReadonlyArray<Tensor>,
  { window, strides }: Params["windows"],
  into?: TypedArray,
): Tensor => {
  const shape = windowsShape(x!.shape, window, strides)
  const d = window.length
  const N = x!.shape[0]!
  const C = x!.shape[d + 1]!
  const tp = taps(x!.shape.slice(1, -1), window, shape.slice(1, d + 1), plain(d, strides))
  // every entry is written: windows do not pad
  const out = outputArray(into, x!.dtype, sizeOf(shape))
  const xd = x!.data
  const at = new Int32Array(tp.tapCount)
  for (let o = 0; o < tp.outCount; o++) {
    tp.at(o, at)
    for (let n = 0; n < N; n++) {
      const ob = (n * tp.outCount + o) * tp.tapCount * C
      for (let t = 0; t < tp.tapCount; t++) {
        const xb = (n * tp.inCount + at[t]!) * C
        out.set(xd.subarray(xb, xb + C), ob + t * C)
      }
    }
  }
  return new Tensor(x!.dtype, shape, out)
}

/** The transpose of `windows`: each window entry is added back where it was taken from. */
export const addWindows = (
  [g]: ReadonlyArray<Tensor>,
  { window, strides, shape }: Params["addWindows"],
  into?: TypedArray,
): Tensor => {
  const d = window.length
  const N = shape[0]!
  const C = shape[d + 1]!
  const outSizes = g!.shape.slice(1, d + 1)
  const tp = taps(shape.slice(1, -1), window, outSizes, plain(d, strides))
  const acc = new Float64Array(sizeOf(shape))
  const gd = g!.data
  const at = new Int32Array(tp.tapCount)
  for (let o = 0; o < tp.outCount; o++) {
    tp.at(o, at)
    for (let n = 0; n < N; n++) {
      const gb = (n * tp.outCount + o) * tp.tapCount * C
      for (let t = 0; t < tp.tapCount; t++) {
        const xb = (n * tp.inCount + at[t]!) * C
        const src = gb + t * C
        for (let c = 0; c < C; c++) acc[xb + c]! += gd[src + c]!
      }
    }
  }
  const out = outputArray(into, g!.dtype, acc.length)
  out.set(acc)
  return new Tensor(g!.dtype, shape, out)
}
