import { afterAll, describe, expect, it } from "vitest"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { mkdirSync, readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import type { CliError } from "../src/errors.ts"
import { errorLine, exitCodeOf, renderCliError } from "../src/errors.ts"
import {
  archFlag,
  archProblem,
  choiceFlag,
  intFlag,
  numberFlag,
  parametersOf,
} from "../src/flags.ts"
import { writeAtomic } from "../src/files.ts"
import { decodePng, encodePng, toGrey } from "../src/png.ts"
import { confusionPicture, diverging, tileLayout, weightsPicture } from "../src/pictures.ts"
import { barReporter, epochLine, plainReporter } from "../src/progress.ts"
import {
  bar,
  confusionTable,
  duration,
  outputBars,
  perClassAccuracy,
  thousands,
} from "../src/render.ts"
import { decodeRecipe, defaultLr } from "../src/commands/train.ts"
import { tempDir } from "./helpers.ts"

const left = <A>(r: E.Either<CliError, A>): CliError => {
  if (E.isRight(r)) throw new Error(`expected a Left, got ${JSON.stringify(r.right)}`)
  return r.left
}

describe("flags", () => {
  it("reads whole numbers in range and refuses everything else without throwing", () => {
    const decode = intFlag("--epochs", 1, 1000)
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), (n) => {
        const r = decode(String(n))
        expect(E.isRight(r)).toBe(n >= 1 && n <= 1000)
        if (E.isRight(r)) expect(r.right).toBe(n)
      }),
    )
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = decode(s)
        if (E.isRight(r)) expect(/^\s*[+-]?\d+\s*$/.test(s)).toBe(true)
      }),
    )
    for (const s of ["", "1.5", "1e2", "0x10", "ten", "NaN", "Infinity", "9".repeat(30)])
      expect(left(decode(s))).toMatchObject({ _tag: "BadFlag", flag: "--epochs", value: s })
  })

  it("reads positive decimal numbers, as JavaScript writes them", () => {
    const decode = numberFlag("--lr", false)
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (x) => {
        const r = decode(String(x))
        expect(E.isRight(r) && r.right).toBe(x)
      }),
    )
    for (const s of ["0", "-1", "abc", "NaN", "Infinity", "1e400", "", "1,5", "0x1"])
      expect(left(decode(s))._tag).toBe("BadFlag")
    expect(numberFlag("--weight-decay", true)("0")).toEqual(E.right(0))
  })

  it("reads architectures from 784 inputs to 10 outputs", () => {
    const decode = archFlag()
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 512 }), { maxLength: 5 }), (hidden) => {
        const widths = [784, ...hidden, 10]
        expect(decode(widths.join("-"))).toEqual(E.right(widths))
      }),
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 50 }),
        (first, last) => {
          const r = decode(`${first}-16-${last}`)
          expect(E.isRight(r)).toBe(first === 784 && last === 10)
        },
      ),
    )
    for (const s of [
      "784",
      "784-",
      "-784-10",
      "784--10",
      "784-0-10",
      "784-16.5-10",
      "784-16-10x",
      "",
      "784-c6k5-p2-c16k5v-p2",
      "c6k5-10",
      "784-c6k-10",
      "lenet6",
    ])
      expect(E.isLeft(decode(s))).toBe(true)
  })

  it("reads convolution stacks and the lenet5 preset, refusing stacks that do not fit 28 × 28", () => {
    const decode = archFlag("train")
    expect(decode("lenet5")).toEqual(E.right([784, "c6k5", "p2", "c16k5v", "p2", 120, 84, 10]))
    expect(decode("784-c8k3-a2-c8k3v-p2-10")).toEqual(
      E.right([784, "c8k3", "a2", "c8k3v", "p2", 10]),
    )
    const tooDeep = left(decode("784-c6k5v-p2-c16k5v-p2-c8k5v-10"))
    expect(tooDeep).toMatchObject({ _tag: "BadFlag", flag: "--arch" })
    expect(JSON.stringify(tooDeep)).toContain(
      "Conv(8, 5): cannot take inputs of shape [-1, 4, 4, 16]",
    )
    const pooledAway = left(decode("784-p4-p4-p4-10"))
    expect(JSON.stringify(pooledAway)).toContain(
      "MaxPool(4): cannot take inputs of shape [-1, 1, 1, 1]",
    )
    // the names every object has are not presets
    for (const name of ["constructor", "toString", "__proto__"])
      expect(left(decode(name))).toMatchObject({ _tag: "BadFlag", flag: "--arch" })
  })

  it("counts a convolution stack's weights as the layers have them, and bounds them", () => {
    // 5·5·1·6+6, 5·5·6·16+16, then dense 400→120→84→10
    expect(parametersOf([784, "c6k5", "p2", "c16k5v", "p2", 120, 84, 10])).toBe(
      156 + 2416 + 48120 + 10164 + 850,
    )
    expect(archProblem([784, "c6k5", "p2", "c16k5v", "p2", 120, 84, 10])).toBeUndefined()
    // 28·28·4096 inputs to the dense layer: 32 million weights
    expect(archProblem([784, "c4096k3", 10])).toMatch(/at most 10,000,000 weights/)
  })

  it("reads one of a few words, exactly", () => {
    const decode = choiceFlag("--set", ["train", "test"] as const)
    expect(decode("test")).toEqual(E.right("test"))
    expect(left(decode("Test"))).toMatchObject({ expected: "one of train, test" })
  })

  it("fills in the default recipe and the optimizer's learning rate", () => {
    expect(decodeRecipe({})).toEqual(
      E.right({
        arch: [784, 16, 16, 10],
        activation: "sigmoid",
        loss: "cross-entropy",
        optimizer: "momentum",
        lr: 0.5,
        schedule: "one-cycle",
        weightDecay: 1e-4,
        epochs: 40,
        batchSize: 32,
        seed: 0,
        limit: null,
      }),
    )
    const dp = decodeRecipe({ dpClip: "2", dpNoise: "0" })
    expect(E.isRight(dp) && dp.right.dp).toEqual({ clip: 2, noise: 0 })
    expect(left(decodeRecipe({ dpNoise: "1" }))).toMatchObject({ _tag: "FlagConflict" })
    for (const optimizer of ["sgd", "momentum", "adam"] as const) {
      const r = decodeRecipe({ optimizer })
      expect(E.isRight(r) && r.right.lr).toBe(defaultLr[optimizer])
    }
  })
})

