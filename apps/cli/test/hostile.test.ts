/**
 * Hostile input, as an attacker would write it: model files, MNIST folders, PNGs, paths and
 * flags made to exhaust memory, block or crash. Every case must end with exit code 1 or 2 and
 * one `fnn: error:` line within a few seconds, leaving nothing behind. The fuzzed classes are
 * seeded and bounded, so the suite runs the same cases every time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { execFileSync } from "node:child_process"
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs"
import { join } from "node:path"
import { deflateSync, gzipSync } from "node:zlib"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import { encodeIdx } from "@fnn/mnist"
import { encodePng, fromGrey } from "../src/png.ts"
import { chunk, fnn, interruptAfter, tempDir, writePng } from "./helpers.ts"
import type { Ran } from "./helpers.ts"
import {
  concat,
  idxHeader,
  iend,
  ihdr,
  joinFile,
  labelsOf,
  pngSignature,
  splitFile,
  testFolder as folder,
  withMeta as rewrite,
} from "./hostile-files.ts"

const { dir, remove } = tempDir()
afterAll(remove)

const model = "base.safetensors"

const withMeta = (key: string, value: string): Uint8Array =>
  rewrite(readFileSync(join(dir, model)), key, value)

const testFolder = (name: string, images: Uint8Array, labels: Uint8Array, gz = false): string =>
  folder(dir, name, images, labels, gz)

/** Checks the promise of every hostile case: 1 or 2, one clean line, quickly, nothing left. */
const expectRefused = async (
  argv: ReadonlyArray<string>,
  message: RegExp,
  code: 1 | 2 = 1,
): Promise<Ran> => {
  const before = readdirSync(dir).sort()
  const began = performance.now()
  const r = await fnn(dir, argv)
  expect(performance.now() - began, `fnn ${argv.join(" ")} took too long`).toBeLessThan(8000)
  expect(r.stderr, `fnn ${argv.join(" ")}`).toMatch(/^fnn: error: /)
  expect(r.stderr).toMatch(message)
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /)
  expect(r.stderr.trim().split("\n")).toHaveLength(1)
  expect(r.code).toBe(code)
  expect(readdirSync(dir).sort()).toEqual(before)
  return r
}

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
  writeFileSync(
    join(dir, "digit.png"),
    encodePng(fromGrey({ width: 28, height: 28, data: new Uint8Array(784).fill(128) })),
  )
})

