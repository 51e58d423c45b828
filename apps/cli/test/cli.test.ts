import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import * as nn from "@fnn/nn"
import { encodeIdx } from "@fnn/mnist"
import { loadMnist } from "@fnn/mnist/node"
import { decodePng, encodePng, fromGrey } from "../src/png.ts"
import { fnn, interruptAfter, tempDir } from "./helpers.ts"

const { dir, remove } = tempDir()
const model = "model.safetensors"
/** The JSON lines `train --json` printed for the shared model. */
let trainLines: Array<Record<string, unknown>> = []
let test: { readonly x: T.Tensor; readonly y: T.Tensor }

const lines = (s: string): Array<Record<string, unknown>> =>
  s
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>)

const load = (file: string): nn.Checkpoint => {
  const r = nn.loadCheckpoint(new Uint8Array(readFileSync(join(dir, file))))
  if (E.isLeft(r)) throw new Error(nn.renderCheckpointError(r.left))
  return r.right
}

beforeAll(async () => {
  const r = await fnn(dir, ["train", "--limit", "2000", "--epochs", "1", "--out", model, "--json"])
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  trainLines = lines(r.stdout)
  const data = await loadMnist()()
  if (E.isLeft(data)) throw new Error("MNIST did not load")
  test = { x: data.right.test.images, y: data.right.test.labels }
})

afterAll(remove)

