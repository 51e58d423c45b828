import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import * as nn from "@fnn/nn"
import { fnn, tempDir } from "./helpers.ts"

const { dir, remove } = tempDir()
const model = "model.safetensors"

const checkpointOf = (file: string): nn.Checkpoint => {
  const r = nn.loadCheckpoint(new Uint8Array(readFileSync(join(dir, file))))
  if (E.isLeft(r)) throw new Error(nn.renderCheckpointError(r.left))
  return r.right
}

/** What `toOnnx` writes for a checkpoint, as `fnn export` should. */
const expectedOnnx = (c: nn.Checkpoint): Uint8Array => {
  const r = nn.toOnnx(c.net, c.params, { inputShape: c.inputShape, metadata: c.meta })
  if (E.isLeft(r)) throw new Error(nn.renderOnnxError(r.left))
  return r.right
}

beforeAll(async () => {
  const r = await fnn(dir, ["train", "--limit", "500", "--epochs", "1", "--out", model])
  expect(r.code).toBe(0)
})

afterAll(remove)

describe("fnn export", () => {
  it("writes the model's ONNX file and says what is in it", async () => {
    const r = await fnn(dir, ["export", "--model", model, "--out", "model.onnx"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const bytes = readFileSync(join(dir, "model.onnx"))
    expect(Buffer.compare(bytes, expectedOnnx(checkpointOf(model)))).toBe(0)
    expect(r.stdout.split("\n")).toEqual([
      `wrote model.onnx: ONNX opset 17, 13,002 parameters, ${bytes.length.toLocaleString("en-US")} bytes`,
      'input "input" float32 [batch, 784] → output "output" float32 [batch, 10]; the batch size is free',
      "",
    ])
  })

  it("carries the training recipe into the file's metadata", async () => {
    await fnn(dir, ["export", "--model", model, "--out", "recipe.onnx"])
    const text = new TextDecoder().decode(readFileSync(join(dir, "recipe.onnx")))
    const recipe = checkpointOf(model).meta["train.recipe"]!
    expect(text).toContain("train.recipe")
    expect(text).toContain(recipe)
  })

  it("prints one JSON object with --json", async () => {
    const r = await fnn(dir, ["export", "--model", model, "--out", "j.onnx", "--json"])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toEqual({
      model,
      out: "j.onnx",
      format: "onnx",
      opset: 17,
      irVersion: 8,
      input: { name: "input", dtype: "float32", shape: ["batch", 784] },
      output: { name: "output", dtype: "float32", shape: ["batch", 10] },
      parameters: 13002,
      bytes: readFileSync(join(dir, "j.onnx")).length,
    })
  })

  it("exports any fnn network, not only MNIST classifiers", async () => {
    const net = nn.serial(nn.Flatten, nn.Dense(5), nn.Tanh, nn.Dense(3), nn.LogSoftmax)
    const [, params] = net.init(T.random.key(0), [-1, 4, 6], { dtype: "float64" })
    const arch = nn.describe(net)
    writeFileSync(
      join(dir, "small.safetensors"),
      nn.saveCheckpoint({ params, arch, inputShape: [-1, 4, 6] }),
    )
    const r = await fnn(dir, ["export", "--model", "small.safetensors", "--out", "small.onnx"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(
      'input "input" float64 [batch, 4, 6] → output "output" float64 [batch, 3]',
    )
    const bytes = readFileSync(join(dir, "small.onnx"))
    expect(Buffer.compare(bytes, expectedOnnx(checkpointOf("small.safetensors")))).toBe(0)
  })

  it("replaces an existing file whole", async () => {
    writeFileSync(join(dir, "old.onnx"), "an older file")
    const r = await fnn(dir, ["export", "--model", model, "--out", "old.onnx"])
    expect(r.code).toBe(0)
    expect(
      Buffer.compare(readFileSync(join(dir, "old.onnx")), expectedOnnx(checkpointOf(model))),
    ).toBe(0)
  })
})

describe("fnn export: bad input", () => {
  const bad = tempDir()
  const d = bad.dir
  afterAll(bad.remove)

  beforeAll(() => {
    const good = readFileSync(join(dir, model))
    writeFileSync(join(d, model), good)
    writeFileSync(join(d, "truncated.safetensors"), good.subarray(0, 3000))
    const flipped = Uint8Array.from(good)
    flipped[20] = 0x00 // inside the JSON header
    writeFileSync(join(d, "damaged.safetensors"), flipped)
    writeFileSync(join(d, "notes.txt"), "not a model\n")
    writeFileSync(join(d, "plain.safetensors"), T.safetensors.encode({ x: T.zeros([3]) }))
    mkdirSync(join(d, "adir.onnx"))
  })

  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, 1 | 2, RegExp]> = [
    [["export", "--out", "m.onnx"], 2, /required option '--model <file>' not specified/],
    [["export", "--model", model], 2, /required option '--out <file>' not specified/],
    [
      ["export", "--model", model, "--out", "m.onnx", "--opset", "9"],
      2,
      /unknown option '--opset'/,
    ],
    [
      ["export", "--model", "gone.safetensors", "--out", "m.onnx"],
      1,
      /model file gone.safetensors does not exist/,
    ],
    [
      ["export", "--model", "notes.txt", "--out", "m.onnx"],
      1,
      /notes.txt is not a usable fnn model: not a safetensors checkpoint/,
    ],
    [
      ["export", "--model", "truncated.safetensors", "--out", "m.onnx"],
      1,
      /truncated.safetensors is not a usable fnn model/,
    ],
    [
      ["export", "--model", "damaged.safetensors", "--out", "m.onnx"],
      1,
      /damaged.safetensors is not a usable fnn model/,
    ],
    [
      ["export", "--model", "plain.safetensors", "--out", "m.onnx"],
      1,
      /plain.safetensors is not a usable fnn model: the checkpoint has no "fnn.arch"/,
    ],
    [
      ["export", "--model", "adir.onnx", "--out", "m.onnx"],
      1,
      /cannot read adir.onnx: it is a directory/,
    ],
    [
      ["export", "--model", model, "--out", "missing/m.onnx"],
      1,
      /cannot write missing\/m.onnx: the directory missing does not exist/,
    ],
    [
      ["export", "--model", model, "--out", "adir.onnx"],
      1,
      /cannot write adir.onnx: it is a directory/,
    ],
  ]

  it.each(cases)(
    "fnn %j exits %i with one clear message and writes nothing",
    async (argv, code, message) => {
      const before = readdirSync(d).sort()
      const r = await fnn(d, argv)
      expect(r.code).toBe(code)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^fnn: error: /)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(readdirSync(d).sort()).toEqual(before)
    },
  )
})
