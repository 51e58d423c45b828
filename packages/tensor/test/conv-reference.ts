/**
 * Naive references for convolution and pooling, written from the definitions: dilate the input
 * into a new array, pad it (negative padding crops), and slide the dilated kernel over it with
 * explicit multi-indices. Shares no code with the library's window helpers.
 * @module
 */
import fc from "fast-check"
import type { DType } from "../src/index.ts"
import type { Ref } from "./reference.ts"
import { count, ravel, roundTo, unravel } from "./reference.ts"

/** A convolution's settings with padding resolved to pairs. */
export interface ConvConfig {
  readonly strides: number[]
  readonly padding: Array<[number, number]>
  readonly inputDilation: number[]
  readonly kernelDilation: number[]
  readonly groups: number
}

/** `[N, ...S, C]` → the input dilated and padded with zeros. */
export const dilateAndPad = (
  x: Ref,
  dilation: ReadonlyArray<number>,
  padding: ReadonlyArray<readonly [number, number]>,
): Ref => {
  const d = x.shape.length - 2
  const dilated = x.shape.map((s, i) =>
    i === 0 || i === d + 1 ? s : (s - 1) * dilation[i - 1]! + 1,
  )
  const shape = dilated.map((s, i) =>
    i === 0 || i === d + 1 ? s : s + padding[i - 1]![0] + padding[i - 1]![1],
  )
  const values = new Array<number>(count(shape)).fill(0)
  for (let f = 0; f < values.length; f++) {
    const idx = unravel(f, shape)
    const src: number[] = []
    let inside = true
    for (let i = 0; i < idx.length; i++) {
      if (i === 0 || i === d + 1) {
        src.push(idx[i]!)
        continue
      }
      const p = idx[i]! - padding[i - 1]![0]
      const dl = dilation[i - 1]!
      if (p < 0 || p >= dilated[i]!) inside = false
      else if (p % dl !== 0) inside = false
      else src.push(p / dl)
    }
    if (inside) values[f] = x.values[ravel(src, x.shape)]!
  }
  return { dtype: x.dtype, shape, values }
}

/** `y[n, o, j] = Σ_{k, c} x̃[n, o·s + k·kd, g·Cg + c] · w[k, c, j]`, summed in double. */
export const convRef = (x: Ref, w: Ref, cfg: ConvConfig): Ref => {
  const d = x.shape.length - 2
  const xp = dilateAndPad(x, cfg.inputDilation, cfg.padding)
  const window = w.shape.slice(0, d)
  const C = x.shape[d + 1]!
  const O = w.shape[d + 1]!
  const Cg = C / cfg.groups
  const Og = O / cfg.groups
  const out = [
    x.shape[0]!,
    ...window.map((k, i) => {
      const span = xp.shape[i + 1]! - ((k - 1) * cfg.kernelDilation[i]! + 1)
      return span < 0 ? 0 : Math.floor(span / cfg.strides[i]!) + 1
    }),
    O,
  ]
  const values = new Array<number>(count(out)).fill(0)
  const taps = count(window)
  for (let f = 0; f < values.length; f++) {
    const idx = unravel(f, out)
    const j = idx[d + 1]!
    const g = Math.floor(j / Og)
    let acc = 0
    for (let t = 0; t < taps; t++) {
      const k = unravel(t, window)
      const pos = k.map((ki, i) => idx[i + 1]! * cfg.strides[i]! + ki * cfg.kernelDilation[i]!)
      for (let c = 0; c < Cg; c++) {
        const xv = xp.values[ravel([idx[0]!, ...pos, g * Cg + c], xp.shape)]!
        acc += xv * w.values[ravel([...k, c, j], w.shape)]!
      }
    }
    values[f] = roundTo(x.dtype, acc)
  }
  return { dtype: x.dtype, shape: out, values }
}

