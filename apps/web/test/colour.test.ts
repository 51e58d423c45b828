import fc from "fast-check"
import { describe, expect, test } from "vitest"
import {
  activationGrey,
  clamp01,
  css,
  greyPicture,
  maxAbs,
  palette,
  signed,
  signedPicture,
} from "../src/colour.ts"

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true })

describe("colours", () => {
  test("activations map monotonically onto greys from black to white", () => {
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a]
        const g = activationGrey(lo)
        const h = activationGrey(hi)
        expect(g[0]).toBeLessThanOrEqual(h[0])
        expect(g[0]).toBe(g[1])
        expect(g[1]).toBe(g[2])
      }),
    )
    expect(activationGrey(0)).toEqual([0, 0, 0])
    expect(activationGrey(1)).toEqual([255, 255, 255])
    expect(activationGrey(7)).toEqual([255, 255, 255])
    expect(activationGrey(Number.NaN)).toEqual([0, 0, 0])
  })

  test("signed values are blue when positive, red when negative, with strength |v| / scale", () => {
    fc.assert(
      fc.property(finite, fc.double({ min: 1e-3, max: 1e6, noNaN: true }), (v, scale) => {
        const s = signed(v, scale)
        expect(s.rgb).toBe(v < 0 ? palette.negative : palette.positive)
        expect(s.strength).toBeCloseTo(Math.min(1, Math.abs(v) / scale), 12)
      }),
    )
    expect(signed(3, 0).strength).toBe(0)
    expect(signed(Number.POSITIVE_INFINITY, 1).strength).toBe(0)
  })

  test("a signed picture is black at zero and full colour at the largest magnitude", () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 50 }), (values) => {
        const rgba = signedPicture(values)
        const m = maxAbs(values)
        expect(rgba).toHaveLength(values.length * 4)
        values.forEach((v, i) => {
          const [r, g, b, a] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!, rgba[4 * i + 3]!]
          expect(a).toBe(255)
          const base = v < 0 ? palette.negative : palette.positive
          const k = m === 0 ? 0 : Math.abs(v) / m
          expect(Math.abs(r - base[0] * k)).toBeLessThanOrEqual(0.5)
          expect(Math.abs(g - base[1] * k)).toBeLessThanOrEqual(0.5)
          expect(Math.abs(b - base[2] * k)).toBeLessThanOrEqual(0.5)
        })
      }),
    )
  })

  test("a grey picture repeats each clamped value in red, green and blue", () => {
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 50 }), (values) => {
        const rgba = greyPicture(values)
        values.forEach((v, i) => {
          const want = 255 * clamp01(v)
          for (let c = 0; c < 3; c++)
            expect(Math.abs(rgba[4 * i + c]! - want)).toBeLessThanOrEqual(0.5)
          expect(rgba[4 * i + 3]).toBe(255)
        })
      }),
    )
  })

  test("maxAbs is the largest magnitude, 0 for nothing", () => {
    fc.assert(
      fc.property(fc.array(finite), (xs) => {
        expect(maxAbs(xs)).toBe(xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0))
      }),
    )
  })

  test("css writes opaque colours without alpha and clamps opacity", () => {
    expect(css([1, 2, 3])).toBe("rgb(1 2 3)")
    expect(css([1, 2, 3], 0.5)).toBe("rgb(1 2 3 / 0.500)")
    expect(css([1, 2, 3], -1)).toBe("rgb(1 2 3 / 0.000)")
  })
})
