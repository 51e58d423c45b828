/**
 * Convolutions over channels-last tensors: inputs `[batch, ...spatial, in]`, kernels
 * `[...window, in / groups, out]` (stax's default layout), any number of spatial axes.
 * @module
 */
import { bind } from "../dispatch.ts"
import { isFloat } from "../dtype.ts"
import { check } from "../errors.ts"
import type { ConvGeometry } from "../primitives.ts"
import { showShape } from "../shape.ts"
import type { Tensor } from "../tensor.ts"
import type { Padding } from "../window.ts"
import { checkOptions } from "../options.ts"
import { convShape as outShape, convSpec, dilatedSize, perAxis, resolvePadding } from "../window.ts"
import { asTensor } from "./convert.ts"
import { arange } from "./creation.ts"
import { gather } from "./movement.ts"

export type { Padding } from "../window.ts"

/** Options of `conv`; every per-axis option also takes one number for all axes. */
export interface ConvOptions {
  /** Steps between windows (default 1). */
  readonly strides?: number | ReadonlyArray<number>
  /** Default `"VALID"`. Explicit pairs may be negative (cropping). */
  readonly padding?: Padding
  /** Spreads the input: `d − 1` zeros between neighbours (default 1); a transposed convolution. */
  readonly inputDilation?: number | ReadonlyArray<number>
  /** Spreads the kernel's taps `d` apart (default 1): an atrous convolution. */
  readonly kernelDilation?: number | ReadonlyArray<number>
  /** Channel groups (default 1); `groups = in` with `out = in · m` is a depthwise convolution. */
  readonly groups?: number
}

/**
 * N-d convolution (cross-correlation, as in every deep-learning library) of `x`
 * `[batch, ...spatial, in]` with kernel `w` `[...window, in / groups, out]`:
 * `y[n, o, j] = Σ_{k, c} x̃[n, o·stride + k·kernelDilation, c] · w[k, c, j]`, where `x̃` is `x`
 * dilated and padded. Differentiable in both arguments (the transposes are convolutions).
 * @example
 * import * as T from "@fnn/tensor"
 * const x = T.reshape(T.tensor([0, 1, 2, 3, 4]), [1, 5, 1]) // one signal, one channel
 * const w = T.reshape(T.tensor([1, -1]), [2, 1, 1])        // a difference filter
 * T.conv(x, w)                                            // [[[-1], [-1], [-1], [-1]]]
 * T.conv(x, w, { padding: "SAME", strides: 2 }).shape       // [1, 3, 1]
 */
export const conv = (input: Tensor, kernel: Tensor, options?: ConvOptions): Tensor =>
  convAs("conv", input, kernel, checkOptions("conv", options, convSpec))

/**
 * 2-D convolution of images `[batch, height, width, in]` with `[kh, kw, in / groups, out]`
 * kernels: `conv` for rank-4 arguments.
 * @example
 * import * as T from "@fnn/tensor"
 * const images = T.zeros([8, 28, 28, 1])
 * const kernels = T.zeros([5, 5, 1, 6])
 * T.conv2d(images, kernels, { padding: "SAME" }).shape // [8, 28, 28, 6]
 */
export const conv2d = (input: Tensor, kernel: Tensor, given?: ConvOptions): Tensor => {
  const options = checkOptions("conv2d", given, convSpec)
  const x = asTensor("conv2d", "x", input)
  const w = asTensor("conv2d", "w", kernel)
  check(
    x.rank === 4 && w.rank === 4,
    "conv2d",
    () =>
      `x must be [batch, height, width, in] and w [kh, kw, in / groups, out], got x ${showShape(x.shape)} and w ${showShape(w.shape)}`,
  )
  return convAs("conv2d", x, w, options)
}

const convAs = (op: string, input: Tensor, kernel: Tensor, options: ConvOptions): Tensor => {
  const x = asTensor(op, "x", input)
  const w = asTensor(op, "w", kernel)
  check(
    x.dtype === w.dtype && isFloat(x.dtype),
    op,
    () => `x and w must share a float dtype, got ${x.dtype} and ${w.dtype}`,
  )
  return bind("conv", [x, w], geometryOf(op, x.shape, w.shape, options).geometry)
}

