/**
 * PNG in and out through pngjs, with errors as values: `decodePng` never throws, whatever the
 * bytes. Every PNG (grey, RGB, RGBA, palette; 1–16 bits) decodes to 8-bit RGBA; `toGrey` then
 * composites it on white.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { PNG } from "pngjs"
import type { GreyImage } from "@fnn/mnist"
import { checkPng } from "./png-chunks.ts"

/** An 8-bit RGBA picture, rows top to bottom, 4 bytes per pixel. */
export interface RgbaImage {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/** Why bytes are not a PNG we read. */
export type PngError =
  | { readonly _tag: "NotPng"; readonly start: ReadonlyArray<number> }
  | { readonly _tag: "TooLarge"; readonly width: number; readonly height: number }
  | { readonly _tag: "Corrupt"; readonly message: string }

/** The largest number of pixels `decodePng` accepts (a 4096 × 4096 picture). */
export const maxPixels = 4096 * 4096

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Whether `bytes` start with the 8-byte PNG signature. */
export const isPng = (bytes: Uint8Array): boolean =>
  bytes.length >= 8 && signature.every((b, i) => bytes[i] === b)

/**
 * Decodes a PNG file into 8-bit RGBA. Checks the signature, the announced size and every chunk
 * first (`checkPng`: lengths, CRCs, a single IHDR, whole image data inflating to no more than the
 * header announces), so a text file or a hostile header is refused before pngjs sees it.
 *
 * @example
 * decodePng(bytes) // right({ width: 28, height: 28, data: Uint8Array(3136) })
 * decodePng(new TextEncoder().encode("hello")) // left({ _tag: "NotPng", … })
 */
export const decodePng = (bytes: Uint8Array): E.Either<PngError, RgbaImage> => {
  if (!isPng(bytes)) return E.left({ _tag: "NotPng", start: Array.from(bytes.subarray(0, 8)) })
  // the size is checked first only where a well-formed IHDR holds it; checkPng refuses the rest
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length >= 24 && view.getUint32(8) === 13 && view.getUint32(12) === 0x49484452) {
    const width = view.getUint32(16)
    const height = view.getUint32(20)
    if (width * height > maxPixels) return E.left({ _tag: "TooLarge", width, height })
  }
  const checked = checkPng(bytes)
  if (E.isLeft(checked)) return E.left({ _tag: "Corrupt", message: checked.left })
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength)
    if (png.width < 1 || png.height < 1 || data.length !== png.width * png.height * 4)
      return E.left({ _tag: "Corrupt", message: "the decoded pixels do not match the size" })
    return E.right({ width: png.width, height: png.height, data: new Uint8Array(data) })
  } catch (reason) {
    return E.left({
      _tag: "Corrupt",
      message: reason instanceof Error ? reason.message : String(reason),
    })
  }
}

/** One sentence about a `PngError`. */
export const renderPngError = (e: PngError): string => {
  switch (e._tag) {
    case "NotPng":
      return e.start.length === 0
        ? "the file is empty"
        : `it does not start with the PNG signature 89 50 4e 47 0d 0a 1a 0a (found ${e.start
            .map((b) => b.toString(16).padStart(2, "0"))
            .join(" ")})`
    case "TooLarge":
      return `it is ${e.width} × ${e.height} pixels, more than the ${maxPixels} pixels fnn reads`
    case "Corrupt":
      return `it is damaged: ${e.message}`
  }
}

/**
 * Encodes 8-bit RGBA pixels as a PNG file.
 *
 * @example
 * encodePng({ width: 1, height: 1, data: Uint8Array.of(255, 0, 0, 255) }) // a red pixel
 */
export const encodePng = (image: RgbaImage): Uint8Array => {
  const png = new PNG({ width: image.width, height: image.height })
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  const out = PNG.sync.write(png)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/**
 * Grey levels 0 (black) – 255 (white) of an RGBA picture, transparent parts composited on white:
 * `g = a·(0.299 r + 0.587 g + 0.114 b) + (1 − a)·255`, `a` in [0, 1], rounded.
 */
export const toGrey = (image: RgbaImage): GreyImage => {
  const n = image.width * image.height
  const out = new Uint8Array(n)
  const d = image.data
  for (let i = 0; i < n; i++) {
    const a = d[4 * i + 3]! / 255
    const lum = 0.299 * d[4 * i]! + 0.587 * d[4 * i + 1]! + 0.114 * d[4 * i + 2]!
    out[i] = Math.round(a * lum + (1 - a) * 255)
  }
  return { width: image.width, height: image.height, data: out }
}

/**
 * An RGBA picture of grey levels (0 black – 255 white), e.g. to save a preprocessed digit.
 */
export const fromGrey = (image: GreyImage): RgbaImage => {
  const n = image.width * image.height
  const out = new Uint8Array(4 * n)
  for (let i = 0; i < n; i++) {
    const g = image.data[i]!
    out[4 * i] = g
    out[4 * i + 1] = g
    out[4 * i + 2] = g
    out[4 * i + 3] = 255
  }
  return { width: image.width, height: image.height, data: out }
}
