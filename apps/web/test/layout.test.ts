import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { layoutNetwork, neuronAt, pixelCentre } from "../src/layout.ts"

const sizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 })
const box = fc.record({
  width: fc.integer({ min: 200, max: 2400 }),
  height: fc.integer({ min: 160, max: 1600 }),
})

describe("network layout", () => {
  test("every neuron and the input grid lie inside the picture", () => {
    fc.assert(
      fc.property(box, sizes, ({ width, height }, ns) => {
        const l = layoutNetwork(width, height, ns)
        expect(l.grid.x).toBeGreaterThanOrEqual(0)
        expect(l.grid.y).toBeGreaterThanOrEqual(0)
        expect(l.grid.x + l.grid.side).toBeLessThanOrEqual(width)
        expect(l.grid.y + l.grid.side).toBeLessThanOrEqual(height)
        expect(l.grid.cell * 28).toBeCloseTo(l.grid.side, 9)
        for (const column of l.columns)
          for (const n of column) {
            expect(n.x - n.r).toBeGreaterThanOrEqual(0)
            expect(n.x + n.r).toBeLessThanOrEqual(width)
            expect(n.y - n.r).toBeGreaterThanOrEqual(0)
            expect(n.y + n.r).toBeLessThanOrEqual(height)
          }
      }),
    )
  })

  test("columns hold one circle per neuron, left to right after the grid, without overlaps", () => {
    fc.assert(
      fc.property(box, sizes, ({ width, height }, ns) => {
        const l = layoutNetwork(width, height, ns)
        expect(l.columns.map((c) => c.length)).toEqual(ns)
        let left = l.grid.x + l.grid.side
        for (const column of l.columns) {
          const x = column[0]!.x
          expect(x).toBeGreaterThan(left)
          left = x
          column.forEach((n, i) => {
            expect(n.x).toBe(x)
            if (i > 0) expect(n.y - column[i - 1]!.y).toBeGreaterThanOrEqual(2 * n.r)
          })
        }
      }),
    )
  })

  test("pointing at a neuron's centre finds that neuron; far from all of them finds none", () => {
    fc.assert(
      fc.property(box, sizes, ({ width, height }, ns) => {
        const l = layoutNetwork(width, height, ns)
        l.columns.forEach((column, c) =>
          column.forEach((n, i) => expect(neuronAt(l, n.x, n.y)).toEqual({ column: c, index: i })),
        )
        expect(neuronAt(l, l.grid.x + 1, l.grid.y + 1)).toBeUndefined()
      }),
    )
  })

  test("input pixels are centred in their cells, row by row", () => {
    const l = layoutNetwork(880, 560, [16, 16, 10])
    const first = pixelCentre(l.grid, 0)
    const next = pixelCentre(l.grid, 1)
    const below = pixelCentre(l.grid, 28)
    expect(first.x - l.grid.x).toBeCloseTo(l.grid.cell / 2, 9)
    expect(next.x - first.x).toBeCloseTo(l.grid.cell, 9)
    expect(below.y - first.y).toBeCloseTo(l.grid.cell, 9)
    expect(below.x).toBeCloseTo(first.x, 9)
  })
})