/**
 * The shape `conv` gives for inputs of shape `x` and kernels of shape `w` (a `-1` batch stays
 * `-1`), with the same checks and errors as `conv` itself; makes no tensors.
 * @example
 * import * as T from "@fnn/tensor"
 * T.convShape([-1, 28, 28, 1], [5, 5, 1, 6], { padding: "SAME", strides: 2 }) // [-1, 14, 14, 6]
 */
export const convShape = (
  x: ReadonlyArray<number>,
  w: ReadonlyArray<number>,
  given?: ConvOptions,
): number[] => {
  const options = checkOptions("convShape", given, convSpec)
  const batch = x[0]
  const { shape } = geometryOf("conv", batch === -1 ? [1, ...x.slice(1)] : x, w, options)
  return batch === -1 ? [-1, ...shape.slice(1)] : shape
}

const geometryOf = (
  op: string,
  xs: ReadonlyArray<number>,
  ws: ReadonlyArray<number>,
  options: ConvOptions,
): { readonly geometry: ConvGeometry; readonly shape: number[] } => {
  check(
    xs.length >= 3,
    op,
    () =>
      `x must be [batch, ...spatial, channels] with at least one spatial axis, got ${showShape(xs)}`,
  )
  check(
    ws.length === xs.length,
    op,
    () =>
      `w must be [...window, in / groups, out], of rank ${xs.length} like x ${showShape(xs)}, got ${showShape(ws)}`,
  )
  const d = xs.length - 2
  const groups = options.groups ?? 1
  const C = xs[d + 1]!
  const O = ws[d + 1]!
  check(
    Number.isInteger(groups) && groups >= 1 && C % groups === 0 && O % groups === 0,
    op,
    () =>
      `groups (${groups}) must be a positive integer dividing the input channels (${C}) and the output channels (${O})`,
  )
  check(
    ws[d] === C / groups,
    op,
    () =>
      `w's input channels (axis ${d} of ${showShape(ws)}) must be x's channels / groups = ${C} / ${groups} = ${C / groups}`,
  )
  const spatial = xs.slice(1, d + 1)
  const window = ws.slice(0, d)
  check(
    spatial.every((s) => s >= 1) && window.every((k) => k >= 1),
    op,
    () => `spatial sizes must be positive, got x ${showShape(xs)} and w ${showShape(ws)}`,
  )
  const strides = perAxis(op, "strides", options.strides, d, 1)
  const inputDilation = perAxis(op, "inputDilation", options.inputDilation, d, 1)
  const kernelDilation = perAxis(op, "kernelDilation", options.kernelDilation, d, 1)
  const padding = resolvePadding(
    op,
    options.padding ?? "VALID",
    spatial.map((s, i) => dilatedSize(s, inputDilation[i]!)),
    window.map((k, i) => dilatedSize(k, kernelDilation[i]!)),
    strides,
    true,
  )
  const geometry: ConvGeometry = { strides, padding, inputDilation, kernelDilation, groups }
  const shape = outShape(xs, ws, geometry)
  check(
    shape.slice(1, -1).every((s) => s >= 1),
    op,
    () =>
      `the window ${showShape(window)} (dilated ${showShape(window.map((k, i) => dilatedSize(k, kernelDilation[i]!)))}) does not fit the padded input ${showShape(spatial.map((s, i) => dilatedSize(s, inputDilation[i]!) + padding[i]![0] + padding[i]![1]))} of x ${showShape(xs)}`,
  )
  return { geometry, shape }
}

/**
 * Reverses the order of elements along the given axes.
 * @example
 * import * as T from "@fnn/tensor"
 * T.flip(T.tensor([[1, 2], [3, 4]]), 1) // [[2, 1], [4, 3]]
 */
export const flip = (input: Tensor, axes: number | ReadonlyArray<number>): Tensor => {
  const x = asTensor("flip", "x", input)
  let out = x
  for (const a of typeof axes === "number" ? [axes] : axes) {
    const n = x.shape[a < 0 ? a + x.rank : a]
    check(
      Number.isInteger(a) && n !== undefined,
      "flip",
      () => `axis ${a} is out of range for shape ${showShape(x.shape)}`,
    )
    if (n > 1) out = gather(out, arange(n - 1, -1, -1, { dtype: "int32" }), a)
  }
  return out
}
