/**
 * Any picture of a digit to a 28 × 28 MNIST-style input, the way the MNIST images were made:
 * light ink on black, the ink's bounding box fitted into 20 × 20 keeping its aspect ratio, and
 * the centre of mass moved to the centre of the 28 × 28 field. Pure (no Node, no DOM), so a web
 * page can run the same algorithm on a canvas.
 *
 * Steps, on grey levels 0 (black) – 255 (white):
 * 1. Background: the median of the outermost ring of pixels. If it is light (≥ 128) the picture
 *    is dark on light and is inverted, so ink is bright as in MNIST.
 * 2. Ink: `v − background`, clamped at 0 and scaled so the strongest ink is 1, so a grey paper
 *    becomes black and a faint pencil line full strength. Ink weaker than 5% of the full range
 *    everywhere is an error: the picture is blank.
 * 3. Bounding box of the pixels with at least 10% of the strongest ink.
 * 4. The box is resampled so its longer side is 20 pixels: area averaging when shrinking (every
 *    source pixel counts in proportion to its overlap), bilinear when enlarging.
 * 5. It is placed in 28 × 28 at the whole-pixel offset that brings its centre of mass nearest to
 *    pixel (14, 14), MNIST's convention (pixel indices, 0–27), so the centre of mass ends within
 *    half a pixel of it, unless the box would leave the field, in which case it is moved back in.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"

/** A grey picture: `data[y·width + x]` from 0 (black) to 255 (white), rows top to bottom. */
export interface GreyImage {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/** Why a picture cannot be made into a digit. */
export type PreprocessError =
  /** Width, height and the number of pixels do not agree. */
  | {
      readonly _tag: "InvalidImage"
      readonly width: number
      readonly height: number
      readonly length: number
    }
  /** Nothing stands out from the background. */
  | { readonly _tag: "BlankImage" }

/** A preprocessed digit and how it was obtained. */
export interface Preprocessed {
  /** 784 values in [0, 1], row by row: bright ink on black, as `@fnn/mnist` datasets hold. */
  readonly pixels: Float32Array
  /** Whether the picture was dark on light and got inverted. */
  readonly inverted: boolean
  /** The background grey level (0–255) read from the border. */
  readonly background: number
  /** The ink's bounding box in the original picture. */
  readonly box: {
    readonly x: number
    readonly y: number
    readonly width: number
    readonly height: number
  }
  /** The size the box was resampled to (the longer side is 20). */
  readonly fitted: { readonly width: number; readonly height: number }
  /** Where the box went in the 28 × 28 field (its top-left pixel). */
  readonly offset: { readonly x: number; readonly y: number }
}

/** Side of the MNIST field. */
export const fieldSize = 28
/** Side of the box the ink is fitted into. */
export const boxSize = 20
/** Where the centre of mass goes, in pixel indices. */
export const centre = 14
/** Ink below this fraction of the strongest ink does not count for the bounding box. */
export const boxThreshold = 0.1
/** Below this much ink (after removing the background) the picture counts as blank. */
export const blankThreshold = 0.05

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The grey levels of the outermost ring of pixels, each once. */
export const borderPixels = (image: GreyImage): number[] => {
  const { width: w, height: h, data } = image
  const out: number[] = []
  for (let x = 0; x < w; x++) {
    out.push(data[x]!)
    if (h > 1) out.push(data[(h - 1) * w + x]!)
  }
  for (let y = 1; y < h - 1; y++) {
    out.push(data[y * w]!)
    if (w > 1) out.push(data[y * w + w - 1]!)
  }
  return out
}

/** One axis of a resampling: for each target pixel, source indices and weights summing to 1. */
interface Taps {
  readonly index: Int32Array
  readonly weight: Float64Array
  /** Taps of target pixel `j` are `[start[j], start[j + 1])`. */
  readonly start: Int32Array
}

/** Area averaging from `n` source pixels to `m ≤ n`: target `j` covers `[j·n/m, (j+1)·n/m)`. */
const areaTaps = (n: number, m: number): Taps => {
  const index: number[] = []
  const weight: number[] = []
  const start = new Int32Array(m + 1)
  const step = n / m
  for (let j = 0; j < m; j++) {
    start[j] = index.length
    const lo = j * step
    const hi = (j + 1) * step
    for (let i = Math.floor(lo); i < Math.min(n, Math.ceil(hi)); i++) {
      const overlap = Math.min(hi, i + 1) - Math.max(lo, i)
      if (overlap > 0) {
        index.push(i)
        weight.push(overlap / step)
      }
    }
  }
  start[m] = index.length
  return { index: Int32Array.from(index), weight: Float64Array.from(weight), start }
}

/** Bilinear from `n` source pixels to `m ≥ n`, pixel centres aligned, edges clamped. */
const bilinearTaps = (n: number, m: number): Taps => {
  const index: number[] = []
  const weight: number[] = []
  const start = new Int32Array(m + 1)
  for (let j = 0; j < m; j++) {
    start[j] = index.length
    const s = Math.min(n - 1, Math.max(0, ((j + 0.5) * n) / m - 0.5))
    const i0 = Math.floor(s)
    const f = s - i0
    index.push(i0)
    weight.push(1 - f)
    if (f > 0 && i0 + 1 < n) {
      index.push(i0 + 1)
      weight.push(f)
    }
  }
  start[m] = index.length
  return { index: Int32Array.from(index), weight: Float64Array.from(weight), start }
}

const taps = (n: number, m: number): Taps => (m <= n ? areaTaps(n, m) : bilinearTaps(n, m))

/**
 * Resamples a `w × h` float picture to `w2 × h2`: area averaging along an axis that shrinks,
 * bilinear along one that grows, one axis after the other.
 */
export const resample = (
  src: Float64Array,
  w: number,
  h: number,
  w2: number,
  h2: number,
): Float64Array => {
  const tx = taps(w, w2)
  const ty = taps(h, h2)
  const rows = new Float64Array(w2 * h)
  for (let y = 0; y < h; y++)
    for (let j = 0; j < w2; j++) {
      let acc = 0
      for (let t = tx.start[j]!; t < tx.start[j + 1]!; t++)
        acc += tx.weight[t]! * src[y * w + tx.index[t]!]!
      rows[y * w2 + j] = acc
    }
  const out = new Float64Array(w2 * h2)
  for (let i = 0; i < h2; i++)
    for (let x = 0; x < w2; x++) {
      let acc = 0
      for (let t = ty.start[i]!; t < ty.start[i + 1]!; t++)
        acc += ty.weight[t]! * rows[ty.index[t]! * w2 + x]!
      out[i * w2 + x] = acc
    }
  return out
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v))

