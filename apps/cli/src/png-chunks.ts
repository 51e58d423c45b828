/**
 * The checks a PNG passes before any decoder sees it: every chunk's length, type and CRC, one
 * well-formed IHDR first, image data present and whole, an IEND; and the pixel data inflated at
 * most to the size the header announces, so neither a second IHDR nor a small IDAT that inflates
 * to gigabytes costs more than the picture the file claims to be.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { crc32, inflateSync } from "node:zlib"

/** What the IHDR chunk announces. */
export interface PngHeader {
  readonly width: number
  readonly height: number
  readonly bitDepth: number
  readonly colorType: number
  readonly interlaced: boolean
}

/** Samples per pixel of each colour type, and the bit depths it allows. */
const colorTypes: ReadonlyMap<
  number,
  { readonly samples: number; readonly depths: ReadonlyArray<number> }
> = new Map([
  [0, { samples: 1, depths: [1, 2, 4, 8, 16] }],
  [2, { samples: 3, depths: [8, 16] }],
  [3, { samples: 1, depths: [1, 2, 4, 8] }],
  [4, { samples: 2, depths: [8, 16] }],
  [6, { samples: 4, depths: [8, 16] }],
])

// Adam7: the column and row each pass starts at, and its step.
const adam7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const

/** The bytes the image data inflates to: each row of each pass, with its filter byte. */
export const inflatedSize = (h: PngHeader): number => {
  const bits = colorTypes.get(h.colorType)!.samples * h.bitDepth
  const rowBytes = (width: number): number => 1 + Math.ceil((width * bits) / 8)
  if (!h.interlaced) return h.height * rowBytes(h.width)
  let total = 0
  for (const [x0, y0, dx, dy] of adam7) {
    const w = Math.ceil((h.width - x0) / dx)
    const rows = Math.ceil((h.height - y0) / dy)
    if (w > 0 && rows > 0) total += rows * rowBytes(w)
  }
  return total
}

const typeOf = (bytes: Uint8Array, at: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + 4))

const isLetters = (t: string): boolean => /^[A-Za-z]{4}$/.test(t)

/** Why a PNG was refused before decoding: a sentence for people. */
export type ChunkProblem = string

/** Reads IHDR's 13 bytes, refusing sizes and kinds no PNG has. */
const readHeader = (data: Uint8Array): E.Either<ChunkProblem, PngHeader> => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const width = view.getUint32(0)
  const height = view.getUint32(4)
  const [bitDepth, colorType, compression, filter, interlace] = data.subarray(8, 13)
  if (width === 0 || height === 0 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1)
    return E.left(`its header gives a size of ${width} × ${height} pixels`)
  const kind = colorTypes.get(colorType!)
  if (kind === undefined) return E.left(`its header gives the unknown colour type ${colorType}`)
  if (!kind.depths.includes(bitDepth!))
    return E.left(
      `its header gives bit depth ${bitDepth}, which colour type ${colorType} does not have`,
    )
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1))
    return E.left("its header names an unknown compression, filter or interlace method")
  return E.right({
    width,
    height,
    bitDepth: bitDepth!,
    colorType: colorType!,
    interlaced: interlace === 1,
  })
}

/**
 * Walks the chunks after the 8-byte signature and inflates the image data with the announced size
 * as a ceiling. Gives the header, or the first problem found. The caller bounds the announced
 * size first (the first chunk's width and height), so the ceiling is one it accepts.
 *
 * @example
 * checkPng(PNG.sync.write(png)) // right({ width, height, … })
 */
export const checkPng = (bytes: Uint8Array): E.Either<ChunkProblem, PngHeader> => {
  let at = 8
  let header: PngHeader | undefined
  const idat: Uint8Array[] = []
  let ended = false
  for (let index = 0; !ended; index++) {
    if (at + 12 > bytes.length)
      return E.left(
        at === bytes.length
          ? "it ends without an IEND chunk"
          : `it ends inside chunk ${index + 1}, which needs at least 12 bytes`,
      )
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8)
    const length = view.getUint32(0)
    const type = typeOf(bytes, at + 4)
    if (!isLetters(type)) return E.left(`chunk ${index + 1} has no valid type`)
    if (length > 2 ** 31 - 1 || at + 12 + length > bytes.length)
      return E.left(
        `it ends inside its ${type} chunk (chunk ${index + 1} announces ${length} bytes)`,
      )
    const data = bytes.subarray(at + 8, at + 8 + length)
    const stored = new DataView(bytes.buffer, bytes.byteOffset + at + 8 + length, 4).getUint32(0)
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== stored)
      return E.left(`its ${type} chunk (chunk ${index + 1}) fails its CRC check`)
    if (index === 0 && type !== "IHDR") return E.left(`its first chunk is ${type}, not IHDR`)
    if (type === "IHDR") {
      if (index > 0) return E.left(`it has a second IHDR chunk (chunk ${index + 1})`)
      if (length !== 13) return E.left(`its IHDR chunk has ${length} bytes, not 13`)
      const h = readHeader(data)
      if (E.isLeft(h)) return h
      header = h.right
    } else if (type === "IDAT") idat.push(data)
    else if (type === "IEND") ended = true
    at += 12 + length
  }
  if (header === undefined || idat.length === 0) return E.left("it has no image data (IDAT)")
  const expected = inflatedSize(header)
  let inflated: Uint8Array
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: expected })
  } catch (reason) {
    const code =
      typeof reason === "object" && reason !== null && "code" in reason ? reason.code : ""
    return E.left(
      code === "ERR_BUFFER_TOO_LARGE"
        ? `its image data inflates to more than the ${expected} bytes its header announces`
        : `its image data does not inflate (${reason instanceof Error ? reason.message : String(reason)})`,
    )
  }
  if (inflated.length < expected)
    return E.left(
      `its image data inflates to ${inflated.length} bytes, fewer than the ${expected} its header announces`,
    )
  return E.right(header)
}
