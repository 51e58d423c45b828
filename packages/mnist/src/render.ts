/**
 * Digits as text, for terminals and logs.
 * @module
 */
import { Tensor, TensorError } from "@fnn/tensor"
import { checkOptions } from "@fnn/tensor/internal"

/** The shades from darkest (0) to brightest (1). */
export const shades = " ░▒▓█"

/**
 * Draws a grey image with values in [0, 1] as lines of shade characters, two per pixel so a
 * square image looks square. Values outside [0, 1] are clamped; NaN draws as blank. `width` is
 * the number of pixels per line: 28 by default, or the last axis of a tensor of rank ≥ 2.
 *
 * @example
 * import { renderDigit } from "@fnn/mnist"
 * console.log(renderDigit(Float32Array.of(0, 1, 1, 0), { width: 2 }))
 * //   ████
 * // ████
 */
export const renderDigit = (
  image: Tensor | ArrayLike<number>,
  given?: { readonly width?: number },
): string => {
  const options = checkOptions("renderDigit", given, { width: "number" })
  const data = image instanceof Tensor ? image.data : image
  const width =
    options.width ??
    (image instanceof Tensor && image.rank >= 2 ? image.shape[image.rank - 1]! : 28)
  if (!Number.isInteger(width) || width < 1 || data.length % width !== 0)
    throw new TensorError(
      "renderDigit",
      `an image of ${data.length} pixels cannot be drawn ${width} pixels wide`,
    )
  const top = shades.length - 1
  const lines: string[] = []
  for (let r = 0; r < data.length / width; r++) {
    let line = ""
    for (let c = 0; c < width; c++) {
      const v = data[r * width + c]!
      const level = v > 0 ? Math.min(top, Math.floor(v * shades.length)) : 0
      const ch = shades[level]!
      line += ch + ch
    }
    lines.push(line)
  }
  return lines.join("\n")
}