/** Max or mean over each window of `x` (`[N, ...S, C]`), padding counted as −∞ / not at all. */
export const poolRef = (
  kind: "max" | "avg",
  x: Ref,
  window: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
  padding: ReadonlyArray<readonly [number, number]>,
): Ref => {
  const d = x.shape.length - 2
  const out = [
    x.shape[0]!,
    ...window.map((k, i) => {
      const span = x.shape[i + 1]! + padding[i]![0] + padding[i]![1] - k
      return span < 0 ? 0 : Math.floor(span / strides[i]!) + 1
    }),
    x.shape[d + 1]!,
  ]
  const values = new Array<number>(count(out)).fill(0)
  for (let f = 0; f < values.length; f++) {
    const idx = unravel(f, out)
    let best = -Infinity
    let total = 0
    let n = 0
    for (let t = 0; t < count(window); t++) {
      const k = unravel(t, window)
      const pos = k.map((ki, i) => idx[i + 1]! * strides[i]! + ki - padding[i]![0])
      if (pos.some((p, i) => p < 0 || p >= x.shape[i + 1]!)) continue
      const v = x.values[ravel([idx[0]!, ...pos, idx[d + 1]!], x.shape)]!
      best = Math.max(best, v)
      total += v
      n++
    }
    values[f] = roundTo(x.dtype, kind === "max" ? best : total / n)
  }
  return { dtype: x.dtype, shape: out, values }
}

/** A convolution problem: shapes and a configuration whose output is not empty. */
export interface ConvCase {
  readonly xShape: number[]
  readonly wShape: number[]
  readonly cfg: ConvConfig
  /** `"SAME"`/`"VALID"` as given to the op, or the explicit pairs. */
  readonly padding: "SAME" | "VALID" | Array<[number, number]>
  readonly dtype: DType
}

/** `"SAME"` resolved the way TensorFlow and JAX do it, on the dilated sizes. */
export const samePadding = (
  sizes: ReadonlyArray<number>,
  windows: ReadonlyArray<number>,
  strides: ReadonlyArray<number>,
): Array<[number, number]> =>
  sizes.map((s, i) => {
    const total = Math.max(0, (Math.ceil(s / strides[i]!) - 1) * strides[i]! + windows[i]! - s)
    return [Math.floor(total / 2), total - Math.floor(total / 2)]
  })

/** Random convolution problems over 1 to `maxD` spatial axes with odd and even sizes. */
export const convCaseArb = (maxD = 3, maxSize = 6): fc.Arbitrary<ConvCase> =>
  fc
    .integer({ min: 1, max: maxD })
    .chain((d) => {
      const axes = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: d, maxLength: d })
      return fc.record({
        n: fc.integer({ min: 1, max: 2 }),
        groups: fc.integer({ min: 1, max: 3 }),
        cg: fc.integer({ min: 1, max: 2 }),
        og: fc.integer({ min: 1, max: 2 }),
        sizes: axes(fc.integer({ min: 1, max: maxSize })),
        window: axes(fc.integer({ min: 1, max: 3 })),
        strides: axes(fc.integer({ min: 1, max: 3 })),
        inputDilation: axes(fc.integer({ min: 1, max: 2 })),
        kernelDilation: axes(fc.integer({ min: 1, max: 2 })),
        padding: fc.oneof(
          fc.constantFrom<"SAME" | "VALID">("SAME", "VALID"),
          axes(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 }))),
        ),
        dtype: fc.constantFrom<DType>("float32", "float64"),
      })
    })
    .map((r) => {
      const dilated = r.sizes.map((s, i) => (s - 1) * r.inputDilation[i]! + 1)
      const windows = r.window.map((k, i) => (k - 1) * r.kernelDilation[i]! + 1)
      const pairs =
        r.padding === "VALID"
          ? r.sizes.map((): [number, number] => [0, 0])
          : r.padding === "SAME"
            ? samePadding(dilated, windows, r.strides)
            : r.padding
      return {
        ok: dilated.every((s, i) => s + pairs[i]![0] + pairs[i]![1] >= windows[i]!),
        value: {
          xShape: [r.n, ...r.sizes, r.groups * r.cg],
          wShape: [...r.window, r.cg, r.groups * r.og],
          cfg: {
            strides: r.strides,
            padding: pairs,
            inputDilation: r.inputDilation,
            kernelDilation: r.kernelDilation,
            groups: r.groups,
          },
          padding: r.padding,
          dtype: r.dtype,
        },
      }
    })
    .filter((c) => c.ok)
    .map((c) => c.value)
