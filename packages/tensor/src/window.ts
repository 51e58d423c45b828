/**
 * Geometry of sliding windows, shared by the convolution and pooling ops and their kernels.
 * @module
 */
import { check } from "./errors.ts"
import type { OptionsSpec } from "./options.ts"
import type { ConvGeometry } from "./primitives.ts"
import type { Shape } from "./shape.ts"

/** The length of `n` points spread `d` apart: `(n − 1)·d + 1` (0 for no points). */
export const dilatedSize = (n: number, d: number): number => (n === 0 ? 0 : (n - 1) * d + 1)

/**
 * The number of window positions along one axis: the dilated, padded input of `size` holds
 * `floor((padded − dilatedWindow) / stride) + 1` of them, or none when the window does not fit.
 */
export const windowCount = (
  size: number,
  window: number,
  stride: number,
  [lo, hi]: readonly [number, number],
  inputDilation: number,
  kernelDilation: number,
): number => {
  const span = lo + dilatedSize(size, inputDilation) + hi - dilatedSize(window, kernelDilation)
  return span < 0 ? 0 : Math.floor(span / stride) + 1
}

/** The output shape of a convolution of `x` (`[batch, ...spatial, in]`) with `w` (`[...window, in/g, out]`). */
export const convShape = (x: Shape, w: Shape, g: ConvGeometry): number[] => {
  const d = x.length - 2
  const spatial = Array.from({ length: d }, (_, i) =>
    windowCount(
      x[i + 1]!,
      w[i]!,
      g.strides[i]!,
      g.padding[i]!,
      g.inputDilation[i]!,
      g.kernelDilation[i]!,
    ),
  )
  return [x[0]!, ...spatial, w[w.length - 1]!]
}

/** The output shape of `windows` on `x` (`[batch, ...spatial, c]`): `[batch, ...out, ...window, c]`. */
export const windowsShape = (
  x: Shape,
  window: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
): number[] => {
  const out = window.map((k, i) => windowCount(x[i + 1]!, k, strides[i]!, [0, 0], 1, 1))
  return [x[0]!, ...out, ...window, x[x.length - 1]!]
}

/**
 * Padding of a sliding window: `"VALID"` (none: only windows that fit), `"SAME"` (enough zeros
 * that the output has `ceil(size / stride)` positions, the odd one after), or `[lo, hi]` per
 * spatial axis.
 */
export type Padding = "SAME" | "VALID" | ReadonlyArray<readonly [number, number]>

/** One positive integer per spatial axis from a number or an array. */
export const perAxis = (
  op: string,
  name: string,
  value: number | ReadonlyArray<number> | undefined,
  d: number,
  fallback: number,
): number[] => {
  const v = value === undefined ? fallback : value
  const list = typeof v === "number" ? new Array<number>(d).fill(v) : [...v]
  check(
    list.length === d && list.every((n) => Number.isInteger(n) && n >= 1),
    op,
    () =>
      `${name} must be a positive integer or ${d} of them (one per spatial axis), got ${JSON.stringify(value)}`,
  )
  return list
}

/**
 * `[lo, hi]` per spatial axis: `"SAME"` pads `max(0, (out − 1)·stride + window − size)` in all,
 * `out = ceil(size / stride)`, half before (rounded down) and the rest after; sizes and windows
 * are the dilated ones.
 */
export const resolvePadding = (
  op: string,
  padding: Padding,
  sizes: ReadonlyArray<number>,
  windows: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
  allowNegative: boolean,
): Array<[number, number]> => {
  const d = sizes.length
  if (padding === "VALID") return sizes.map(() => [0, 0])
  if (padding === "SAME")
    return sizes.map((size, i) => {
      const out = Math.ceil(size / strides[i]!)
      const total = Math.max(0, (out - 1) * strides[i]! + windows[i]! - size)
      const lo = Math.floor(total / 2)
      return [lo, total - lo]
    })
  const pairs: ReadonlyArray<unknown> = Array.isArray(padding) ? padding : []
  const isPair = (p: unknown): p is readonly [number, number] =>
    Array.isArray(p) &&
    p.length === 2 &&
    p.every((n) => Number.isInteger(n) && (allowNegative || (n as number) >= 0))
  check(
    pairs.length === d && pairs.every(isPair),
    op,
    () =>
      `padding must be "SAME", "VALID" or ${d} [lo, hi] pairs of ${allowNegative ? "" : "non-negative "}integers (one per spatial axis), got ${JSON.stringify(padding)}`,
  )
  return pairs.map(([lo, hi]) => [lo, hi])
}

/** What a padding option accepts (the pairs themselves are checked by `resolvePadding`). */
const paddingOption = (v: unknown): string | undefined =>
  v === "SAME" || v === "VALID" || Array.isArray(v)
    ? undefined
    : '"SAME", "VALID" or [lo, hi] pairs (one per spatial axis)'

/** The options of the convolution ops. */
export const convSpec: OptionsSpec = {
  strides: "integers",
  padding: paddingOption,
  inputDilation: "integers",
  kernelDilation: "integers",
  groups: "integer",
}

/** The options of the pooling ops. */
export const poolSpec: OptionsSpec = { strides: "integers", padding: paddingOption }