/**
 * Turns a picture of a digit into a 28 × 28 MNIST input (see the module comment for the steps).
 *
 * @example
 * import { preprocess } from "@fnn/mnist"
 * const r = preprocess({ width: 3, height: 3, data: Uint8Array.of(255, 255, 255, 255, 0, 255, 255, 255, 255) })
 * // right: a black dot on white becomes a bright 20 × 20 square centred at (14, 14), inverted: true
 */
export const preprocess = (image: GreyImage): E.Either<PreprocessError, Preprocessed> => {
  const { width: w, height: h, data } = image
  if (!(Number.isInteger(w) && Number.isInteger(h) && w >= 1 && h >= 1 && data.length === w * h))
    return E.left({ _tag: "InvalidImage", width: w, height: h, length: data.length })

  const background = median(borderPixels(image))
  const inverted = background >= 128
  const bg = inverted ? 255 - background : background
  const ink = new Float64Array(w * h)
  let strongest = 0
  for (let i = 0; i < w * h; i++) {
    const a = Math.max(0, (inverted ? 255 - data[i]! : data[i]!) - bg)
    ink[i] = a
    if (a > strongest) strongest = a
  }
  if (strongest < blankThreshold * 255) return E.left({ _tag: "BlankImage" })
  for (let i = 0; i < w * h; i++) ink[i] = ink[i]! / strongest

  const cut = boxThreshold
  let x0 = w
  let x1 = -1
  let y0 = h
  let y1 = -1
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (ink[y * w + x]! >= cut) {
        if (x < x0) x0 = x
        if (x > x1) x1 = x
        if (y < y0) y0 = y
        if (y > y1) y1 = y
      }
  const bw = x1 - x0 + 1
  const bh = y1 - y0 + 1
  const crop = new Float64Array(bw * bh)
  for (let y = 0; y < bh; y++)
    for (let x = 0; x < bw; x++) crop[y * bw + x] = ink[(y0 + y) * w + x0 + x]!

  const s = boxSize / Math.max(bw, bh)
  const fw = clamp(Math.round(bw * s), 1, boxSize)
  const fh = clamp(Math.round(bh * s), 1, boxSize)
  const fitted = resample(crop, bw, bh, fw, fh)

  let mass = 0
  let mx = 0
  let my = 0
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++) {
      const v = fitted[y * fw + x]!
      mass += v
      mx += v * x
      my += v * y
    }
  const ox = clamp(Math.round(centre - mx / mass), 0, fieldSize - fw)
  const oy = clamp(Math.round(centre - my / mass), 0, fieldSize - fh)

  const pixels = new Float32Array(fieldSize * fieldSize)
  for (let y = 0; y < fh; y++)
    for (let x = 0; x < fw; x++)
      pixels[(oy + y) * fieldSize + ox + x] = clamp(fitted[y * fw + x]!, 0, 1)
  return E.right({
    pixels,
    inverted,
    background,
    box: { x: x0, y: y0, width: bw, height: bh },
    fitted: { width: fw, height: fh },
    offset: { x: ox, y: oy },
  })
}

/** One sentence about a `PreprocessError`. */
export const renderPreprocessError = (e: PreprocessError): string => {
  switch (e._tag) {
    case "InvalidImage":
      return `a ${e.width} × ${e.height} picture needs ${e.width * e.height} grey levels, got ${e.length}`
    case "BlankImage":
      return "nothing is drawn on it: every pixel has the background colour"
  }
}

/** A preprocessed digit (values in [0, 1], bright ink) as grey levels for a PNG: dark ink on white. */
export const toPrintable = (pixels: Float32Array): GreyImage => {
  const data = new Uint8Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) data[i] = Math.round(255 * (1 - clamp(pixels[i]!, 0, 1)))
  return { width: fieldSize, height: fieldSize, data }
}
