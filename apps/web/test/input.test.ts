import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { embeddedDir, loadIdxFile, mnistFiles } from "@fnn/mnist/node"
import { beforeAll, describe, expect, test } from "vitest"
import { strokesOf } from "../e2e/strokes.ts"
import { galleryIndices, gallerySize } from "../src/data-files.ts"
import { greyOf, toInput } from "../src/input.ts"
import type { Model } from "../src/model.ts"
import { loadModel, think } from "../src/model.ts"
import { paint } from "./paint.ts"

describe("reading the pad", () => {
  test("a pixel's grey level is the mean of its red, green and blue", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4 * 12, maxLength: 4 * 12 }), (rgba) => {
        const g = greyOf(rgba, 4, 3)
        expect(g.width).toBe(4)
        expect(g.height).toBe(3)
        g.data.forEach((v, i) =>
          expect(v).toBe(Math.round((rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / 3)),
        )
      }),
    )
  })

  test("an empty pad gives no input; a drawn one 784 values in [0, 1] centred like MNIST", () => {
    expect(toInput({ width: 280, height: 280, data: new Uint8Array(280 * 280) })).toBeUndefined()
    const bar = paint([{ from: { x: 4, y: 3 }, to: { x: 9, y: 20 } }])
    const x = toInput(bar)!
    expect(x).toHaveLength(784)
    expect(x.every((v) => v >= 0 && v <= 1)).toBe(true)
    let mass = 0
    let cx = 0
    let cy = 0
    x.forEach((v, i) => {
      mass += v
      cx += v * (i % 28)
      cy += v * Math.floor(i / 28)
    })
    expect(Math.abs(cx / mass - 14)).toBeLessThanOrEqual(0.5)
    expect(Math.abs(cy / mass - 14)).toBeLessThanOrEqual(0.5)
  })
})

describe("the shipped network and the digits the browser test draws", () => {
  const here = fileURLToPath(new URL(".", import.meta.url))
  let model: Model
  let images: Uint8Array
  let labels: Uint8Array

  beforeAll(async () => {
    const m = loadModel(
      new Uint8Array(readFileSync(join(here, "..", "public", "model.safetensors"))),
    )
    if (E.isLeft(m)) throw new Error("public/model.safetensors does not load")
    model = m.right
    const [x, y] = await Promise.all([
      loadIdxFile(join(embeddedDir(), mnistFiles.testImages))(),
      loadIdxFile(join(embeddedDir(), mnistFiles.testLabels))(),
    ])
    if (E.isLeft(x) || E.isLeft(y) || x.right.dtype !== "ubyte" || y.right.dtype !== "ubyte")
      throw new Error("the MNIST test set does not load")
    images = x.right.data
    labels = y.right.data
  })

  test("recognises a 2, a 7 and a 3 of the gallery drawn as pen strokes, as in Chromium", () => {
    const gallery = galleryIndices(labels.subarray(0, 200), gallerySize / 10)
    expect(gallery).toHaveLength(gallerySize)
    for (const k of [5, 14, 7]) {
      const i = gallery[k]!
      const digit = images.subarray(i * 784, (i + 1) * 784)
      const t = think(model, toInput(paint(strokesOf(digit)))!)
      expect(t.prediction).toBe(labels[i])
      expect(t.outputs[t.prediction]).toBeGreaterThan(0.8)
    }
  })
})