describe("errors", () => {
  const samples: CliError[] = [
    { _tag: "Usage", message: "unknown option '--x'", command: "train" },
    { _tag: "BadFlag", flag: "--lr", value: "x", expected: "a positive number" },
    { _tag: "FlagConflict", message: "give one" },
    { _tag: "DataError", error: { _tag: "LabelOutOfRange", index: 3, value: 12 } },
    { _tag: "FileNotFound", path: "m.safetensors", what: "model" },
    { _tag: "ReadFailed", path: "m", message: "EACCES" },
    { _tag: "WriteFailed", path: "m", message: "ENOSPC" },
    { _tag: "BadModel", path: "m", reason: "no arch" },
    { _tag: "ExportFailed", path: "m", format: "ONNX", reason: "layer X cannot be exported" },
    { _tag: "BadPng", path: "a.png", reason: "damaged" },
    { _tag: "BlankImage", path: "a.png" },
  ]

  it("gives exit code 2 for the command line and 1 for the rest, each on one line", () => {
    for (const e of samples) {
      expect(exitCodeOf(e)).toBe(["Usage", "BadFlag", "FlagConflict"].includes(e._tag) ? 2 : 1)
      expect(renderCliError(e)).not.toContain("\n")
      expect(errorLine(e)).toMatch(/^fnn: error: [^\n]+\n$/)
    }
  })

  it("names the model, the format and the reason when an export fails", () => {
    expect(
      renderCliError({
        _tag: "ExportFailed",
        path: "m.safetensors",
        format: "ONNX",
        reason: "why",
      }),
    ).toBe("cannot export m.safetensors to ONNX: why")
  })
})

