/**
 * The page in a real browser: Debian's Chromium driven by playwright-core, the built `dist/`
 * served on 127.0.0.1. It draws known MNIST test digits stroke by stroke with the mouse and
 * checks the prediction and the hidden layers, points at a neuron, and trains in the browser.
 * Screenshots go to `e2e-results/`.
 *
 *     pnpm --filter @fnn/web test:e2e     (builds first)
 * @module
 */
import { existsSync } from "node:fs"
import { mkdir, readFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync } from "node:zlib"
import * as E from "fp-ts/lib/Either.js"
import { parseIdx } from "@fnn/mnist"
import { chromium } from "playwright-core"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { dataFiles } from "../src/data-files.ts"
import { layoutNetwork } from "../src/layout.ts"
import type { Served } from "./serve.ts"
import { serve } from "./serve.ts"
import { strokesOf } from "./strokes.ts"

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, "..", "dist")
const results = join(here, "..", "e2e-results")
const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
]

/** Gallery digits the test draws (indices into the gallery: a 2, a 7, then a 3). */
const drawn = [5, 14, 7]

let server: Served
let browser: Browser
let page: Page
const pageErrors: string[] = []

const readIdx = async (name: string): Promise<Uint8Array> => {
  const r = parseIdx(gunzipSync(await readFile(join(dist, "data", name))))
  if (E.isLeft(r) || r.right.dtype !== "ubyte")
    throw new Error(`dist/data/${name} is not ubyte IDX`)
  return r.right.data
}

/** Draws a 28 × 28 digit's strokes onto the pad with the mouse. */
const draw = async (digit: Uint8Array): Promise<void> => {
  const box = await page.locator("#pad").boundingBox()
  if (box === null) throw new Error("the pad is not visible")
  const cell = box.width / 28
  const at = (p: { x: number; y: number }) => [box.x + p.x * cell, box.y + p.y * cell] as const
  for (const s of strokesOf(digit)) {
    const [x0, y0] = at(s.from)
    const [x1, y1] = at(s.to)
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    await page.mouse.move(x1, y1, { steps: Math.max(1, Math.round((x1 - x0) / cell)) })
    await page.mouse.up()
  }
}

const attribute = async (selector: string, name: string): Promise<string> =>
  (await page.locator(selector).getAttribute(name)) ?? ""

beforeAll(async () => {
  if (!existsSync(join(dist, "index.html")))
    throw new Error("dist/ is missing: run `pnpm --filter @fnn/web build` first")
  if (!existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath}: apt-get install -y chromium`)
  await mkdir(results, { recursive: true })
  server = await serve(dist)
  browser = await chromium.launch({ executablePath, args: flags })
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on("pageerror", (e) => pageErrors.push(e.message))
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(m.text())
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe("the page in Chromium", () => {
  test("loads the shipped network and the gallery of test digits", async () => {
    await page.goto(server.url)
    await page.waitForSelector("body[data-state=ready]", { timeout: 30_000 })
    expect(await page.locator("#gallery .digit").count()).toBe(20)
    expect(await attribute("#prediction", "data-digit")).toBe("")
    expect(await page.locator("#model-info").textContent()).toContain("784-16-16-10")
    expect(pageErrors).toEqual([])
  })

  test("loading a digit from the gallery shows the network's answer", async () => {
    const seven = page.locator("#gallery .digit[data-label='7']").first()
    await seven.click()
    await expect.poll(() => attribute("#prediction", "data-digit")).toBe("7")
    expect(await page.locator("#pad-hint").isVisible()).toBe(false)
    await page.click("#clear")
    await expect.poll(() => attribute("#prediction", "data-digit")).toBe("")
    expect(await page.locator("#pad-hint").isVisible()).toBe(true)
  })

  test("drawing a test digit's strokes lights the hidden layers and predicts the digit", async () => {
    const images = await readIdx(dataFiles.galleryImages)
    const labels = await readIdx(dataFiles.galleryLabels)
    for (const k of drawn) {
      const label = String(labels[k])
      await page.click("#clear")
      await expect.poll(() => attribute("#prediction", "data-digit")).toBe("")
      const hiddenBefore = await attribute("#network", "data-hidden")
      const pictureBefore = await page.locator("#network").screenshot()

      await draw(images.subarray(k * 784, (k + 1) * 784))

      await expect.poll(() => attribute("#prediction", "data-digit")).toBe(label)
      expect(await page.locator("#prediction").textContent()).toBe(label)
      const hiddenAfter = await attribute("#network", "data-hidden")
      expect(hiddenAfter.split(/[,|]/)).toHaveLength(32)
      expect(hiddenAfter).not.toBe(hiddenBefore)
      const pictureAfter = await page.locator("#network").screenshot()
      expect(pictureAfter.equals(pictureBefore)).toBe(false)
    }
    await page.mouse.move(0, 0)
    await page.screenshot({ path: join(results, "drawn-digit.png") })
    expect(pageErrors).toEqual([])
  })

  test("pointing at a neuron of the first hidden layer shows its weights", async () => {
    const box = await page.locator("#network").boundingBox()
    if (box === null) throw new Error("the network is not visible")
    const layout = layoutNetwork(Math.round(box.width), Math.round(box.height), [16, 16, 10])
    const neuron = layout.columns[0]![5]!
    await page.mouse.move(box.x + neuron.x, box.y + neuron.y)
    await expect.poll(() => page.locator("#neuron-card").isVisible()).toBe(true)
    expect(await page.locator("#neuron-card [data-card=title]").textContent()).toBe(
      "layer 1, neuron 6",
    )
    await page.screenshot({ path: join(results, "neuron-weights.png") })
    await page.mouse.move(0, 0)
    await expect.poll(() => page.locator("#neuron-card").isVisible()).toBe(false)
  })

  test("training in the browser plots accuracy and shows the network as it learns", async () => {
    await page.selectOption("#epochs", "1")
    await page.click("#train")
    await expect
      .poll(() => attribute("#plot", "data-points"), { timeout: 60_000 })
      .not.toMatch(/^[01]?$/)
    expect(await page.locator("#use-trained").isChecked()).toBe(true)
    await expect
      .poll(() => page.locator("#train-status").textContent(), { timeout: 90_000, interval: 500 })
      .toMatch(/^done/)
    const accuracy = Number(await attribute("#plot", "data-accuracy"))
    expect(accuracy).toBeGreaterThan(0.8)
    expect(await page.locator("#download").isVisible()).toBe(true)
    await page.screenshot({ path: join(results, "trained-in-browser.png") })
    expect(pageErrors).toEqual([])
  })
})