describe("model files that ask for too much", () => {
  it("a Serial of ten million {} layers (a 30 MB header) is refused before it is parsed", async () => {
    writeFileSync(
      join(dir, "layers.safetensors"),
      withMeta("fnn.arch", `{"layer":"Serial","layers":[${"{},".repeat(10_000_000)}{}]}`),
    )
    await expectRefused(
      ["eval", "--model", "layers.safetensors"],
      /layers.safetensors is not a usable fnn model: the __metadata__ entry "fnn.arch" is too large to parse: it holds more than 1000000 JSON values/,
    )
  })

  it("a recipe whose arch is twenty million zeros (40 MB) is refused before it is parsed", async () => {
    writeFileSync(
      join(dir, "recipe.safetensors"),
      withMeta("train.recipe", `{"arch":[${"0,".repeat(20_000_000)}0]}`),
    )
    await expectRefused(
      ["predict", "--model", "recipe.safetensors", "--index", "0"],
      /"train.recipe" is too large to parse/,
    )
  })

  it("a 95 MB header of empty objects is refused in a moment", async () => {
    const { data } = splitFile(readFileSync(join(dir, model)))
    const empties = `{"x":[${"{},".repeat(31_600_000)}{}]}`
    expect(empties.length).toBeGreaterThan(94_000_000)
    writeFileSync(join(dir, "empties.safetensors"), joinFile(empties, data))
    await expectRefused(
      ["eval", "--model", "empties.safetensors"],
      /empties.safetensors is not a usable fnn model: not a safetensors checkpoint: the header is too large to parse/,
    )
  })

  it("a hundred thousand Tanh layers are refused at the layer limit", async () => {
    const tanhs = Array.from({ length: 100_000 }, () => ({ layer: "Tanh" }))
    writeFileSync(
      join(dir, "tanh.safetensors"),
      withMeta("fnn.arch", JSON.stringify({ layer: "Serial", layers: tanhs })),
    )
    await expectRefused(
      ["eval", "--model", "tanh.safetensors"],
      /asks for 100001 layers \(at layers\); the limit is 1024/,
    )
  })

  it("inherited names are no fields of a layer: constructor, __proto__, toString", async () => {
    for (const field of ["constructor", "__proto__", "toString"]) {
      const arch = `{"layer":"Serial","layers":[{"layer":"Dense","units":16,${JSON.stringify(field)}:{}}]}`
      writeFileSync(join(dir, "field.safetensors"), withMeta("fnn.arch", arch))
      await expectRefused(
        ["eval", "--model", "field.safetensors"],
        new RegExp(`at layers\\[0\\]\\.${field} expected no such field`),
      )
    }
  })

  it("mutated metadata and bytes give exit 0 or one clean line, never an internal error", async () => {
    const keys = [
      "fnn.arch",
      "fnn.optState",
      "fnn.inputShape",
      "train.recipe",
      "train.history",
      "train.progress",
    ]
    const base = readFileSync(join(dir, model))
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ key: fc.constantFrom(...keys), json: fc.jsonValue({ maxDepth: 4 }) }),
          fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
        ),
        fc.constantFrom("eval", "predict", "train"),
        async (mutation, command) => {
          let bytes: Uint8Array
          if (Array.isArray(mutation)) {
            bytes = new Uint8Array(base)
            for (const [i, b] of mutation) bytes[i] = b
          } else bytes = withMeta(mutation.key, JSON.stringify(mutation.json))
          writeFileSync(join(dir, "mutant.safetensors"), bytes)
          const argv =
            command === "eval"
              ? ["eval", "--model", "mutant.safetensors"]
              : command === "predict"
                ? ["predict", "--model", "mutant.safetensors", "--image", "digit.png"]
                : ["train", "--resume", "mutant.safetensors", "--out", "mutant-out.safetensors"]
          const r = await fnn(dir, argv)
          expect(r.stderr).not.toMatch(/internal error|\n\s+at /)
          if (r.code !== 0) {
            expect([1, 2]).toContain(r.code)
            expect(r.stderr.trim().split("\n")).toHaveLength(1)
          }
        },
      ),
      { seed: 21, numRuns: 40 },
    )
  })
})

