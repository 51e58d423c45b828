import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { strokesOf } from "../e2e/strokes.ts"

const digit = fc.uint8Array({ minLength: 28 * 28, maxLength: 28 * 28 })

describe("strokes of a digit", () => {
  test("pass through exactly the inked pixels, each once", () => {
    fc.assert(
      fc.property(digit, fc.integer({ min: 1, max: 255 }), (d, threshold) => {
        const covered = new Uint8Array(28 * 28)
        for (const { from, to } of strokesOf(d, 28, threshold)) {
          expect(from.y).toBe(to.y)
          expect(to.x).toBeGreaterThanOrEqual(from.x)
          for (let x = from.x - 0.5; x <= to.x - 0.5; x++) covered[(from.y - 0.5) * 28 + x]! += 1
        }
        covered.forEach((c, i) => expect(c).toBe(d[i]! >= threshold ? 1 : 0))
      }),
      { numRuns: 50 },
    )
  })

  test("are maximal runs: no two strokes of a row touch", () => {
    fc.assert(
      fc.property(digit, (d) => {
        const s = strokesOf(d)
        for (let k = 1; k < s.length; k++)
          if (s[k]!.from.y === s[k - 1]!.from.y)
            expect(s[k]!.from.x - s[k - 1]!.to.x).toBeGreaterThan(1)
      }),
      { numRuns: 50 },
    )
  })

  test("of a blank digit are none", () => {
    expect(strokesOf(new Uint8Array(784))).toEqual([])
  })
})
