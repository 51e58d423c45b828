/**
 * The page's colours, as in the video: black background, neurons lit white by their activation,
 * blue for positive and red for negative weights (or weight × activation). Pure.
 * @module
 */

/** An sRGB colour with components 0–255. */
export type Rgb = readonly [number, number, number]

/** The palette shared by the canvas drawings and the style sheet. */
export const palette = {
  background: [11, 12, 16] as Rgb,
  positive: [88, 196, 221] as Rgb,
  negative: [252, 98, 85] as Rgb,
  highlight: [247, 217, 111] as Rgb,
  ink: [255, 255, 255] as Rgb,
} as const

/** `x` clamped to [0, 1] (NaN counts as 0). */
export const clamp01 = (x: number): number => (x > 0 ? (x < 1 ? x : 1) : 0)

/** A CSS colour from an RGB triple and an opacity in [0, 1]. */
export const css = ([r, g, b]: Rgb, alpha = 1): string =>
  alpha >= 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${clamp01(alpha).toFixed(3)})`

/** The grey of a neuron with activation `a`: black at 0, white at 1 (clamped). */
export const activationGrey = (a: number): Rgb => {
  const v = Math.round(255 * clamp01(a))
  return [v, v, v]
}

/** A signed value as colour and strength: blue if positive, red if negative, `|v| / scale` clamped. */
export interface Signed {
  readonly rgb: Rgb
  /** `|v| / scale` in [0, 1]. */
  readonly strength: number
}

/**
 * The colour and strength of a signed value relative to `scale` (the largest magnitude shown).
 *
 * @example
 * signed(-0.5, 2) // { rgb: palette.negative, strength: 0.25 }
 */
export const signed = (v: number, scale: number): Signed => ({
  rgb: v < 0 ? palette.negative : palette.positive,
  strength: scale > 0 && Number.isFinite(v) ? clamp01(Math.abs(v) / scale) : 0,
})

/** The largest `|v|` of `values` (0 when empty). */
export const maxAbs = (values: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!)
    if (a > m) m = a
  }
  return m
}

/**
 * RGBA bytes of a signed picture on black: each value's colour (`signed`) scaled by its
 * strength, so zero is black and the largest magnitude full blue or red. `scale` defaults to the
 * largest magnitude in `values`.
 *
 * @example
 * const rgba = signedPicture(weightsOfNeuron) // 784 values → 28 × 28 × 4 bytes for an ImageData
 */
export const signedPicture = (
  values: ArrayLike<number>,
  scale: number = maxAbs(values),
): Uint8ClampedArray<ArrayBuffer> => {
  const out = new Uint8ClampedArray(values.length * 4)
  for (let i = 0; i < values.length; i++) {
    const { rgb, strength } = signed(values[i]!, scale)
    out[4 * i] = rgb[0] * strength
    out[4 * i + 1] = rgb[1] * strength
    out[4 * i + 2] = rgb[2] * strength
    out[4 * i + 3] = 255
  }
  return out
}

/** RGBA bytes of a grey picture: values in [0, 1] from black to white (clamped). */
export const greyPicture = (values: ArrayLike<number>): Uint8ClampedArray<ArrayBuffer> => {
  const out = new Uint8ClampedArray(values.length * 4)
  for (let i = 0; i < values.length; i++) {
    const v = 255 * clamp01(values[i]!)
    out[4 * i] = v
    out[4 * i + 1] = v
    out[4 * i + 2] = v
    out[4 * i + 3] = 255
  }
  return out
}