describe("PNG files", () => {
  it("a second IHDR cannot skip the size check", async () => {
    const idat = chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(2))))
    writeFileSync(
      join(dir, "two-ihdr.png"),
      concat([pngSignature, ihdr(1, 1), ihdr(30000, 30000), idat, iend]),
    )
    await expectRefused(
      ["predict", "--model", model, "--image", "two-ihdr.png"],
      /it has a second IHDR chunk \(chunk 2\)/,
    )
  })

  it("a 1 × 1 interlaced PNG whose data inflates to 300 MB is refused at 2 bytes", async () => {
    const idat = chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(300_000_000))))
    writeFileSync(join(dir, "inflate.png"), concat([pngSignature, ihdr(1, 1, 1), idat, iend]))
    await expectRefused(
      ["predict", "--model", model, "--image", "inflate.png"],
      /its image data inflates to more than the 2 bytes its header announces/,
    )
  })

  it("truncated image data and malformed IHDR lengths are refused", async () => {
    const good = writePng(8, 8, 0, new Uint8Array(64).fill(100))
    writeFileSync(join(dir, "cut.png"), good.subarray(0, good.length - 20))
    await expectRefused(["predict", "--model", model, "--image", "cut.png"], /it ends inside/)
    const idat = chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(18))))
    for (const length of [0, 8, 12, 14]) {
      writeFileSync(
        join(dir, "ihdr.png"),
        concat([pngSignature, ihdr(4, 4, 0, length), idat, iend]),
      )
      await expectRefused(
        ["predict", "--model", model, "--image", "ihdr.png"],
        new RegExp(`its IHDR chunk has ${length} bytes, not 13`),
      )
    }
    const short = chunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(5))))
    writeFileSync(join(dir, "short.png"), concat([pngSignature, ihdr(4, 4), short, iend]))
    await expectRefused(
      ["predict", "--model", model, "--image", "short.png"],
      /inflates to 5 bytes, fewer than the 20 its header announces/,
    )
  })

  it("mutated PNGs give a prediction or one clean line", async () => {
    const good = writePng(
      12,
      9,
      0,
      Uint8Array.from({ length: 108 }, (_, i) => (i * 37) % 256),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat({ max: 30 }),
        async (flips, cut) => {
          const bytes = new Uint8Array(good)
          for (const [i, b] of flips) bytes[i] = b
          writeFileSync(join(dir, "mutant.png"), bytes.subarray(0, bytes.length - cut))
          const r = await fnn(dir, ["predict", "--model", model, "--image", "mutant.png"])
          expect(r.stderr).not.toMatch(/internal error|\n\s+at /)
          if (r.code !== 0) expect(r.stderr.trim().split("\n")).toHaveLength(1)
        },
      ),
      { seed: 21, numRuns: 60 },
    )
  })
})

describe("MNIST folders", () => {
  it("a gzip bomb announcing 382,653 images is refused from its header", async () => {
    const images = gzipSync(concat([idxHeader([382_653, 28, 28]), new Uint8Array(3_000_000)]))
    const name = testFolder("bomb", images, gzipSync(labelsOf(382_653)), true)
    await expectRefused(
      ["eval", "--model", model, "--data", name],
      /its IDX header announces more than 100000000 bytes, the most fnn reads/,
    )
  })

  it("a gzip stream inflating past its header is refused at the announced size", async () => {
    const images = gzipSync(concat([idxHeader([10, 28, 28]), new Uint8Array(50_000_000)]))
    const name = testFolder("past", images, gzipSync(labelsOf(10)), true)
    await expectRefused(
      ["eval", "--model", model, "--data", name],
      /inflates to more than the 7856 bytes its IDX header announces/,
    )
  })

  it("images that are not 28 × 28, or none at all, are errors naming the file", async () => {
    const small = encodeIdx({ dtype: "ubyte", shape: [3, 5, 5], data: new Uint8Array(75) })
    const five = testFolder("five", small, labelsOf(3))
    await expectRefused(
      ["eval", "--model", model, "--data", five],
      /five\/t10k-images-idx3-ubyte: expected images as ubyte \[n, 28, 28\], found ubyte \[3, 5, 5\]/,
    )
    const zero = encodeIdx({ dtype: "ubyte", shape: [2, 0, 0], data: new Uint8Array(0) })
    const none = testFolder("zero-pixels", zero, labelsOf(2))
    await expectRefused(
      ["show", "--index", "0", "--set", "test", "--data", none],
      /expected images as ubyte \[n, 28, 28\], found ubyte \[2, 0, 0\]/,
    )
    const empty = encodeIdx({ dtype: "ubyte", shape: [0, 28, 28], data: new Uint8Array(0) })
    const nothing = testFolder("empty", empty, labelsOf(0))
    await expectRefused(
      ["eval", "--model", model, "--data", nothing],
      /empty\/t10k-images-idx3-ubyte: holds 0 examples, fewer than the 1 needed/,
    )
  })
})

