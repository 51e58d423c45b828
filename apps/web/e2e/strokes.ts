/**
 * A digit's ink as pen strokes: one horizontal stroke along each run of inked pixels in each
 * row, through the pixel centres. Drawn with a pen about two pixels wide, the strokes give back
 * the digit slightly bolder, which is how the browser test "draws" a known test digit.
 * @module
 */

/** A point in digit pixels: `(x, y)` from the top-left corner of a `side × side` digit. */
export interface Point {
  readonly x: number
  readonly y: number
}

/** A stroke from `from` to `to` (the same point for a dot). */
export interface Stroke {
  readonly from: Point
  readonly to: Point
}

/**
 * The strokes that trace the pixels of `digit` (grey levels 0–255, row by row) at or above
 * `threshold`, top to bottom and left to right.
 *
 * @example
 * strokesOf(Uint8Array.of(0, 255, 255, 0), 2) // [{ from: { x: 1.5, y: 0.5 }, to: { x: 2.5, y: 0.5 } }]
 */
export const strokesOf = (digit: ArrayLike<number>, side = 28, threshold = 128): Stroke[] => {
  const strokes: Stroke[] = []
  for (let y = 0; y < side; y++) {
    let x = 0
    while (x < side) {
      if (digit[y * side + x]! < threshold) {
        x++
        continue
      }
      const start = x
      while (x + 1 < side && digit[y * side + x + 1]! >= threshold) x++
      strokes.push({ from: { x: start + 0.5, y: y + 0.5 }, to: { x: x + 0.5, y: y + 0.5 } })
      x++
    }
  }
  return strokes
}
