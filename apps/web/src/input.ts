/**
 * From what is drawn to what the network sees: the canvas's pixels as a grey picture, then the
 * MNIST preprocessing of `fnn predict --image` (the ink's bounding box fitted into 20 × 20, its
 * centre of mass moved to the centre of 28 × 28). Pure.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
// The CLI's own pure module, so that the page and `fnn predict` agree pixel for pixel. It
// belongs in @fnn/mnist, where both apps could share it without one app importing the other.
import { preprocess } from "@fnn/mnist"
import type { GreyImage } from "@fnn/mnist"

/** A grey picture (`data[y·width + x]`, 0 black – 255 white), as `preprocess` takes it. */
export type { GreyImage }

/** The grey level of each pixel of RGBA bytes (an `ImageData`): the mean of red, green and blue. */
export const greyOf = (rgba: ArrayLike<number>, width: number, height: number): GreyImage => {
  const data = new Uint8Array(width * height)
  for (let i = 0; i < data.length; i++)
    data[i] = Math.round((rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / 3)
  return { width, height, data }
}

/**
 * The 784 network inputs for a drawing, or `undefined` when nothing is drawn.
 *
 * @example
 * const pixels = toInput(greyOf(ctx.getImageData(0, 0, 280, 280).data, 280, 280))
 */
export const toInput = (image: GreyImage): Float32Array | undefined => {
  const r = preprocess(image)
  return E.isRight(r) ? r.right.pixels : undefined
}