describe("files that are not files", () => {
  beforeAll(() => {
    execFileSync("mkfifo", [join(dir, "fifo")])
  })

  it("devices and pipes are refused without reading or waiting", async () => {
    await expectRefused(
      ["eval", "--model", "/dev/zero"],
      /cannot read \/dev\/zero: it is a character device, not a regular file/,
    )
    await expectRefused(
      ["predict", "--model", model, "--image", "/dev/urandom"],
      /cannot read \/dev\/urandom: it is a character device, not a regular file/,
    )
    await expectRefused(
      ["eval", "--model", "fifo"],
      /cannot read fifo: it is a named pipe, not a regular file/,
    )
    mkdirSync(join(dir, "fifo-data"))
    execFileSync("mkfifo", [join(dir, "fifo-data", "t10k-images-idx3-ubyte")])
    writeFileSync(join(dir, "fifo-data", "t10k-labels-idx1-ubyte"), labelsOf(1))
    await expectRefused(["eval", "--model", model, "--data", "fifo-data"], /is a named pipe/)
  })

  it("files above the stated maximum are refused before they are read", async () => {
    execFileSync("truncate", ["-s", String(256 * 2 ** 20 + 1), join(dir, "huge.safetensors")])
    await expectRefused(
      ["eval", "--model", "huge.safetensors"],
      /it has 268435457 bytes, more than the 256 MiB fnn reads as a model/,
    )
    execFileSync("truncate", ["-s", String(64 * 2 ** 20 + 1), join(dir, "huge.png")])
    await expectRefused(
      ["predict", "--model", model, "--image", "huge.png"],
      /more than the 64 MiB fnn reads as an image/,
    )
  })
})

describe("flags and write targets", () => {
  it("an architecture too large to build is a flag error", async () => {
    await expectRefused(
      ["train", "--arch", "784-65536-65536-10"],
      /--arch must be .*, with at most 10,000,000 weights and biases \(this one has 4,347,133,962\)/,
      2,
    )
    await expectRefused(["train", "--arch", `784-${"1-".repeat(70)}10`], /from 2 to 64 of them/, 2)
  })

  it("a symbolic link, a pipe or a device is never replaced, and is refused before training", async () => {
    symlinkSync(model, join(dir, "link.safetensors"))
    for (const [out, kind] of [
      ["link.safetensors", "a symbolic link"],
      ["fifo", "a named pipe"],
      ["/dev/null", "a character device"],
    ] as const) {
      await expectRefused(
        ["train", "--limit", "10", "--epochs", "1", "--out", out],
        new RegExp(`cannot write ${out}: it is ${kind}; fnn replaces only regular files`),
      )
      await expectRefused(["eval", "--model", model, "--png", out], /replaces only regular files/)
    }
    expect(lstatSync(join(dir, "link.safetensors")).isSymbolicLink()).toBe(true)
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true)
  })

  it("a name too long to create is refused before training", async () => {
    await expectRefused(
      ["train", "--limit", "10", "--epochs", "1", "--out", `${"m".repeat(300)}.safetensors`],
      /cannot write m+\.safetensors: ENAMETOOLONG/,
    )
    await expectRefused(
      ["weights", "--model", model, "--out", `${"w".repeat(300)}.png`],
      /ENAMETOOLONG/,
    )
  })

  it("a target 250 characters long is written: the temporary name does not grow with it", async () => {
    const out = `${"n".repeat(240)}.safetensors`
    const r = await fnn(dir, [
      "weights",
      "--model",
      model,
      "--out",
      out.replace(/safetensors$/, "png"),
    ])
    expect(r.code, r.stderr).toBe(0)
  })
})

