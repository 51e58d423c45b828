/**
 * Pooling over channels-last tensors `[batch, ...spatial, channels]`: the windows of the input
 * (the `windows` primitive) reduced with `max` or a mean, so gradients come from those
 * primitives' rules. In max pooling, tied maxima share the gradient equally (the rule of `max`).
 * @module
 */
import { bind } from "../dispatch.ts"
import { isFloat } from "../dtype.ts"
import { check } from "../errors.ts"
import { showShape } from "../shape.ts"
import type { Tensor } from "../tensor.ts"
import type { Padding } from "../window.ts"
import { checkOptions } from "../options.ts"
import { perAxis, poolSpec, resolvePadding } from "../window.ts"
import { asTensor } from "./convert.ts"
import { full, ones } from "./creation.ts"
import { div, where } from "./elementwise.ts"
import { max, sum } from "./reduce.ts"

/** Options of `maxPool` and `avgPool`; per-axis options also take one number for all axes. */
export interface PoolOptions {
  /** Steps between windows; by default the window itself (windows that tile the input). */
  readonly strides?: number | ReadonlyArray<number>
  /** Default `"VALID"`; explicit pairs must be non-negative. */
  readonly padding?: Padding
}

interface Windowed {
  readonly windows: Tensor
  /** The axes of the window inside `windows`. */
  readonly axes: number[]
  /** How many input elements each window holds (padding excluded), `[1, ...out, 1]`. */
  readonly counts: () => Tensor
}

/** The window, strides and padding of a pooling of inputs of shape `xs`, checked. */
const poolGeometry = (
  op: string,
  xs: ReadonlyArray<number>,
  window: number | ReadonlyArray<number>,
  options: PoolOptions,
) => {
  check(
    xs.length >= 3,
    op,
    () =>
      `x must be [batch, ...spatial, channels] with at least one spatial axis, got ${showShape(xs)}`,
  )
  const d = xs.length - 2
  const win = perAxis(op, "window", window, d, 1)
  const strides = perAxis(op, "strides", options.strides ?? win, d, 1)
  const spatial = xs.slice(1, d + 1)
  const padding = resolvePadding(op, options.padding ?? "VALID", spatial, win, strides, false)
  const padded = spatial.map((s, i) => s + padding[i]![0] + padding[i]![1])
  const out = padded.map((s, i) => (s < win[i]! ? 0 : Math.floor((s - win[i]!) / strides[i]!) + 1))
  check(
    out.every((s) => s >= 1),
    op,
    () =>
      `the window ${showShape(win)} does not fit the ${padding.some(([a, b]) => a + b > 0) ? "padded " : ""}input ${showShape(padded)} of x ${showShape(xs)}`,
  )
  return { d, win, strides, spatial, padding, shape: [xs[0]!, ...out, xs[d + 1]!] }
}

/**
 * The shape `maxPool` and `avgPool` give for inputs of shape `x` (a `-1` batch stays `-1`), with
 * the same checks and errors; makes no tensors.
 * @example
 * import * as T from "@fnn/tensor"
 * T.poolShape([-1, 28, 28, 6], 2) // [-1, 14, 14, 6]
 */
export const poolShape = (
  x: ReadonlyArray<number>,
  window: number | ReadonlyArray<number>,
  options?: PoolOptions,
): number[] =>
  poolGeometry("poolShape", x, window, checkOptions("poolShape", options, poolSpec)).shape

/** The windows of `x` padded with `fill`, or an error naming `op`. */
const windowed = (
  op: string,
  input: Tensor,
  window: number | ReadonlyArray<number>,
  options: PoolOptions,
  fill: number,
): Windowed => {
  const x = asTensor(op, "x", input)
  check(isFloat(x.dtype), op, () => `x must be a float tensor, got ${x.dtype}`)
  const { d, win, strides, spatial, padding } = poolGeometry(op, x.shape, window, options)
  const lo = [0, ...padding.map((p) => p[0]), 0]
  const hi = [0, ...padding.map((p) => p[1]), 0]
  const padded = padding.some(([a, b]) => a > 0 || b > 0)
  const xp = padded
    ? where(
        bind("pad", [ones(x.shape, { dtype: "int32" })], { lo, hi }),
        bind("pad", [x], { lo, hi }),
        full([], fill, { dtype: x.dtype }),
      )
    : x
  const params = { window: win, strides }
  return {
    windows: bind("windows", [xp], params),
    axes: win.map((_, i) => d + 1 + i),
    counts: () => {
      const real = [1, ...spatial, 1]
      const mask = padded
        ? bind("pad", [ones(real, { dtype: x.dtype })], { lo, hi })
        : ones(real, { dtype: x.dtype })
      return sum(bind("windows", [mask], params), { axis: win.map((_, i) => d + 1 + i) })
    },
  }
}

/**
 * The largest element of each window, per channel: `[batch, ...spatial, c]` → `[batch, ...out, c]`.
 * Padding counts as −∞. The gradient goes to the maximum of each window; tied maxima share it
 * equally.
 * @example
 * import * as T from "@fnn/tensor"
 * const x = T.reshape(T.tensor([1, 5, 2, 3, 4, 0, 7, 6]), [1, 2, 4, 1])
 * T.maxPool(x, 2)                  // [[[[5], [7]]]]
 * T.maxPool(x, 2, { strides: 1 }).shape // [1, 1, 3, 1]
 */
export const maxPool = (
  x: Tensor,
  window: number | ReadonlyArray<number>,
  options?: PoolOptions,
): Tensor => {
  const w = windowed("maxPool", x, window, checkOptions("maxPool", options, poolSpec), -Infinity)
  return max(w.windows, { axis: w.axes })
}

/**
 * The mean of each window, per channel: `[batch, ...spatial, c]` → `[batch, ...out, c]`. With
 * padding, each window's mean is over the input elements it holds (padding is not counted).
 * @example
 * import * as T from "@fnn/tensor"
 * const x = T.reshape(T.tensor([1, 5, 2, 3, 4, 0, 7, 6]), [1, 2, 4, 1])
 * T.avgPool(x, 2)                              // [[[[2.5], [4.5]]]]
 * T.avgPool(x, [1, 3], { padding: "SAME", strides: 1 }).shape // [1, 2, 4, 1]
 */
export const avgPool = (
  x: Tensor,
  window: number | ReadonlyArray<number>,
  options?: PoolOptions,
): Tensor => {
  const w = windowed("avgPool", x, window, checkOptions("avgPool", options, poolSpec), 0)
  return div(sum(w.windows, { axis: w.axes }), w.counts())
}
