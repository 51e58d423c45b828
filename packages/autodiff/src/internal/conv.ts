/**
 * The transposes of a convolution, as convolutions (JAX's derivation for
 * `conv_general_dilated`, in the channels-last layout). For `y = conv(x, w)`:
 * - `x̄` convolves `ȳ` with the kernel flipped in space and with its channel axes swapped
 *   (per group), dilating `ȳ` by the strides and stepping by the input dilation;
 * - `w̄` convolves `x` with `ȳ` as the kernel, batch and channels trading places, groups kept apart
 *   by folding them into the channels, stepping by the kernel dilation and dilating `ȳ` by the
 *   strides.
 * Both are written with tensor ops, so they are differentiable again.
 * @module
 */
import * as T from "@fnn/tensor"
import type { ConvGeometry } from "@fnn/tensor/internal"
import { bind, dilatedSize } from "@fnn/tensor/internal"

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/** `x̄` of `conv(x, w)` from `ȳ` (`g`): a convolution of `g` with the flipped, swapped kernel. */
export const convInputTranspose = (
  g: T.Tensor,
  w: T.Tensor,
  xShape: ReadonlyArray<number>,
  p: ConvGeometry,
): T.Tensor => {
  const d = xShape.length - 2
  const window = w.shape.slice(0, d)
  const G = p.groups
  const Cg = w.shape[d]!
  const Og = w.shape[d + 1]! / G
  // wᵗ[k, j, g·Cg + c] = w[k, c, g·Og + j], flipped along the window
  const swapped = T.reshape(
    T.transpose(T.reshape(w, [...window, Cg, G, Og]), [...range(d), d + 2, d + 1, d]),
    [...window, Og, G * Cg],
  )
  const kernel = T.flip(swapped, range(d))
  const padding = range(d).map((i): [number, number] => {
    const span = dilatedSize(xShape[i + 1]!, p.inputDilation[i]!)
    const taps = dilatedSize(window[i]!, p.kernelDilation[i]!)
    const outs = dilatedSize(g.shape[i + 1]!, p.strides[i]!)
    const before = taps - p.padding[i]![0] - 1
    return [before, span + taps - 1 - outs - before]
  })
  return bind("conv", [g, kernel], {
    strides: p.inputDilation,
    padding,
    inputDilation: p.strides,
    kernelDilation: p.kernelDilation,
    groups: G,
  })
}

/** `w̄` of `conv(x, w)` from `ȳ` (`g`): a convolution of `x` (batch ↔ channels) with `g`. */
export const convKernelTranspose = (
  x: T.Tensor,
  g: T.Tensor,
  wShape: ReadonlyArray<number>,
  p: ConvGeometry,
): T.Tensor => {
  const d = x.rank - 2
  const N = x.shape[0]!
  const spatial = x.shape.slice(1, d + 1)
  const G = p.groups
  const Cg = wShape[d]!
  // xᵗ[c, s, g·N + n] = x[n, s, g·Cg + c]: each group's batch becomes its block of channels
  const xt = T.reshape(
    T.transpose(T.reshape(x, [N, ...spatial, G, Cg]), [
      d + 2,
      ...range(d).map((i) => i + 1),
      d + 1,
      0,
    ]),
    [Cg, ...spatial, G * N],
  )
  // gᵗ[o, n, j] = g[n, o, j]: the output positions are the kernel's window, the batch its inputs
  const gt = T.transpose(g, [...range(d).map((i) => i + 1), 0, d + 1])
  const padding = range(d).map((i): [number, number] => {
    const span = dilatedSize(spatial[i]!, p.inputDilation[i]!)
    const taps = dilatedSize(wShape[i]!, p.kernelDilation[i]!)
    const outs = dilatedSize(g.shape[i + 1]!, p.strides[i]!)
    const lo = p.padding[i]![0]
    return [lo, outs - span + taps - lo - 1]
  })
  const y = bind("conv", [xt, gt], {
    strides: p.kernelDilation,
    padding,
    inputDilation: p.inputDilation,
    kernelDilation: p.strides,
    groups: G,
  })
  // [Cg, ...window, out] → [...window, Cg, out]
  return T.transpose(y, [...range(d).map((i) => i + 1), 0, d + 1])
}
