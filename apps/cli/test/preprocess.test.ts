import { beforeAll, describe, expect, it } from "vitest"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { loadMnist } from "@fnn/mnist/node"
import type { GreyImage, Preprocessed } from "@fnn/mnist"
import { boxSize, preprocess, resample } from "@fnn/mnist"
import { decodePng, encodePng, fromGrey, toGrey } from "../src/png.ts"
import { writePng } from "./helpers.ts"

/** 28×28 MNIST digits as grey levels 0–255, bright ink on black. */
let digits: Uint8Array[] = []

beforeAll(async () => {
  const r = await loadMnist({ limit: 200 })()
  if (E.isLeft(r)) throw new Error("MNIST did not load")
  const x = r.right.test.images.data
  digits = Array.from({ length: 200 }, (_, i) =>
    Uint8Array.from(x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)),
  )
})

const ok = (image: GreyImage): Preprocessed => {
  const r = preprocess(image)
  if (E.isLeft(r)) throw new Error(`preprocess failed: ${r.left._tag}`)
  return r.right
}

/** A digit enlarged `scale` times (nearest), dark on light if `invert`, with a margin of background. */
const stage = (
  digit: Uint8Array,
  scale: number,
  invert: boolean,
  pad: readonly [number, number, number, number],
): GreyImage => {
  const [top, right, bottom, left] = pad
  const width = 28 * scale + left + right
  const height = 28 * scale + top + bottom
  const data = new Uint8Array(width * height).fill(invert ? 255 : 0)
  for (let y = 0; y < 28 * scale; y++)
    for (let x = 0; x < 28 * scale; x++) {
      const v = digit[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!
      data[(y + top) * width + x + left] = invert ? 255 - v : v
    }
  return { width, height, data }
}

const centreOfMass = (p: ArrayLike<number>): [number, number] => {
  let m = 0
  let mx = 0
  let my = 0
  for (let i = 0; i < 784; i++) {
    m += p[i]!
    mx += p[i]! * (i % 28)
    my += p[i]! * Math.floor(i / 28)
  }
  return [mx / m, my / m]
}

const inkBox = (p: ArrayLike<number>): { width: number; height: number } => {
  let x0 = 28
  let x1 = -1
  let y0 = 28
  let y1 = -1
  for (let i = 0; i < 784; i++)
    if (p[i]! > 0) {
      const x = i % 28
      const y = Math.floor(i / 28)
      x0 = Math.min(x0, x)
      x1 = Math.max(x1, x)
      y0 = Math.min(y0, y)
      y1 = Math.max(y1, y)
    }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

const meanAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < 784; i++) s += Math.abs(a[i]! - b[i]!)
  return s / 784
}

/** The smallest mean absolute difference over shifts of `a` by at most one pixel (centring ties). */
const closest = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let best = Infinity
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      const shifted = new Float32Array(784)
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const sx = x - dx
          const sy = y - dy
          if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) shifted[y * 28 + x] = a[sy * 28 + sx]!
        }
      best = Math.min(best, meanAbsDiff(shifted, b))
    }
  return best
}

const pngRoundTrip = (image: GreyImage): GreyImage => {
  const r = decodePng(encodePng(fromGrey(image)))
  if (E.isLeft(r)) throw new Error("PNG did not decode")
  return toGrey(r.right)
}