describe("png", () => {
  it("never throws on bytes that are not a PNG, or on a damaged one", () => {
    const good = encodePng({ width: 3, height: 2, data: new Uint8Array(24).fill(200) })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(E.isLeft(decodePng(bytes))).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = Uint8Array.from(good)
        bad[at] = bad[at]! ^ flip
        decodePng(bad)
        decodePng(bad.subarray(0, at))
      }),
      { numRuns: 200 },
    )
  })

  it("gives back the pixels it was given", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.uint8Array({ minLength: 576, maxLength: 576 }),
        (w, h, bytes) => {
          const image = { width: w, height: h, data: bytes.subarray(0, w * h * 4) }
          const r = decodePng(encodePng(image))
          expect(E.isRight(r) && Array.from(r.right.data)).toEqual(Array.from(image.data))
        },
      ),
      { numRuns: 30 },
    )
  })

  it("refuses a header announcing an enormous picture before inflating it", () => {
    const png = encodePng({ width: 1, height: 1, data: Uint8Array.of(0, 0, 0, 255) })
    const view = new DataView(png.buffer, png.byteOffset)
    view.setUint32(16, 100_000)
    view.setUint32(20, 100_000)
    expect(E.isLeft(decodePng(png)) && decodePng(png)).toMatchObject({ left: { _tag: "TooLarge" } })
  })

  it("composites transparent pixels on white", () => {
    const grey = toGrey({
      width: 3,
      height: 1,
      data: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 255, 100, 100, 100, 255),
    })
    expect(Array.from(grey.data)).toEqual([255, 0, 100])
  })
})

describe("pictures", () => {
  it("lays out 784 inputs as 28 × 28 and others as the squarest grid", () => {
    expect(tileLayout(784)).toEqual({ cols: 28, rows: 28 })
    expect(tileLayout(16)).toEqual({ cols: 4, rows: 4 })
    expect(tileLayout(10)).toEqual({ cols: 4, rows: 3 })
  })

  it("colours zero white, positive red and negative blue", () => {
    expect(diverging(0)).toEqual([255, 255, 255])
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1, noNaN: true }), (v) => {
        const [r, , b] = diverging(v)
        const [r2, , b2] = diverging(-v)
        expect(r).toBeGreaterThan(b)
        expect(b2).toBeGreaterThan(r2)
      }),
    )
  })

  it("draws one tile per neuron, scaled per neuron", () => {
    // neuron 0 has weights ±1, neuron 1 the same pattern ×1000: the tiles look alike
    const w = Float32Array.from(
      { length: 16 * 2 },
      (_, k) => (k % 2 === 0 ? 1 : 1000) * (Math.floor(k / 2) % 3 === 0 ? -1 : 1),
    )
    const p = weightsPicture(w, 16, 2)
    const tile = (j: number): number[] => {
      const out: number[] = []
      const x0 = 4 + j * (224 + 4)
      for (let y = 4; y < 228; y += 56)
        for (let x = x0; x < x0 + 224; x += 56)
          out.push(...p.data.subarray(4 * (y * p.width + x), 4 * (y * p.width + x) + 3))
      return out
    }
    expect(tile(1)).toEqual(tile(0))
  })

  it("draws a confusion matrix of the right size", () => {
    const counts = Array.from({ length: 100 }, (_, i) => (i % 11 === 0 ? 980 : i % 7))
    const p = confusionPicture(counts, 10)
    expect(p.data.length).toBe(p.width * p.height * 4)
    expect(p.width).toBeGreaterThan(440)
    // the labels are drawn whole: dark pixels above and left of the cells, every one fully set
    const dark = (x0: number, y0: number, x1: number, y1: number): number => {
      let n = 0
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) {
          const i = 4 * (y * p.width + x)
          const [r, g, b] = p.data.subarray(i, i + 3)
          if (r === 20 && g === 20 && b === 20) n++
          else expect(r === g && g === b).toBe(true)
        }
      return n
    }
    expect(dark(64, 0, p.width, 60)).toBeGreaterThan(200)
    expect(dark(0, 64, 60, p.height)).toBeGreaterThan(200)
  })
})

