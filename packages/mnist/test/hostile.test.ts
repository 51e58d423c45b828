import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { execFileSync } from "node:child_process"
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { constants, createGzip, gzipSync } from "node:zlib"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import type { MnistError } from "../src/index.ts"
import { encodeIdx, renderMnistError } from "../src/index.ts"
import { loadIdxFile, loadMnistSplit, maxIdxBytes, mnistFiles } from "../src/node.ts"
import { idxPair } from "./fixtures.ts"

const left = <A>(r: E.Either<MnistError, A>): MnistError => {
  if (E.isRight(r)) throw new Error("expected Left")
  return r.left
}

/** An IDX header announcing `shape` of ubyte, without its elements. */
const header = (shape: ReadonlyArray<number>): Uint8Array => {
  const out = new Uint8Array(4 + 4 * shape.length)
  const view = new DataView(out.buffer)
  out[2] = 0x08
  out[3] = shape.length
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  return out
}

/** A gzip stream of `head` followed by `zeros` zero bytes, made chunk by chunk. */
const bomb = (head: Uint8Array, zeros: number): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    const gz = createGzip({ level: constants.Z_BEST_COMPRESSION })
    const parts: Buffer[] = []
    gz.on("data", (b: Buffer) => parts.push(b))
    gz.on("end", () => resolve(new Uint8Array(Buffer.concat(parts))))
    gz.on("error", reject)
    gz.write(head)
    const chunk = Buffer.alloc(1 << 20)
    for (let left = zeros; left > 0; left -= chunk.length)
      gz.write(left >= chunk.length ? chunk : chunk.subarray(0, left))
    gz.end()
  })

const heapGrowth = async (f: () => Promise<unknown>): Promise<number> => {
  const before = process.memoryUsage().rss
  await f()
  return process.memoryUsage().rss - before
}

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fnn-mnist-hostile-"))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe("hostile IDX files", () => {
  it("a small gzip bomb is refused once it inflates past what its header announces", async () => {
    const path = join(root, "bomb.gz")
    // 10 images announced, 100 MB inflated: about 100 KB on disk
    await writeFile(path, await bomb(header([10, 28, 28]), 100_000_000))
    const began = performance.now()
    let e: MnistError | undefined
    const grew = await heapGrowth(async () => {
      e = left(await loadIdxFile(path)())
    })
    expect(performance.now() - began).toBeLessThan(5000)
    expect(grew).toBeLessThan(100_000_000)
    expect(e).toEqual({ _tag: "TooLarge", file: path, limit: 16 + 7840, what: "pastHeader" })
    expect(renderMnistError(e!)).toBe(
      `${path} inflates to more than the 7856 bytes its IDX header announces`,
    )
  })

  it("a header announcing more than the maximum is refused before inflating the rest", async () => {
    const path = join(root, "big.gz")
    // 382,653 images, as in a bomb that once loaded at 3 GB
    await writeFile(path, await bomb(header([382_653, 28, 28]), 2_000_000))
    expect(left(await loadIdxFile(path)())).toEqual({
      _tag: "TooLarge",
      file: path,
      limit: maxIdxBytes,
      what: "announced",
    })
  })

  it("a stream that is no IDX file is refused from its first bytes", async () => {
    const path = join(root, "text.gz")
    await writeFile(path, await bomb(new TextEncoder().encode("hello"), 50_000_000))
    expect(left(await loadIdxFile(path)())._tag).toBe("BadMagic")
  })

  it("devices, pipes and directories are refused without reading or waiting", async () => {
    const fifo = join(root, "fifo")
    execFileSync("mkfifo", [fifo])
    const began = performance.now()
    expect(left(await loadIdxFile(fifo)())).toEqual({
      _tag: "NotAFile",
      file: fifo,
      kind: "a named pipe",
    })
    expect(left(await loadIdxFile("/dev/zero")())).toEqual({
      _tag: "NotAFile",
      file: "/dev/zero",
      kind: "a character device",
    })
    expect(left(await loadIdxFile(root)())).toMatchObject({ _tag: "NotAFile", kind: "a directory" })
    expect(performance.now() - began).toBeLessThan(1000)
    expect(renderMnistError(left(await loadIdxFile("/dev/zero")()))).toBe(
      "/dev/zero is a character device, not a regular file",
    )
  })

  it("a raw file larger than the maximum is refused before it is read", async () => {
    const path = join(root, "sparse")
    await writeFile(path, header([1]))
    await truncate(path, maxIdxBytes + 1)
    expect(left(await loadIdxFile(path)())).toEqual({
      _tag: "TooLarge",
      file: path,
      limit: maxIdxBytes,
      what: "file",
    })
  })

  it("whatever a gzip stream holds, loading gives a value or a rendered error, never a throw", async () => {
    const path = join(root, "fuzz.gz")
    const good = encodeIdx(idxPair(3, 4, 4).images)
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: good.length + 40 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 6,
        }),
        fc.nat({ max: 64 }),
        async (flips, cut) => {
          const bytes = gzipSync(good)
          for (const [i, b] of flips) if (i < bytes.length) bytes[i] = b
          await writeFile(path, bytes.subarray(0, Math.max(2, bytes.length - cut)))
          const r = await loadIdxFile(path)()
          if (E.isLeft(r)) expect(renderMnistError(r.left).length).toBeGreaterThan(0)
          else expect(r.right.data.length).toBeLessThanOrEqual(good.length)
        },
      ),
      { seed: 21, numRuns: 150 },
    )
  })
})

describe("what a dataset must be", () => {
  const write = async (dir: string, n: number, rows: number, cols: number): Promise<void> => {
    await mkdir(dir, { recursive: true })
    const { images, labels } = idxPair(n, rows, cols)
    await writeFile(join(dir, mnistFiles.testImages), encodeIdx(images))
    await writeFile(join(dir, mnistFiles.testLabels), encodeIdx(labels))
  }

  it("images of another size are refused with the file named", async () => {
    const dir = join(root, "five")
    await write(dir, 3, 5, 5)
    const e = left(await loadMnistSplit("test", { dir, imageSize: [28, 28] })())
    expect(renderMnistError(e)).toBe(
      `${join(dir, mnistFiles.testImages)}: expected images as ubyte [n, 28, 28], found ubyte [3, 5, 5]`,
    )
    const flat = join(root, "flat")
    await write(flat, 3, 0, 28)
    expect(left(await loadMnistSplit("test", { dir: flat, imageSize: [28, 28] })())._tag).toBe(
      "WrongShape",
    )
  })

  it("an empty set is refused when examples are needed", async () => {
    const dir = join(root, "empty")
    await write(dir, 0, 28, 28)
    const e = left(await loadMnistSplit("test", { dir, minExamples: 1 })())
    expect(renderMnistError(e)).toBe(
      `${join(dir, mnistFiles.testImages)}: holds 0 examples, fewer than the 1 needed`,
    )
    const ok = await loadMnistSplit("test", { dir })()
    expect(E.isRight(ok) && ok.right.labels.shape).toEqual([0])
  })
})