describe("preprocess", () => {
  it("gives an MNIST digit back from a PNG of it enlarged, inverted and padded", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 199 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.nat(30)),
        (i, scale, invert, pad) => {
          const digit = digits[i]!
          const p = ok(pngRoundTrip(stage(digit, scale, invert, pad)))
          expect(p.inverted).toBe(invert)
          const original = Float32Array.from(digit, (v) => v / 255)
          // the same pixels, up to a one-pixel shift when the centre of mass falls on a half pixel
          expect(closest(p.pixels, original)).toBeLessThan(0.01)
        },
      ),
      { numRuns: 40 },
    )
  })

  it("puts the centre of mass within half a pixel of (14, 14) and the ink inside 20 × 20", () => {
    for (const [i, digit] of digits.entries()) {
      const p = ok(
        stage(digit, 1 + (i % 3), i % 2 === 0, [i % 7, (3 * i) % 11, (5 * i) % 13, i % 5]),
      )
      const [cx, cy] = centreOfMass(p.pixels)
      expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5)
      expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5)
      const box = inkBox(p.pixels)
      expect(Math.max(box.width, box.height)).toBeLessThanOrEqual(boxSize)
    }
  })

  it("treats dark on light and light on dark alike", () => {
    for (const digit of digits.slice(0, 20)) {
      const dark = ok(stage(digit, 2, false, [5, 9, 3, 12]))
      const light = ok(stage(digit, 2, true, [5, 9, 3, 12]))
      expect(light.inverted).toBe(true)
      expect(dark.inverted).toBe(false)
      expect(Array.from(light.pixels)).toEqual(Array.from(dark.pixels))
    }
  })

  it("fits any rectangle of ink to 20 pixels on its longer side, keeping its aspect ratio", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        (w, h, margin, light) => {
          const width = w + 2 * margin
          const height = h + 2 * margin
          const data = new Uint8Array(width * height).fill(light ? 255 : 0)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) data[(y + margin) * width + x + margin] = light ? 0 : 255
          const p = ok({ width, height, data })
          expect(p.box).toEqual({ x: margin, y: margin, width: w, height: h })
          expect(Math.max(p.fitted.width, p.fitted.height)).toBe(boxSize)
          const shorter = Math.max(1, Math.round((Math.min(w, h) * boxSize) / Math.max(w, h)))
          expect(Math.min(p.fitted.width, p.fitted.height)).toBe(shorter)
          const [cx, cy] = centreOfMass(p.pixels)
          expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5)
          expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5)
          for (const v of p.pixels) expect(v >= 0 && v <= 1).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  })

  it("ignores a grey paper: the background level becomes 0", () => {
    const digit = digits[3]!
    const paper = stage(digit, 2, true, [10, 10, 10, 10])
    const grey = {
      ...paper,
      data: Uint8Array.from(paper.data, (v) => Math.round(60 + (v * 180) / 255)),
    }
    const a = ok(paper)
    const b = ok(grey)
    expect(b.background).toBe(240)
    expect(meanAbsDiff(a.pixels, b.pixels)).toBeLessThan(0.02)
  })

  it("refuses a blank picture and an inconsistent one", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 50 }),
        fc.nat(255),
        (w, h, v) => {
          const r = preprocess({ width: w, height: h, data: new Uint8Array(w * h).fill(v) })
          expect(E.isLeft(r) && r.left._tag).toBe("BlankImage")
        },
      ),
      { numRuns: 30 },
    )
    const bad = preprocess({ width: 3, height: 3, data: new Uint8Array(8) })
    expect(E.isLeft(bad) && bad.left._tag).toBe("InvalidImage")
  })

  it("reads grey, palette, RGB, grey + alpha and RGBA PNGs the same way", () => {
    const digit = stage(digits[5]!, 2, true, [4, 4, 4, 4])
    const { width, height, data } = digit
    const n = width * height
    const expected = ok(digit).pixels
    const palette = new Uint8Array(256 * 3)
    for (let g = 0; g < 256; g++) palette.set([g, g, g], 3 * g)
    const rgb = new Uint8Array(3 * n)
    const greyAlpha = new Uint8Array(2 * n)
    const rgba = new Uint8Array(4 * n)
    for (let i = 0; i < n; i++) {
      rgb.set([data[i]!, data[i]!, data[i]!], 3 * i)
      // the same grey as ink of opacity (255 − g) / 255 on white
      greyAlpha.set([0, 255 - data[i]!], 2 * i)
      rgba.set([0, 0, 0, 255 - data[i]!], 4 * i)
    }
    const files = [
      writePng(width, height, 0, data),
      writePng(width, height, 3, data, palette),
      writePng(width, height, 2, rgb),
      writePng(width, height, 4, greyAlpha),
      writePng(width, height, 6, rgba),
    ]
    for (const file of files) {
      const r = decodePng(file)
      if (E.isLeft(r)) throw new Error(r.left._tag)
      const p = ok(toGrey(r.right))
      expect(meanAbsDiff(p.pixels, expected)).toBeLessThan(0.01)
    }
  })
})

describe("resample", () => {
  it("keeps the mean of a picture when shrinking by area", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        (w, h, a, b, seed) => {
          const w2 = Math.min(w, a)
          const h2 = Math.min(h, b)
          const src = Float64Array.from(
            { length: w * h },
            (_, i) => ((seed ^ (i * 2654435761)) >>> 0) / 2 ** 32,
          )
          const out = resample(src, w, h, w2, h2)
          const mean = (xs: Float64Array): number => xs.reduce((s, x) => s + x, 0) / xs.length
          expect(mean(out)).toBeCloseTo(mean(src), 9)
        },
      ),
      { numRuns: 50 },
    )
  })

  it("is the identity at the same size and keeps constants when enlarging", () => {
    const src = Float64Array.from({ length: 12 }, (_, i) => i / 11)
    expect(Array.from(resample(src, 4, 3, 4, 3))).toEqual(Array.from(src))
    const flat = new Float64Array(6).fill(0.25)
    for (const v of resample(flat, 3, 2, 10, 7)) expect(v).toBeCloseTo(0.25, 12)
  })
})