describe("flag values an attacker would try", () => {
  const hostile = fc.oneof(
    fc.constantFrom(
      "",
      "-0",
      "0x10",
      "1e400",
      "NaN",
      "Infinity",
      "9".repeat(400),
      "784-0-10",
      "784--10",
      "784-16-10-",
      `784-${"16-".repeat(100)}10`,
      "784-65536-65536-10",
      "\u0000",
      "١٢",
      "../../etc/passwd",
      "constructor",
      "__proto__",
    ),
    fc.string({ maxLength: 12 }),
    fc.integer().map(String),
    fc.double().map(String),
  )
  const trainFlags = [
    "--arch",
    "--lr",
    "--weight-decay",
    "--epochs",
    "--batch-size",
    "--seed",
    "--limit",
    "--activation",
    "--optimizer",
    "--schedule",
    "--loss",
  ]

  it("any value of any training flag is a flag error (2) or, before any work, a data error (1)", async () => {
    mkdirSync(join(dir, "no-data"), { recursive: true })
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.constantFrom(...trainFlags), hostile), {
          minLength: 1,
          maxLength: 4,
          selector: ([flag]) => flag,
        }),
        async (flags) => {
          const argv = ["train", "--data", "no-data", "--out", "never.safetensors"]
          for (const [flag, value] of flags) argv.push(`${flag}=${value}`)
          const r = await fnn(dir, argv)
          expect(r.stderr).toMatch(/^fnn: error: /)
          expect(r.stderr).not.toMatch(/internal error|\n\s+at /)
          expect(r.stderr.trim().split("\n")).toHaveLength(1)
          expect(r.code).toBe(/MNIST file/.test(r.stderr) ? 1 : 2)
        },
      ),
      { seed: 21, numRuns: 150 },
    )
  })

  it("any value of --index, --set and --layer is refused in one line or shows a digit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("show", "predict", "weights"),
        hostile,
        hostile,
        async (command, a, b) => {
          const argv =
            command === "show"
              ? ["show", `--index=${a}`, `--set=${b}`]
              : command === "predict"
                ? ["predict", "--model", model, `--index=${a}`, `--set=${b}`]
                : ["weights", "--model", model, "--out", "w.png", `--layer=${a}`]
          const r = await fnn(dir, argv)
          expect(r.stderr).not.toMatch(/internal error|\n\s+at /)
          if (r.code !== 0) {
            expect([1, 2]).toContain(r.code)
            expect(r.stderr.trim().split("\n")).toHaveLength(1)
          }
        },
      ),
      { seed: 21, numRuns: 100 },
    )
  })
})

describe("training that diverges", () => {
  it("stops with one clear line when the loss stops being finite, writing nothing", async () => {
    await expectRefused(
      [
        "train",
        "--limit",
        "200",
        "--epochs",
        "2",
        "--lr",
        "1e308",
        "--out",
        "diverged.safetensors",
      ],
      /training diverged: the loss of batch \d+ in epoch 1 is (NaN|-?Infinity) \(a lower --lr may help\); nothing was written/,
    )
  })

  it("keeps a checkpoint of the run that resumes and stops again the same way", async () => {
    const recipe = ["--limit", "200", "--epochs", "1", "--batch-size", "20", "--lr", "1e308"]
    const first = await fnn(dir, ["train", ...recipe, "--out", "diverging.safetensors"], {
      interrupt: interruptAfter(1),
    })
    expect(first.code, first.stderr).toBe(130)
    for (let i = 0; i < 2; i++) {
      const r = await fnn(dir, ["train", "--resume", "diverging.safetensors"])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(
        /^fnn: error: training diverged: the loss of batch \d+ in epoch 1 is (NaN|-?Infinity) .*; diverging.safetensors keeps the last state saved before it\n$/,
      )
    }
    const evaluated = await fnn(dir, ["eval", "--model", "diverging.safetensors", "--json"])
    expect(evaluated.code, evaluated.stderr).toBe(0)
  })
})

describe("a checkpoint written by training stays within the bounds it is read with", () => {
  it("the recipe, progress and history of a real run decode", async () => {
    const r = await fnn(dir, ["eval", "--model", model])
    expect(r.code, r.stderr).toBe(0)
    const t = T.safetensors.decode(readFileSync(join(dir, model)))
    expect(t._tag).toBe("Right")
  })
})
