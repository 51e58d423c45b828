/**
 * The exported files and the README's PyTorch lines, checked with Python tools when the machine
 * has them (Debian's python3-onnx and python3-torch); each test says in its name why it is
 * skipped otherwise.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { Layer } from "../src/index.ts"

const python = "/usr/bin/python3"

const has = (module: string): boolean =>
  spawnSync(python, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0

const hasOnnx = has("onnx")
const hasTorch = has("torch")

const named = (title: string, ok: boolean, module: string): string =>
  ok ? title : `${title} (skipped: ${python} -c "import ${module}" fails on this machine)`

const dir = mkdtempSync(join(tmpdir(), "fnn-onnx-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const runPython = (code: string, cwd: string): string => {
  const r = spawnSync(python, ["-c", code], { cwd, encoding: "utf8", timeout: 120_000 })
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`)
  return r.stdout
}

const networks: ReadonlyArray<
  readonly [string, Layer, ReadonlyArray<number>, "float32" | "float64"]
> = [
  [
    "3Blue1Brown",
    nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10)),
    [-1, 784],
    "float32",
  ],
  [
    "every layer",
    nn.serial(
      nn.Flatten,
      nn.Dense(12),
      nn.Relu,
      nn.Dropout(0.5),
      nn.Dense(8),
      nn.leakyRelu(0.2),
      nn.Dense(6),
      nn.Tanh,
      nn.Dense(5),
      nn.Softmax,
      nn.Dense(4),
      nn.LogSoftmax,
    ),
    [-1, 3, 4],
    "float64",
  ],
]

describe("onnx.checker", () => {
  it.skipIf(!hasOnnx)(
    named("accepts the exported files and reads their opset, shapes and metadata", hasOnnx, "onnx"),
    () => {
      for (const [name, net, inputShape, dtype] of networks) {
        const [, params] = net.init(T.random.key(0), inputShape, { dtype })
        const bytes = nn.toOnnx(net, params, { inputShape })
        if (E.isLeft(bytes)) throw new Error(nn.renderOnnxError(bytes.left))
        const file = `${name.replace(/\W/g, "_")}.onnx`
        writeFileSync(join(dir, file), bytes.right)
        const out = runPython(
          [
            "import json, sys, onnx",
            `m = onnx.load(${JSON.stringify(file)})`,
            "onnx.checker.check_model(m, full_check=True)",
            "dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]",
            "print(json.dumps({'ir': m.ir_version, 'opset': [[o.domain, o.version] for o in m.opset_import],",
            "  'input': [v.name for v in m.graph.input], 'inputDims': dims(m.graph.input[0]),",
            "  'outputDims': dims(m.graph.output[0]), 'elem': m.graph.input[0].type.tensor_type.elem_type,",
            "  'meta': {p.key: p.value for p in m.metadata_props}, 'producer': m.producer_name}))",
          ].join("\n"),
          dir,
        )
        const read = JSON.parse(out) as Record<string, unknown>
        expect(read).toEqual({
          ir: 8,
          opset: [["", 17]],
          input: ["input"],
          inputDims: ["batch", ...inputShape.slice(1)],
          outputDims: ["batch", ...net.outputShape(inputShape).slice(1)],
          elem: dtype === "float32" ? 1 : 11,
          meta: {
            "fnn.arch": JSON.stringify(nn.describe(net)),
            "fnn.inputShape": JSON.stringify(inputShape),
            "fnn.version": nn.fnnVersion,
          },
          producer: "fnn",
        })
      }
    },
    120_000,
  )
})

/** The README's Python block that loads an fnn checkpoint into PyTorch. */
const readmePython = (): string => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")
  const section = readme.slice(readme.indexOf("## Taking a model elsewhere"))
  const block = /```python\n([\s\S]*?)```/.exec(section)
  if (block === null)
    throw new Error("the README has no Python block under 'Taking a model elsewhere'")
  return block[1]!
}

const bytesOf = (t: Tensor): Uint8Array =>
  new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)

describe("the README's PyTorch lines", () => {
  it("are in the README and load fnn's names and layout", () => {
    const code = readmePython()
    expect(code).toContain('\nmodel = load_fnn("model.safetensors")\n')
    expect(code).toContain('tensor(f"layers.{i}.w")')
    expect(code).toContain("w.T")
  })

  it.skipIf(!hasTorch)(
    named(
      "rebuild fnn's networks in PyTorch, which computes what apply computes",
      hasTorch,
      "torch",
    ),
    () => {
      for (const [name, net, inputShape, dtype] of networks) {
        const [kp, kx] = T.random.split(T.random.key(3), 2)
        const [, params] = net.init(kp!, inputShape, { dtype })
        const cwd = mkdtempSync(join(dir, `${name.replace(/\W/g, "_")}-`))
        writeFileSync(
          join(cwd, "model.safetensors"),
          nn.saveCheckpoint({ params, arch: nn.describe(net), inputShape }),
        )
        const x = T.random.uniform(kx!, [7, ...inputShape.slice(1)], { dtype })
        writeFileSync(join(cwd, "x.bin"), bytesOf(x))
        const torchType = dtype === "float32" ? "torch.float32" : "torch.float64"
        runPython(
          [
            // the README's own lines after the function take MNIST's 784 pixels in float32
            name === "3Blue1Brown" ? readmePython() : readmePython().split("\nmodel = ")[0]!,
            'model = load_fnn("model.safetensors")',
            `x = torch.frombuffer(bytearray(open("x.bin", "rb").read()), dtype=${torchType}).reshape(${JSON.stringify(x.shape)})`,
            'open("y.bin", "wb").write(model(x).detach().contiguous().numpy().tobytes())',
          ].join("\n"),
          cwd,
        )
        const raw = readFileSync(join(cwd, "y.bin"))
        const expected = net.apply(params, x)
        const actual =
          dtype === "float32"
            ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)
            : new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8)
        expect(actual.length).toBe(expected.size)
        for (let i = 0; i < actual.length; i++)
          expect(Math.abs(actual[i]! - Number(expected.data[i]))).toBeLessThanOrEqual(
            dtype === "float32" ? 1e-5 : 1e-12,
          )
      }
    },
    180_000,
  )
})
