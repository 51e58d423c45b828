/**
 * Where each window of a sliding-window op reads its input: for an output position, the flat
 * spatial index of the input element under each kernel tap, or -1 where the tap falls on padding
 * or on a hole of the dilated input. The convolution kernels (direct and im2col) and the windows
 * kernels share it.
 * @module
 */
import type { ConvGeometry, Params } from "../primitives.ts"
import type { Tensor } from "../tensor.ts"
import { convShape, dilatedSize } from "../window.ts"

/** The taps of every output position of a sliding window over `spatial`. */
export interface Taps {
  /** Output positions per axis and in all. */
  readonly outSizes: ReadonlyArray<number>
  readonly outCount: number
  /** Kernel taps per axis and in all. */
  readonly windowSizes: ReadonlyArray<number>
  readonly tapCount: number
  /** Spatial input elements in all. */
  readonly inCount: number
  /** Fills `dst[t]` with the flat input index under tap `t` at output position `o`, or -1. */
  readonly at: (o: number, dst: Int32Array) => void
  /** Every output position's taps, `table[o · tapCount + t]` (the size of one image's patches). */
  readonly table: () => Int32Array
}

/**
 * Per axis, `table[y · window + k]` is the input index under tap `k` at output `y`, or -1:
 * position `p = y·stride + k·kernelDilation − lo` of the dilated padded input holds input element
 * `p / inputDilation` when that is a whole number in range.
 */
const axisTable = (
  size: number,
  out: number,
  window: number,
  stride: number,
  lo: number,
  inputDilation: number,
  kernelDilation: number,
): Int32Array => {
  const table = new Int32Array(out * window)
  const extent = dilatedSize(size, inputDilation)
  for (let y = 0; y < out; y++)
    for (let k = 0; k < window; k++) {
      const p = y * stride + k * kernelDilation - lo
      table[y * window + k] =
        p >= 0 && p < extent && p % inputDilation === 0 ? p / inputDilation : -1
    }
  return table
}

/** The taps of a window of `windowSizes` sliding over `spatial` with `geometry`, giving `outSizes`. */
export const taps = (
  spatial: ReadonlyArray<number>,
  windowSizes: ReadonlyArray<number>,
  outSizes: ReadonlyArray<number>,
  geometry: Omit<ConvGeometry, "groups">,
): Taps => {
  const d = spatial.length
  const tables = spatial.map((s, i) =>
    axisTable(
      s,
      outSizes[i]!,
      windowSizes[i]!,
      geometry.strides[i]!,
      geometry.padding[i]![0],
      geometry.inputDilation[i]!,
      geometry.kernelDilation[i]!,
    ),
  )
  const inStrides = new Array<number>(d)
  let inCount = 1
  for (let i = d - 1; i >= 0; i--) {
    inStrides[i] = inCount
    inCount *= spatial[i]!
  }
  const tapCount = windowSizes.reduce((a, b) => a * b, 1)
  const outCount = outSizes.reduce((a, b) => a * b, 1)
  const scratch = new Int32Array(tapCount)
  const at = (o: number, dst: Int32Array): void => {
    // combine the axes from the last to the first, so taps come out in C order
    let rest = o
    let n = 1
    dst[0] = 0
    let src: Int32Array = dst
    let tmp: Int32Array = scratch
    const ys = new Array<number>(d)
    for (let i = d - 1; i >= 0; i--) {
      ys[i] = rest % outSizes[i]!
      rest = Math.floor(rest / outSizes[i]!)
    }
    for (let i = 0; i < d; i++) {
      const k = windowSizes[i]!
      const table = tables[i]!
      const base = ys[i]! * k
      const stride = inStrides[i]!
      let m = 0
      for (let p = 0; p < n; p++) {
        const prev = src[p]!
        for (let j = 0; j < k; j++) {
          const t = table[base + j]!
          tmp[m++] = prev < 0 || t < 0 ? -1 : prev + t * stride
        }
      }
      n = m
      const swap = src
      src = tmp
      tmp = swap
    }
    if (src !== dst) dst.set(src.subarray(0, tapCount))
  }
  const table = (): Int32Array => {
    const all = new Int32Array(outCount * tapCount)
    const row = new Int32Array(tapCount)
    for (let o = 0; o < outCount; o++) {
      at(o, row)
      all.set(row, o * tapCount)
    }
    return all
  }
  return { outSizes, outCount, windowSizes, tapCount, inCount, at, table }
}

/**
 * The sizes a convolution kernel works with, for `x` `[N, ...spatial, C]` and `w`
 * `[...window, C/G, O]`: the output shape, the spatial rank `d`, the groups and the channels per
 * group, and the taps of every output position.
 */
export const convSizes = (x: Tensor, w: Tensor, params: Params["conv"]) => {
  const shape = convShape(x.shape, w.shape, params)
  const d = x.rank - 2
  const N = x.shape[0]!
  const C = x.shape[d + 1]!
  const O = w.shape[d + 1]!
  const G = params.groups
  const tp = taps(x.shape.slice(1, -1), w.shape.slice(0, d), shape.slice(1, -1), params)
  return { shape, d, N, C, O, G, Cg: C / G, Og: O / G, tp }
}