describe("fnn train", () => {
  it("reports a start, one line per epoch and a summary, and writes a loadable model", () => {
    expect(trainLines.map((l) => l["type"])).toEqual(["start", "epoch", "summary"])
    const start = trainLines[0]!
    expect(start["parameters"]).toBe(13002)
    expect(start["examples"]).toBe(2000)
    const c = load(model)
    expect(nn.paramCount(c.params)).toBe(13002)
    expect(JSON.parse(c.meta["train.recipe"]!)).toMatchObject({
      arch: [784, 16, 16, 10],
      epochs: 1,
      limit: 2000,
    })
    const accuracy = trainLines[2]!["testAccuracy"] as number
    expect(accuracy).toBeGreaterThan(0.5)
    expect(trainLines[1]!["testAccuracy"]).toBe(accuracy)
  })

  it("writes the same bytes for the same seed and flags, and other bytes for another seed", async () => {
    const flags = ["train", "--limit", "300", "--epochs", "1", "--batch-size", "50"]
    await fnn(dir, [...flags, "--out", "same1.safetensors"])
    await fnn(dir, [...flags, "--out", "same2.safetensors"])
    await fnn(dir, [...flags, "--seed", "1", "--out", "other.safetensors"])
    const a = readFileSync(join(dir, "same1.safetensors"))
    expect(a.equals(readFileSync(join(dir, "same2.safetensors")))).toBe(true)
    expect(a.equals(readFileSync(join(dir, "other.safetensors")))).toBe(false)
  })

  it("trains with DP-SGD: the recipe records it, the same flags give the same bytes, a resumed run too", async () => {
    const flags = [
      "train",
      "--limit",
      "200",
      "--epochs",
      "2",
      "--dp-clip",
      "1",
      "--dp-noise",
      "1.1",
    ]
    const a = await fnn(dir, [...flags, "--out", "dp1.safetensors"])
    expect(a.stderr).toBe("")
    expect(a.code).toBe(0)
    expect(a.stdout).toContain("DP-SGD clip 1 noise 1.1")
    expect(JSON.parse(load("dp1.safetensors").meta["train.recipe"]!)).toMatchObject({
      dp: { clip: 1, noise: 1.1 },
    })
    await fnn(dir, [...flags, "--out", "dp2.safetensors"])
    await fnn(dir, [...flags.slice(0, -1), "0.5", "--out", "dp3.safetensors"])
    const first = await fnn(dir, [...flags, "--out", "dp4.safetensors"], {
      interrupt: interruptAfter(9),
    })
    expect(first.code).toBe(130)
    expect((await fnn(dir, ["train", "--resume", "dp4.safetensors"])).code).toBe(0)
    const bytes = readFileSync(join(dir, "dp1.safetensors"))
    expect(bytes.equals(readFileSync(join(dir, "dp2.safetensors")))).toBe(true)
    expect(bytes.equals(readFileSync(join(dir, "dp4.safetensors")))).toBe(true)
    expect(bytes.equals(readFileSync(join(dir, "dp3.safetensors")))).toBe(false)
  })

  it("ends with the same bytes when interrupted and resumed, wherever it stopped", async () => {
    // 300 examples in batches of 32: 10 steps per epoch, 20 in all
    const flags = [
      "train",
      "--limit",
      "300",
      "--epochs",
      "2",
      "--optimizer",
      "adam",
      "--schedule",
      "cosine",
    ]
    const whole = await fnn(dir, [...flags, "--out", "whole.safetensors"])
    expect(whole.code).toBe(0)
    const expected = readFileSync(join(dir, "whole.safetensors"))
    for (const [i, stops] of [[3], [10], [13, 2], [1, 1, 1]].entries()) {
      const out = `resumed${i}.safetensors`
      const first = await fnn(dir, [...flags, "--out", out], {
        interrupt: interruptAfter(stops[0]!),
      })
      expect(first.code).toBe(130)
      expect(first.stdout).toContain(`continue with: fnn train --resume ${out}`)
      for (const n of stops.slice(1)) {
        const again = await fnn(dir, ["train", "--resume", out], { interrupt: interruptAfter(n) })
        expect(again.code).toBe(130)
      }
      const rest = await fnn(dir, ["train", "--resume", out])
      expect(rest.stderr, rest.stdout).toBe("")
      expect(rest.code).toBe(0)
      expect(readFileSync(join(dir, out)).equals(expected)).toBe(true)
    }
  })

  it("writes nothing when interrupted before the first step", async () => {
    const r = await fnn(dir, ["train", "--limit", "100", "--out", "never.safetensors"], {
      interrupt: interruptAfter(0),
    })
    expect(r.code).toBe(130)
    expect(existsSync(join(dir, "never.safetensors"))).toBe(false)
  })

  it("says a finished checkpoint has nothing left to do", async () => {
    const r = await fnn(dir, ["train", "--resume", model, "--out", "copy.safetensors"])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("nothing to do")
  })

  it("draws a live bar on a terminal and plain lines elsewhere", async () => {
    const flags = ["train", "--limit", "200", "--epochs", "1", "--out", "bar.safetensors"]
    const tty = await fnn(dir, flags, { isTTY: true })
    expect(tty.stdout).toContain("\r")
    expect(tty.stdout).toMatch(/samples\/s/)
    const plain = await fnn(dir, flags)
    expect(plain.stdout).not.toContain("\r")
    expect(plain.stdout).toMatch(/^epoch 1\/1 {2}loss \d\.\d{4} {2}test accuracy/m)
    expect(plain.stdout).toContain("model written to bar.safetensors")
  })

  it("trains the mse variant with a sigmoid output layer", async () => {
    const r = await fnn(dir, [
      "train",
      "--limit",
      "200",
      "--epochs",
      "1",
      "--loss",
      "mse",
      "--activation",
      "relu",
      "--arch",
      "784-8-10",
      "--out",
      "mse.safetensors",
    ])
    expect(r.code).toBe(0)
    const c = load("mse.safetensors")
    expect(c.arch).toMatchObject({
      layer: "Serial",
      layers: [{ layer: "Dense" }, { layer: "Relu" }, { layer: "Dense" }, { layer: "Sigmoid" }],
    })
    const p = await fnn(dir, ["predict", "--model", "mse.safetensors", "--index", "3", "--json"])
    const out = JSON.parse(p.stdout) as { outputKind: string; outputs: number[] }
    expect(out.outputKind).toBe("raw")
    for (const v of out.outputs) expect(v > 0 && v < 1).toBe(true)
  })
})

