/**
 * Where everything goes in the picture of the network, as in the video: the 28 × 28 input grid
 * on the left, then one column of neurons per layer, the outputs last with room for their
 * labels. Pure geometry in CSS pixels, so it can be tested without a browser.
 * @module
 */

/** A neuron's circle. */
export interface Circle {
  readonly x: number
  readonly y: number
  readonly r: number
}

/** The input grid: its top-left corner and the side of one cell. */
export interface Grid {
  readonly x: number
  readonly y: number
  readonly cell: number
  readonly side: number
}

/** The geometry of a whole network picture. */
export interface NetworkLayout {
  readonly width: number
  readonly height: number
  readonly grid: Grid
  /** One column per layer after the input (hidden layers, then the outputs). */
  readonly columns: ReadonlyArray<ReadonlyArray<Circle>>
}

/** A neuron by column (0 for the first hidden layer) and index in its column. */
export interface NeuronRef {
  readonly column: number
  readonly index: number
}

/** Room kept on the right of the output column for the digit labels and values. */
export const labelRoom = 96
const margin = 24
/** Room above the columns for their titles. */
const titleRoom = 28
const maxRadius = 13
const maxSpacing = 38

/**
 * Lays out a network with a 28 × 28 input and the given layer sizes (hidden layers then
 * outputs) in a `width × height` box.
 *
 * @example
 * layoutNetwork(880, 560, [16, 16, 10]) // grid on the left, three columns of 16, 16 and 10
 */
export const layoutNetwork = (
  width: number,
  height: number,
  sizes: ReadonlyArray<number>,
  inputSide = 28,
): NetworkLayout => {
  const w = Math.max(width, 200)
  const h = Math.max(height, 160)
  const usable = h - 2 * margin - titleRoom
  // Horizontal room shrinks with the width, so narrow pictures still keep everything apart.
  const side = Math.max(28, Math.min(usable * 0.72, w * 0.3))
  const cell = side / inputSide
  const left = Math.min(margin, w * 0.04)
  const grid: Grid = { x: left, y: margin + titleRoom + (usable - side) / 2, cell, side }
  const first = grid.x + side + Math.min(120, w * 0.12)
  const last = w - left - Math.min(labelRoom, w * 0.16)
  const n = sizes.length
  const columns = sizes.map((count, c) => {
    const x = n === 1 ? last : first + ((last - first) * c) / (n - 1)
    const spacing = Math.min(maxSpacing, usable / Math.max(1, count))
    const r = Math.max(0.5, Math.min(maxRadius, spacing * 0.4))
    const top = margin + titleRoom + (usable - spacing * (count - 1)) / 2
    return Array.from({ length: count }, (_, i): Circle => ({ x, y: top + i * spacing, r }))
  })
  return { width: w, height: h, grid, columns }
}

/** The centre of input pixel `i` (row-major) in the grid. */
export const pixelCentre = (grid: Grid, i: number, inputSide = 28): { x: number; y: number } => ({
  x: grid.x + ((i % inputSide) + 0.5) * grid.cell,
  y: grid.y + (Math.floor(i / inputSide) + 0.5) * grid.cell,
})

/**
 * The neuron under the point `(x, y)`, if any: within its circle, or within half the spacing of
 * its centre for small circles, so tiny neurons can still be pointed at.
 */
export const neuronAt = (layout: NetworkLayout, x: number, y: number): NeuronRef | undefined => {
  let best: NeuronRef | undefined
  let bestDistance = Infinity
  layout.columns.forEach((column, c) => {
    column.forEach((n, i) => {
      const d = Math.hypot(x - n.x, y - n.y)
      const reach = Math.max(n.r + 2, 6)
      if (d <= reach && d < bestDistance) {
        best = { column: c, index: i }
        bestDistance = d
      }
    })
  })
  return best
}