describe("render", () => {
  it("draws bars as wide as their value", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        (v, w) => {
          const b = bar(v, w)
          const full = [...b].filter((c) => c === "█").length
          expect(full).toBe(Math.floor(Math.round(v * w * 8) / 8))
          expect([...b].length).toBeLessThanOrEqual(w)
        },
      ),
    )
    expect(bar(Number.NaN, 5)).toBe("")
  })

  it("marks the largest output", () => {
    const lines = outputBars([0.1, 0.05, 0.7, 0.15, 0, 0, 0, 0, 0, 0], 20)
    expect(lines).toHaveLength(10)
    expect(lines.filter((l) => l.endsWith("◀"))).toEqual([lines[2]])
  })

  it("tabulates a confusion matrix with each digit's accuracy", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 100, maxLength: 100 }), (counts) => {
        const table = confusionTable(counts, 10)
        expect(table).toHaveLength(12)
        const acc = perClassAccuracy(counts, 10)
        acc.forEach((a, t) => {
          const row = counts.slice(10 * t, 10 * t + 10).reduce((x, y) => x + y, 0)
          if (row === 0) expect(a).toBeNaN()
          else expect(a).toBe(counts[11 * t]! / row)
        })
      }),
      { numRuns: 30 },
    )
  })

  it("formats numbers and durations for people", () => {
    expect(thousands(13002)).toBe("13,002")
    expect(thousands(999)).toBe("999")
    expect(duration(4.25)).toBe("4.3s")
    expect(duration(187)).toBe("3m 07s")
    expect(duration(3725)).toBe("1h 02m")
  })
})

describe("progress", () => {
  const report = {
    epoch: 2,
    epochs: 20,
    loss: 0.1234,
    testAccuracy: 0.9512,
    seconds: 4.2,
    samplesPerSecond: 14285.7,
  }

  it("writes one plain line per epoch", () => {
    let out = ""
    const r = plainReporter({ write: (s: string) => (out += s) })
    r.epochStart(2, 20, 100, 0)
    r.step(50, 1600, 0.2)
    r.epochEnd(report)
    expect(out).toBe(`${epochLine(report)}\n`)
    expect(epochLine(report)).toBe(
      "epoch  2/20  loss 0.1234  test accuracy 95.12%  14,286 samples/s  4.2s",
    )
  })

  it("redraws the bar in place at most every interval and ends with the epoch line", () => {
    let out = ""
    let t = 0
    const r = barReporter({ write: (s: string) => (out += s) }, 100, () => t, 100)
    r.epochStart(1, 3, 10, 0)
    for (let i = 1; i <= 10; i++) {
      t += 30
      r.step(i, 32 * i, 0.5)
    }
    // drawn at the start, at 120 ms, 240 ms and at the last batch
    expect(out.split("\r").filter((s) => s.includes("▕"))).toHaveLength(4)
    expect(out).toContain("100%")
    r.epochEnd({ ...report, epoch: 1, epochs: 3 })
    expect(out.endsWith(`\r\x1b[K${epochLine({ ...report, epoch: 1, epochs: 3 })}\n`)).toBe(true)
  })
})

describe("atomic writes", () => {
  const { dir, remove } = tempDir()
  afterAll(remove)

  it("replace the file whole and leave no temporary file", async () => {
    const path = join(dir, "out.bin")
    for (const n of [10, 100_000, 3]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => i % 251)
      expect(E.isRight(await writeAtomic(path, "out.bin", bytes)())).toBe(true)
      expect(Array.from(readFileSync(path))).toEqual(Array.from(bytes))
    }
    expect(readdirSync(dir)).toEqual(["out.bin"])
  })

  it("fail with a message and leave nothing when the target cannot be written", async () => {
    mkdirSync(join(dir, "taken"))
    const r = await writeAtomic(join(dir, "taken"), "taken", Uint8Array.of(1))()
    expect(E.isLeft(r) && r.left._tag).toBe("WriteFailed")
    const missing = await writeAtomic(join(dir, "no", "x.bin"), "no/x.bin", Uint8Array.of(1))()
    expect(E.isLeft(missing)).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(["out.bin", "taken"])
  })
})