describe("fnn eval and predict", () => {
  it("agree with the model and with the accuracy training reported", async () => {
    const r = await fnn(dir, ["eval", "--model", model, "--json"])
    expect(r.code).toBe(0)
    const e = JSON.parse(r.stdout) as {
      accuracy: number
      correct: number
      examples: number
      confusion: number[][]
      perClass: number[]
    }
    expect(e.accuracy).toBe(trainLines[2]!["testAccuracy"])
    // an independent count from the model file
    const c = load(model)
    const logits = c.net.apply(c.params, test.x)
    let correct = 0
    for (let i = 0; i < 10000; i++) {
      const row = Array.from(logits.data.subarray(i * 10, i * 10 + 10))
      if (row.indexOf(Math.max(...row)) === test.y.data[i]) correct++
    }
    expect(e.correct).toBe(correct)
    expect(e.examples).toBe(10000)
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000)
    e.perClass.forEach((acc, k) => {
      const row = e.confusion[k]!
      expect(acc).toBeCloseTo(row[k]! / row.reduce((a, b) => a + b, 0), 12)
    })
  })

  it("predicts what the model computes, with softmax probabilities", async () => {
    const c = load(model)
    for (const index of [0, 1, 77, 9999]) {
      const r = await fnn(dir, ["predict", "--model", model, "--index", String(index), "--json"])
      expect(r.code).toBe(0)
      const p = JSON.parse(r.stdout) as {
        prediction: number
        outputs: number[]
        label: number
        outputKind: string
      }
      const x = T.reshape(T.slice(test.x, [index], [index + 1]), [1, 784])
      const probs = Array.from(T.softmax(c.net.apply(c.params, x), { axis: -1 }).data)
      expect(p.outputKind).toBe("softmax")
      p.outputs.forEach((v, k) => expect(v).toBeCloseTo(probs[k]!, 6))
      expect(p.outputs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
      expect(p.prediction).toBe(probs.indexOf(Math.max(...probs)))
      expect(p.label).toBe(test.y.data[index])
    }
  })

  it("draws the digit and ten bars in the terminal", async () => {
    const r = await fnn(dir, ["predict", "--model", model, "--index", "0"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("test #0, label 7")
    expect(r.stdout.split("\n").filter((l) => /^ {2}\d .* \d\.\d{3}/.test(l))).toHaveLength(10)
    expect(r.stdout).toMatch(/prediction: \d \(\d+\.\d%\)/)
  })

  it("predicts a PNG of an MNIST digit like the digit itself", async () => {
    const index = 0
    const pixels = test.x.data.subarray(index * 784, index * 784 + 784)
    // enlarged 5 times, dark ink on white, with a wide margin
    const w = 28 * 5 + 60
    const grey = new Uint8Array(w * w).fill(255)
    for (let y = 0; y < 140; y++)
      for (let x = 0; x < 140; x++)
        grey[(y + 30) * w + x + 30] =
          255 - Math.round(255 * pixels[Math.floor(y / 5) * 28 + Math.floor(x / 5)]!)
    writeFileSync(join(dir, "seven.png"), encodePng(fromGrey({ width: w, height: w, data: grey })))
    const fromPng = JSON.parse(
      (await fnn(dir, ["predict", "--model", model, "--image", "seven.png", "--json"])).stdout,
    ) as { prediction: number; outputs: number[] }
    const fromIndex = JSON.parse(
      (await fnn(dir, ["predict", "--model", model, "--index", "0", "--json"])).stdout,
    ) as { prediction: number }
    expect(fromPng.prediction).toBe(fromIndex.prediction)
    const text = await fnn(dir, ["predict", "--model", model, "--image", "seven.png"])
    expect(text.stdout).toMatch(/seven\.png \(\d+×\d+ ink box, inverted, fitted to \d+×20\)/)
  })

  it("draws the confusion matrix as a table and as a PNG", async () => {
    const r = await fnn(dir, ["eval", "--model", model, "--png", "confusion.png"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/test accuracy \d+\.\d\d%/)
    expect(r.stdout.split("\n").filter((l) => /^ {3}\d {2}/.test(l))).toHaveLength(10)
    const png = decodePng(new Uint8Array(readFileSync(join(dir, "confusion.png"))))
    expect(E.isRight(png)).toBe(true)
  })
})

describe("--data", () => {
  it("reads the four MNIST files, raw or gzipped, from a directory", async () => {
    const data = join(dir, "mini")
    mkdirSync(data)
    const ubyte = (shape: number[], values: ArrayLike<number>): Uint8Array =>
      encodeIdx({ dtype: "ubyte", shape, data: Uint8Array.from(values) })
    const images = (n: number): Uint8Array =>
      ubyte(
        [n, 28, 28],
        Array.from(test.x.data.subarray(0, n * 784), (v) => Math.round(v * 255)),
      )
    const labels = (n: number): Uint8Array => ubyte([n], test.y.data.subarray(0, n))
    writeFileSync(join(data, "train-images-idx3-ubyte.gz"), gzipSync(images(120)))
    writeFileSync(join(data, "train-labels-idx1-ubyte"), labels(120))
    writeFileSync(join(data, "t10k-images-idx3-ubyte"), images(50))
    writeFileSync(join(data, "t10k-labels-idx1-ubyte.gz"), gzipSync(labels(50)))
    const t = await fnn(dir, [
      "train",
      "--data",
      "mini",
      "--epochs",
      "1",
      "--out",
      "mini.safetensors",
      "--json",
    ])
    expect(t.code, t.stderr).toBe(0)
    expect(lines(t.stdout)[0]).toMatchObject({ examples: 120, testExamples: 50 })
    const e = await fnn(dir, ["eval", "--data", "mini", "--model", "mini.safetensors", "--json"])
    expect(JSON.parse(e.stdout)).toMatchObject({ examples: 50 })
    const s = await fnn(dir, ["show", "--data", "mini", "--index", "49", "--set", "test"])
    expect(s.stdout.split("\n")[0]).toBe(`test #49: label ${test.y.data[49]}`)
  })

  it("needs only the test files to evaluate, predict and show test digits", async () => {
    const data = join(dir, "test-only")
    mkdirSync(data)
    for (const name of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte.gz"])
      writeFileSync(join(data, name), readFileSync(join(dir, "mini", name)))
    const e = await fnn(dir, ["eval", "--data", "test-only", "--model", "mini.safetensors"])
    expect(e.code, e.stderr).toBe(0)
    const p = await fnn(dir, [
      "predict",
      "--data",
      "test-only",
      "--model",
      "mini.safetensors",
      "--index",
      "3",
    ])
    expect(p.code, p.stderr).toBe(0)
    const s = await fnn(dir, ["show", "--data", "test-only", "--index", "3", "--set", "test"])
    expect(s.code, s.stderr).toBe(0)
    const missing = await fnn(dir, ["show", "--data", "test-only", "--index", "3"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/train-images-idx3-ubyte/)
  })
})

describe("fnn show and weights", () => {
  it("shows a digit with its label", async () => {
    const r = await fnn(dir, ["show", "--index", "0", "--set", "test"])
    expect(r.code).toBe(0)
    const out = r.stdout.split("\n")
    expect(out[0]).toBe("test #0: label 7")
    expect(out.slice(1, 29).every((l) => [...l].length === 56)).toBe(true)
  })

  it("draws each first-layer neuron's weights as a 28 × 28 tile, red where positive", async () => {
    const r = await fnn(dir, ["weights", "--model", model, "--out", "w1.png"])
    expect(r.code).toBe(0)
    const png = decodePng(new Uint8Array(readFileSync(join(dir, "w1.png"))))
    if (E.isLeft(png)) throw new Error("not a PNG")
    // 16 neurons in a 4 × 4 grid of 224-pixel tiles (8 pixels per weight) with 4-pixel borders
    expect(png.right.width).toBe(4 * 228 + 4)
    expect(png.right.height).toBe(4 * 228 + 4)
    const w = (load(model).params as unknown as Array<{ w?: T.Tensor }>)[0]!.w!
    for (const [neuron, pixel] of [
      [0, 300],
      [5, 407],
      [15, 600],
    ] as const) {
      const weight = w.data[pixel * 16 + neuron]!
      const x = 4 + (neuron % 4) * 228 + (pixel % 28) * 8 + 3
      const y = 4 + Math.floor(neuron / 4) * 228 + Math.floor(pixel / 28) * 8 + 3
      const i = 4 * (y * png.right.width + x)
      const [red, , blue] = png.right.data.subarray(i, i + 3)
      if (weight > 0) expect(red).toBeGreaterThan(blue!)
      if (weight < 0) expect(blue).toBeGreaterThan(red!)
    }
  })

  it("draws deeper layers as grids of their inputs", async () => {
    const r = await fnn(dir, ["weights", "--model", model, "--out", "w2.png", "--layer", "2"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("4×4 grid")
    expect(r.stdout).toContain("not pixels")
  })
})

describe("help", () => {
  it("explains every command", async () => {
    for (const command of ["train", "eval", "predict", "show", "weights", "export"]) {
      const r = await fnn(dir, [command, "--help"])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Usage: fnn ${command}`)
    }
    const top = await fnn(dir, ["--help"])
    expect(top.code).toBe(0)
    expect(top.stdout).toMatch(/train.*\n.*eval/s)
  })
})

describe("bad input", () => {
  const bad = tempDir()
  const d = bad.dir
  afterAll(bad.remove)

  beforeAll(() => {
    writeFileSync(join(d, "notes.txt"), "not a model\n")
    writeFileSync(join(d, "notpng.png"), "GIF89a, honestly")
    writeFileSync(
      join(d, "blank.png"),
      encodePng(fromGrey({ width: 30, height: 30, data: new Uint8Array(900).fill(255) })),
    )
    writeFileSync(join(d, "plain.safetensors"), T.safetensors.encode({ x: T.zeros([3]) }))
    const net = nn.serial(nn.Dense(10))
    const [, params] = net.init(T.random.key(0), [-1, 100])
    writeFileSync(
      join(d, "small.safetensors"),
      nn.saveCheckpoint({ params, arch: nn.describe(net) }),
    )
    const fiveOut = nn.serial(nn.Dense(5))
    const [, p5] = fiveOut.init(T.random.key(0), [-1, 784])
    writeFileSync(
      join(d, "five.safetensors"),
      nn.saveCheckpoint({ params: p5, arch: nn.describe(fiveOut) }),
    )
    const truncated = readFileSync(join(dir, model)).subarray(0, 5000)
    writeFileSync(join(d, "truncated.safetensors"), truncated)
    writeFileSync(join(d, model), readFileSync(join(dir, model)))
    mkdirSync(join(d, "garbage"))
    for (const f of [
      "train-images-idx3-ubyte",
      "train-labels-idx1-ubyte",
      "t10k-images-idx3-ubyte",
      "t10k-labels-idx1-ubyte",
    ])
      writeFileSync(join(d, "garbage", f), "definitely not IDX")
    mkdirSync(join(d, "adir.png"))
  })

  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, 1 | 2, RegExp]> = [
    [["train", "--bogus"], 2, /unknown option '--bogus'/],
    [["train", "--epochs", "-3"], 2, /--epochs must be an integer from 1 to 100000, got "-3"/],
    [["train", "--epochs=0"], 2, /--epochs must be an integer from 1/],
    [["train", "--epochs", "2.5"], 2, /--epochs must be an integer from 1/],
    [["train", "--lr", "fast"], 2, /--lr must be a positive number, got "fast"/],
    [["train", "--lr", "-0.1"], 2, /--lr must be a positive number/],
    [["train", "--weight-decay", "NaN"], 2, /--weight-decay must be a number ≥ 0/],
    [["train", "--batch-size", "0"], 2, /--batch-size must be an integer from 1/],
    [
      ["train", "--dp-clip", "0", "--dp-noise", "1"],
      2,
      /--dp-clip must be a positive number, got "0"/,
    ],
    [
      ["train", "--dp-clip", "1", "--dp-noise", "-1"],
      2,
      /--dp-noise must be a number ≥ 0, got "-1"/,
    ],
    [
      ["train", "--dp-clip", "1"],
      2,
      /DP-SGD needs both --dp-clip and --dp-noise; got only --dp-clip/,
    ],
    [["train", "--resume", model, "--dp-noise", "1"], 2, /leave out --dp-noise/],
    [["train", "--arch", "100-16-10"], 2, /--arch must be .* starting at 784/],
    [["train", "--arch", "784-16-9"], 2, /--arch must be .* ending at 10/],
    [["train", "--arch", "784-x-10"], 2, /--arch must be layers joined by dashes/],
    [["train", "--activation", "softplus"], 2, /--activation must be one of sigmoid, relu, tanh/],
    [["train", "--optimizer", "rmsprop"], 2, /--optimizer must be one of sgd, momentum, adam/],
    [["train", "--epochs"], 2, /option '--epochs <n>' argument missing/],
    [["train", "--resume", model, "--lr", "0.1"], 2, /leave out --lr/],
    [
      ["train", "--data", "nowhere"],
      1,
      /cannot load MNIST: MNIST file train-images-idx3-ubyte not found/,
    ],
    [["train", "--data", "garbage"], 1, /cannot load MNIST: .*not an IDX file/],
    [
      ["train", "--out", "missing/m.safetensors"],
      1,
      /cannot write missing\/m.safetensors: the directory missing does not exist/,
    ],
    [["train", "--out", "adir.png"], 1, /cannot write adir.png: it is a directory/],
    [["train", "--resume", "gone.safetensors"], 1, /model file gone.safetensors does not exist/],
    [
      ["train", "--resume", "small.safetensors"],
      1,
      /small.safetensors is not a usable fnn model: its network takes inputs \[-1, 100\]/,
    ],
    [["trian"], 2, /unknown command 'trian'/],
    [["eval"], 2, /required option '--model <file>' not specified/],
    [
      ["eval", "--model", "notes.txt"],
      1,
      /notes.txt is not a usable fnn model: not a safetensors checkpoint/,
    ],
    [
      ["eval", "--model", "truncated.safetensors"],
      1,
      /truncated.safetensors is not a usable fnn model/,
    ],
    [
      ["eval", "--model", "plain.safetensors"],
      1,
      /plain.safetensors is not a usable fnn model: the checkpoint has no "fnn.arch"/,
    ],
    [["eval", "--model", "five.safetensors"], 1, /gives outputs \[-1, 5\], not 10/],
    [["eval", "--model", model, "--png", "missing/c.png"], 1, /cannot write missing\/c.png/],
    [["predict", "--model", model], 2, /say which digit/],
    [["predict", "--model", model, "--index", "1", "--image", "x.png"], 2, /not both/],
    [
      ["predict", "--model", model, "--index", "10000"],
      2,
      /--index must be an integer from 0 to 9999 \(the test set has 10000 images\)/,
    ],
    [
      ["predict", "--model", model, "--image", "notpng.png"],
      1,
      /notpng.png is not a PNG image fnn can read: it does not start with the PNG signature/,
    ],
    [["predict", "--model", model, "--image", "blank.png"], 1, /blank.png has nothing drawn on it/],
    [
      ["predict", "--model", model, "--image", "missing.png"],
      1,
      /image file missing.png does not exist/,
    ],
    [["show", "--index", "-1"], 2, /--index must be a non-negative integer/],
    [["show", "--index", "1", "--set", "validation"], 2, /--set must be one of train, test/],
    [["show", "--index", "60000"], 2, /from 0 to 59999/],
    [["weights", "--model", model], 2, /required option '--out <file>' not specified/],
    [
      ["weights", "--model", model, "--out", "w.png", "--layer", "4"],
      2,
      /--layer must be an integer from 1 to 3/,
    ],
  ]

  it.each(cases)(
    "fnn %j exits %i with one clear message and leaves nothing behind",
    async (argv, code, message) => {
      const before = readdirSync(d).sort()
      const r = await fnn(d, argv)
      expect(r.code).toBe(code)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^fnn: error: /)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(readdirSync(d).sort()).toEqual(before)
    },
  )

  it("prints the help and exits 2 without a command", async () => {
    const r = await fnn(d, [])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("Usage: fnn")
  })
})
