/**
 * Hostile cases in a real `fnn` process: a closed pipe ends the command quietly, and the
 * heaviest hostile files are refused within a few seconds at under 1 GB of peak memory.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { deflateSync, gzipSync } from "node:zlib"
import { fnn, tempDir } from "./helpers.ts"
import {
  concat,
  idxHeader,
  iend,
  ihdr,
  labelsOf,
  pngSignature,
  testFolder,
  withMeta,
} from "./hostile-files.ts"
import { chunk } from "./helpers.ts"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..", "..", "..")
const main = join(root, "apps", "cli", "src", "main.ts")
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
const maxRss = pathToFileURL(join(here, "max-rss.mjs")).href

const { dir, remove } = tempDir()
afterAll(remove)
const model = "base.safetensors"

interface Exit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly seconds: number
  /** Peak resident memory in bytes. */
  readonly peak: number
}

/**
 * Runs `fnn …argv` in `dir`. `closeAfter`: how many bytes of stdout to read before closing the
 * pipe (0 closes it at once).
 */
const spawnFnn = (argv: ReadonlyArray<string>, closeAfter?: number): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const rssFile = join(dir, `.rss-${Math.random().toString(36).slice(2)}`)
    const began = performance.now()
    const child = spawn(
      process.execPath,
      ["--conditions=@fnn/source", "--import", tsxLoader, "--import", maxRss, main, ...argv],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, FNN_MAX_RSS_FILE: rssFile },
      },
    )
    let stdout = ""
    let stderr = ""
    if (closeAfter === 0) child.stdout.destroy()
    else
      child.stdout.setEncoding("utf8").on("data", (s: string) => {
        stdout += s
        if (closeAfter !== undefined && stdout.length >= closeAfter) child.stdout.destroy()
      })
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s))
    child.on("error", reject)
    child.on("close", (code) => {
      const peak = existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8")) * 1024 : NaN
      resolve({ code, stdout, stderr, seconds: (performance.now() - began) / 1000, peak })
    })
  })

beforeAll(async () => {
  const r = await fnn(dir, [
    "train",
    "--limit",
    "100",
    "--epochs",
    "1",
    "--batch-size",
    "50",
    "--out",
    model,
  ])
  expect(r.code, r.stderr).toBe(0)
})

describe("a closed pipe", () => {
  it("ends a command quietly with 141, as a shell reports SIGPIPE", async () => {
    const r = await spawnFnn(["show", "--index", "0"], 0)
    expect(r.stderr).toBe("")
    expect(r.code).toBe(141)
  })

  it("ends training quietly after saving, and the run resumes", async () => {
    const out = "piped.safetensors"
    const r = await spawnFnn(
      ["train", "--limit", "300", "--epochs", "3", "--json", "--out", out],
      1,
    )
    expect(r.stderr).toBe("")
    expect(r.code).toBe(141)
    expect(existsSync(join(dir, out))).toBe(true)
    const resumed = await fnn(dir, ["train", "--resume", out])
    expect(resumed.code, resumed.stderr).toBe(0)
  })
})

describe("the heaviest hostile files", () => {
  beforeAll(() => {
    const base = readFileSync(join(dir, model))
    writeFileSync(
      join(dir, "layers.safetensors"),
      withMeta(base, "fnn.arch", `{"layer":"Serial","layers":[${"{},".repeat(10_000_000)}{}]}`),
    )
    writeFileSync(
      join(dir, "recipe.safetensors"),
      withMeta(base, "train.recipe", `{"arch":[${"0,".repeat(20_000_000)}0]}`),
    )
    const idat = chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(300_000_000))))
    writeFileSync(join(dir, "inflate.png"), concat([pngSignature, ihdr(1, 1, 1), idat, iend]))
    const images = gzipSync(concat([idxHeader([100, 28, 28]), new Uint8Array(100_000_000)]))
    testFolder(dir, "bomb", images, gzipSync(labelsOf(100)), true)
  })

  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
    [["eval", "--model", "layers.safetensors"], /"fnn.arch" is too large to parse/],
    [["predict", "--model", "recipe.safetensors", "--index", "0"], /"train.recipe" is too large/],
    [["predict", "--model", model, "--image", "inflate.png"], /inflates to more than the 2 bytes/],
    [["eval", "--model", model, "--data", "bomb"], /inflates to more than the 78416 bytes/],
    [["eval", "--model", "/dev/zero"], /not a regular file/],
    [["train", "--arch", "784-65536-65536-10"], /--arch must be/],
  ]

  it.each(cases)(
    "fnn %j exits 1 or 2 with one line, in seconds, under 1 GB",
    async (argv, message) => {
      const r = await spawnFnn(argv)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect([1, 2]).toContain(r.code)
      expect(r.seconds).toBeLessThan(10)
      expect(r.peak).toBeLessThan(2 ** 30)
    },
  )
})
