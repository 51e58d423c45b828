/**
 * A stand-in for the canvas in Node: strokes painted with a round pen into grey levels, as the
 * pad paints them (white on black, `brushWidth` wide, ten pad pixels per digit pixel).
 */
import type { Stroke } from "../e2e/strokes.ts"
import type { GreyImage } from "../src/input.ts"
import { brushWidth, padSize } from "../src/pad.ts"

/** Paints `strokes` (in digit pixels of a 28 × 28 digit) onto a black pad. */
export const paint = (
  strokes: ReadonlyArray<Stroke>,
  brush = brushWidth,
  size = padSize,
): GreyImage => {
  const scale = size / 28
  const data = new Uint8Array(size * size)
  const r = brush / 2
  for (const { from, to } of strokes) {
    const ax = from.x * scale
    const ay = from.y * scale
    const dx = to.x * scale - ax
    const dy = to.y * scale - ay
    const length2 = dx * dx + dy * dy
    const x0 = Math.max(0, Math.floor(Math.min(ax, ax + dx) - r))
    const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, ax + dx) + r))
    const y0 = Math.max(0, Math.floor(Math.min(ay, ay + dy) - r))
    const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, ay + dy) + r))
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5 - ax
        const py = y + 0.5 - ay
        const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, (px * dx + py * dy) / length2))
        if (Math.hypot(px - t * dx, py - t * dy) <= r) data[y * size + x] = 255
      }
  }
  return { width: size, height: size, data }
}
