/**
 * Pictures as RGBA pixels, ready for `encodePng`: each neuron's incoming weights as a tile (the
 * video's picture of what a neuron "looks for"), and the confusion matrix as a heat map. Pure.
 * @module
 */
import type { RgbaImage } from "./png.ts"

type Rgb = readonly [number, number, number]

/** A mutable RGBA buffer being drawn; frozen into an `RgbaImage` when done. */
interface Canvas extends RgbaImage {
  fill(x: number, y: number, w: number, h: number, c: Rgb): void
}

const canvas = (width: number, height: number, background: Rgb): Canvas => {
  const data = new Uint8Array(width * height * 4)
  const fill = (x: number, y: number, w: number, h: number, c: Rgb): void => {
    const x0 = Math.max(0, Math.round(x))
    const y0 = Math.max(0, Math.round(y))
    const x1 = Math.min(width, Math.round(x + w))
    const y1 = Math.min(height, Math.round(y + h))
    for (let yy = y0; yy < y1; yy++)
      for (let xx = x0; xx < x1; xx++) {
        const i = 4 * (yy * width + xx)
        data[i] = c[0]
        data[i + 1] = c[1]
        data[i + 2] = c[2]
        data[i + 3] = 255
      }
  }
  fill(0, 0, width, height, background)
  return { width, height, data, fill }
}

// -------------------------------------------------------------------------------------------
// a 3 × 5 pixel font for digits and the few capitals the labels need
// -------------------------------------------------------------------------------------------

const glyphs: Readonly<Record<string, string>> = {
  "0": "111101101101111",
  "1": "010110010010111",
  "2": "111001111100111",
  "3": "111001111001111",
  "4": "101101111001001",
  "5": "111100111001111",
  "6": "111100111101111",
  "7": "111001001001001",
  "8": "111101111101111",
  "9": "111101111001111",
  T: "111010010010010",
  R: "110101110101101",
  U: "101101101101111",
  E: "111100110100111",
  P: "110101110100100",
  D: "110101101101110",
  I: "111010010010111",
  C: "111100100100111",
  " ": "000000000000000",
}

/** Width in pixels of `text` drawn at `scale`. */
const textWidth = (text: string, scale: number): number =>
  text.length === 0 ? 0 : (text.length * 4 - 1) * scale

const drawText = (
  c: Canvas,
  x: number,
  y: number,
  text: string,
  scale: number,
  colour: Rgb,
): void => {
  ;[...text].forEach((ch, k) => {
    const g = glyphs[ch] ?? glyphs[" "]!
    for (let r = 0; r < 5; r++)
      for (let q = 0; q < 3; q++)
        if (g[r * 3 + q] === "1")
          c.fill(x + (k * 4 + q) * scale, y + r * scale, scale, scale, colour)
  })
}

// -------------------------------------------------------------------------------------------
// weights
// -------------------------------------------------------------------------------------------

const white: Rgb = [255, 255, 255]
const red: Rgb = [178, 24, 43]
const blue: Rgb = [33, 102, 172]
const gap: Rgb = [64, 64, 64]
const unused: Rgb = [160, 160, 160]

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  Math.round(a[0] + (b[0] - a[0]) * t),
  Math.round(a[1] + (b[1] - a[1]) * t),
  Math.round(a[2] + (b[2] - a[2]) * t),
]

/** White at 0, red towards +1, blue towards −1. */
export const diverging = (v: number): Rgb =>
  v >= 0 ? mix(white, red, Math.min(1, v)) : mix(white, blue, Math.min(1, -v))

/** How one neuron's inputs are laid out in its tile. */
export interface TileLayout {
  readonly cols: number
  readonly rows: number
}

/** 784 inputs as the 28 × 28 picture they come from; otherwise the squarest grid that holds them. */
export const tileLayout = (inputs: number): TileLayout => {
  if (inputs === 784) return { cols: 28, rows: 28 }
  const cols = Math.ceil(Math.sqrt(inputs))
  return { cols, rows: Math.ceil(inputs / cols) }
}

/**
 * One tile per neuron (column of `w`, `[inputs, units]` row-major): input `i` of neuron `j` at
 * cell `i` of the tile, coloured by `w[i, j] / max_i |w[i, j]|` (scaled per neuron), red for
 * positive and blue for negative. Tiles are laid out in the squarest grid, neuron 0 top left.
 */
export const weightsPicture = (
  w: Float32Array | Float64Array,
  inputs: number,
  units: number,
): RgbaImage => {
  const layout = tileLayout(inputs)
  const cell = Math.max(1, Math.floor(224 / Math.max(layout.cols, layout.rows)))
  const tileW = layout.cols * cell
  const tileH = layout.rows * cell
  const border = 4
  const gridCols = Math.ceil(Math.sqrt(units))
  const gridRows = Math.ceil(units / gridCols)
  const c = canvas(gridCols * (tileW + border) + border, gridRows * (tileH + border) + border, gap)
  for (let j = 0; j < units; j++) {
    let m = 0
    for (let i = 0; i < inputs; i++) m = Math.max(m, Math.abs(w[i * units + j]!))
    const x0 = border + (j % gridCols) * (tileW + border)
    const y0 = border + Math.floor(j / gridCols) * (tileH + border)
    for (let k = 0; k < layout.cols * layout.rows; k++) {
      const colour = k < inputs ? diverging(m === 0 ? 0 : w[k * units + j]! / m) : unused
      c.fill(
        x0 + (k % layout.cols) * cell,
        y0 + Math.floor(k / layout.cols) * cell,
        cell,
        cell,
        colour,
      )
    }
  }
  return { width: c.width, height: c.height, data: c.data }
}

// -------------------------------------------------------------------------------------------
// confusion matrix
// -------------------------------------------------------------------------------------------

const ink: Rgb = [20, 20, 20]
const heat: Rgb = [8, 48, 107]

/**
 * The confusion matrix as a heat map: rows true digits, columns predictions, each cell shaded by
 * its share of the row (white 0 → dark blue 1) with its count written in it.
 */
export const confusionPicture = (counts: ArrayLike<number>, k: number): RgbaImage => {
  const cell = 44
  const left = 64
  const top = 64
  const c = canvas(left + k * cell + 8, top + k * cell + 8, white)
  drawText(c, left + (k * cell - textWidth("PREDICTED", 3)) / 2, 6, "PREDICTED", 3, ink)
  drawText(c, 4, top - 22, "TRUE", 2, ink)
  for (let t = 0; t < k; t++) {
    let row = 0
    for (let p = 0; p < k; p++) row += counts[t * k + p]!
    drawText(
      c,
      left - 8 - textWidth(String(t), 3),
      top + t * cell + (cell - 15) / 2,
      String(t),
      3,
      ink,
    )
    for (let p = 0; p < k; p++) {
      const n = counts[t * k + p]!
      const share = row === 0 ? 0 : n / row
      const x = left + p * cell
      const y = top + t * cell
      c.fill(x, y, cell, cell, mix(white, heat, Math.sqrt(share)))
      c.fill(x, y, cell, 1, [200, 200, 200])
      c.fill(x, y, 1, cell, [200, 200, 200])
      if (n > 0) {
        const text = String(n)
        drawText(
          c,
          x + Math.floor((cell - textWidth(text, 2)) / 2),
          y + 17,
          text,
          2,
          share > 0.3 ? white : ink,
        )
      }
    }
  }
  for (let p = 0; p < k; p++)
    drawText(c, left + p * cell + (cell - textWidth(String(p), 3)) / 2, top - 22, String(p), 3, ink)
  return { width: c.width, height: c.height, data: c.data }
}
