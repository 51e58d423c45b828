import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { Shape } from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { Layer, OnnxError, OnnxOptions, Params } from "../src/index.ts"
import { loadOrt, maxRelativeDifference } from "./ort.ts"
import { readModel } from "./protobuf-reader.ts"
import { layerSummary } from "../src/onnx/export.ts"

const threeBlue1Brown = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))

const exported = (net: Layer, params: Params, options?: OnnxOptions): Uint8Array => {
  const r = nn.toOnnx(net, params, options)
  if (E.isLeft(r)) throw new Error(nn.renderOnnxError(r.left))
  return r.right
}

const failure = (net: Layer, params: Params, options?: OnnxOptions): OnnxError => {
  const r = nn.toOnnx(net, params, options)
  if (E.isRight(r)) throw new Error("expected the export to fail")
  return r.left
}

const littleEndianBytes = (t: T.Tensor): number[] => {
  const out = new Uint8Array(t.size * (t.dtype === "float64" ? 8 : 4))
  const view = new DataView(out.buffer)
  for (let i = 0; i < t.size; i++)
    if (t.dtype === "float64") view.setFloat64(i * 8, Number(t.data[i]), true)
    else view.setFloat32(i * 4, Number(t.data[i]), true)
  return Array.from(out)
}

describe("toOnnx: the model file", () => {
  const [, params] = threeBlue1Brown.init(T.random.key(0), [-1, 784])
  const model = readModel(exported(threeBlue1Brown, params))

  it("states IR version 8 and opset 17 of the default domain, and fnn as its producer", () => {
    expect(model.irVersion).toBe(nn.onnxIrVersion)
    expect(model.irVersion).toBe(8)
    expect(model.opsets).toEqual([{ domain: "", version: 17 }])
    expect(model.producerName).toBe("fnn")
    expect(model.producerVersion).toBe(nn.fnnVersion)
    expect(model.modelVersion).toBe(1)
  })

  it("says which version of fnn made it, the same as the package's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string
    }
    expect(nn.fnnVersion).toBe(pkg.version)
    expect(model.metadata["fnn.version"]).toBe(pkg.version)
  })

  it("carries the architecture and input shape as JSON, and the layers as its description", () => {
    expect(JSON.parse(model.metadata["fnn.arch"]!)).toEqual(nn.describe(threeBlue1Brown))
    expect(JSON.parse(model.metadata["fnn.inputShape"]!)).toEqual([-1, 784])
    expect(model.docString).toBe("Dense(16) → Sigmoid → Dense(16) → Sigmoid → Dense(10)")
  })

  it("has one named input and output with a dynamic batch axis", () => {
    expect(model.graph.inputs).toEqual([{ name: "input", elemType: 1, dims: ["batch", 784] }])
    expect(model.graph.outputs).toEqual([{ name: "output", elemType: 1, dims: ["batch", 10] }])
  })

  it("stores the parameters under their checkpoint names, with their exact bytes", () => {
    const checkpoint = T.safetensors.decode(
      nn.saveCheckpoint({ params, arch: nn.describe(threeBlue1Brown) }),
    )
    if (E.isLeft(checkpoint)) throw new Error("no checkpoint")
    const tensors = checkpoint.right.tensors
    expect(model.graph.initializers.map((t) => t.name).sort()).toEqual(Object.keys(tensors).sort())
    for (const init of model.graph.initializers) {
      const t = tensors[init.name]!
      expect(init.dims).toEqual(t.shape)
      expect(init.dataType).toBe(1)
      expect(Array.from(init.raw)).toEqual(littleEndianBytes(t))
    }
  })

  it("is a chain of MatMul, Add and Sigmoid nodes ending in the output", () => {
    expect(model.graph.nodes.map((n) => n.opType)).toEqual([
      "MatMul",
      "Add",
      "Sigmoid",
      "MatMul",
      "Add",
      "Sigmoid",
      "MatMul",
      "Add",
    ])
    const nodes = model.graph.nodes
    expect(nodes[0]!.inputs).toEqual(["input", "layers.0.w"])
    nodes.slice(1).forEach((n, i) => expect(n.inputs[0]).toBe(nodes[i]!.outputs[0]))
    expect(nodes.at(-1)!.outputs).toEqual(["output"])
    expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length)
  })

  it("writes the same bytes for the same network and parameters", () => {
    const [a, b] = [exported(threeBlue1Brown, params), exported(threeBlue1Brown, params)]
    expect(Buffer.compare(a, b)).toBe(0)
  })

  it("takes the caller's names, description, version and metadata", () => {
    const m = readModel(
      exported(threeBlue1Brown, params, {
        inputName: "pixels",
        outputName: "logits",
        docString: "digits",
        modelVersion: 7,
        metadata: { recipe: "{}" },
      }),
    )
    expect(m.graph.inputs[0]!.name).toBe("pixels")
    expect(m.graph.outputs[0]!.name).toBe("logits")
    expect(m.graph.nodes[0]!.inputs[0]).toBe("pixels")
    expect(m.docString).toBe("digits")
    expect(m.modelVersion).toBe(7)
    expect(m.metadata["recipe"]).toBe("{}")
  })

  it("lists nested layers in parentheses, with their settings", () => {
    const net = nn.serial(nn.Dense(4), nn.serial(nn.Relu, nn.Dropout(0.5)), nn.leakyRelu(0.2))
    expect(layerSummary(nn.describe(net))).toBe("Dense(4) → (Relu → Dropout(0.5)) → LeakyRelu(0.2)")
    expect(layerSummary(nn.describe(nn.serial()))).toBe("identity")
    expect(layerSummary(nn.describe(nn.Tanh))).toBe("Tanh")
  })

  it("makes the first axis the dynamic batch axis even when the input shape fixes it", () => {
    const m = readModel(exported(threeBlue1Brown, params, { inputShape: [3, 784] }))
    expect(m.graph.inputs[0]!.dims).toEqual(["batch", 784])
    expect(m.graph.outputs[0]!.dims).toEqual(["batch", 10])
    expect(m.metadata["fnn.inputShape"]).toBe("[3,784]")
  })

  it("writes the activations' attributes: Softmax's axis, LeakyRelu's slope as a float", () => {
    const net = nn.serial(nn.Dense(3), nn.leakyRelu(0.2), nn.Dense(2), nn.Softmax)
    const [, p] = net.init(T.random.key(1), [-1, 4])
    const m = readModel(exported(net, p))
    const leaky = m.graph.nodes.find((n) => n.opType === "LeakyRelu")!
    expect(leaky.attributes["alpha"]).toEqual({ type: 1, f: Math.fround(0.2) })
    const softmax = m.graph.nodes.find((n) => n.opType === "Softmax")!
    expect(softmax.attributes["axis"]).toEqual({ type: 2, i: -1 })
  })
})

// -------------------------------------------------------------------------------------------
// random networks in ONNX Runtime
// -------------------------------------------------------------------------------------------

const activation: fc.Arbitrary<Layer> = fc.oneof(
  fc.constantFrom(nn.Sigmoid, nn.Relu, nn.Tanh, nn.LeakyRelu, nn.Softmax, nn.LogSoftmax),
  fc.double({ min: -2, max: 2, noNaN: true }).map((s) => nn.leakyRelu(s)),
  fc.double({ min: 0, max: 0.9, noNaN: true }).map((r) => nn.Dropout(r)),
)

const dense: fc.Arbitrary<Layer> = fc.integer({ min: 1, max: 12 }).map((u) => nn.Dense(u))

const block: fc.Arbitrary<Layer> = fc.letrec<{ layer: Layer }>((tie) => ({
  layer: fc.oneof(
    { depthSize: "small" },
    dense,
    activation,
    fc.array(tie("layer"), { maxLength: 3 }).map((ls) => nn.serial(...ls)),
  ),
})).layer

interface Case {
  readonly net: Layer
  readonly inputShape: Shape
  readonly dtype: "float32" | "float64"
  readonly seed: number
  readonly batches: readonly [number, number]
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    // a rank-3 input goes through Flatten, or through Dense layers over its last axis
    flatten: fc.boolean(),
    features: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 2 }),
    layers: fc.array(block, { maxLength: 5 }),
    dtype: fc.constantFrom("float32" as const, "float64" as const),
    seed: fc.nat(),
    batches: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  })
  .map(({ flatten, features, layers, dtype, seed, batches }) => ({
    // a rank-1 input `[batch]` needs Flatten (to `[batch, 1]`) before a Dense
    net: nn.serial(
      ...(flatten || features.length === 0 ? [nn.Flatten] : []),
      ...layers,
      nn.Dense(3),
    ),
    inputShape: [-1, ...features],
    dtype,
    seed,
    batches,
  }))

describe("toOnnx in ONNX Runtime", () => {
  it("computes what apply computes, for random serial stacks and two batch sizes on one file", async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async ({ net, inputShape, dtype, seed, batches }) => {
        const [kp, kx] = T.random.split(T.random.key(seed), 2)
        const [, params] = net.init(kp!, inputShape, { dtype })
        const model = await loadOrt(exported(net, params, { inputShape }))
        for (const [i, batch] of batches.entries()) {
          const x = T.random.normal(T.random.foldIn(kx!, i), [batch, ...inputShape.slice(1)], {
            dtype,
          })
          const expected = net.apply(params, x)
          const actual = await model.run(x)
          expect(maxRelativeDifference(actual, expected)).toBeLessThanOrEqual(
            dtype === "float32" ? 1e-5 : 1e-9,
          )
        }
      }),
      { numRuns: 40 },
    )
  })

  it("runs a network with no node of its own (only Dropout) as the identity", async () => {
    const net = nn.serial(nn.Dropout(0.5), nn.serial())
    const model = await loadOrt(exported(net, [{}, []], { inputShape: [-1, 3] }))
    const x = T.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(Array.from((await model.run(x)).data)).toEqual([1, 2, 3, 4, 5, 6])
    const m = readModel(exported(net, [{}, []], { inputShape: [-1, 3] }))
    expect(m.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual([
      ["Identity", ["input"], ["output"]],
    ])
  })

  it("declares the batch axis as dynamic to ONNX Runtime", async () => {
    const [, params] = threeBlue1Brown.init(T.random.key(0), [-1, 784])
    const model = await loadOrt(exported(threeBlue1Brown, params))
    expect(model.session.inputNames).toEqual(["input"])
    expect(model.session.outputNames).toEqual(["output"])
    expect(model.session.inputMetadata[0]).toMatchObject({ shape: ["batch", 784] })
    expect(model.session.outputMetadata[0]).toMatchObject({ shape: ["batch", 10] })
  })
})

// -------------------------------------------------------------------------------------------
// what cannot be exported
// -------------------------------------------------------------------------------------------

describe("toOnnx: networks it cannot export", () => {
  const [, params] = threeBlue1Brown.init(T.random.key(0), [-1, 784])

  it("names a layer that has no export rule, and where it is", () => {
    const swish: Layer = {
      ...nn.Relu,
      description: { layer: "Swish" } as unknown as nn.LayerDescription,
    }
    const net = nn.serial(nn.Dense(4), nn.serial(nn.Relu, swish))
    const [, p] = net.init(T.random.key(0), [-1, 2])
    const e = failure(net, p)
    expect(e).toEqual({
      _tag: "UnsupportedLayer",
      path: "layers.1.1",
      layer: "Swish",
      reason: "fnn has no ONNX export rule for this kind of layer",
    })
    expect(nn.renderOnnxError(e)).toBe(
      "layer Swish at layers.1.1 cannot be exported to ONNX: fnn has no ONNX export rule for this kind of layer",
    )
  })

  it("names each layer kind it does not export yet, and exports Identity as nothing", () => {
    const image = [-1, 6, 6, 2]
    const cases: ReadonlyArray<readonly [Layer, string, string]> = [
      [nn.Conv(3, 2), "Conv", "layers.1"],
      [nn.MaxPool(2), "MaxPool", "layers.1"],
      [nn.AvgPool(2), "AvgPool", "layers.1"],
      [nn.Reshape([-1, 72]), "Reshape", "layers.1"],
      [nn.LayerNorm(), "LayerNorm", "layers.1"],
      [nn.serial(nn.FanOut(2), nn.parallel(nn.Relu, nn.Tanh), nn.FanInSum), "FanOut", "layers.1.0"],
    ]
    for (const [layer, kind, path] of cases) {
      const net = nn.serial(nn.Identity, layer)
      const [, p] = net.init(T.random.key(0), image)
      const e = failure(net, p, { inputShape: image })
      expect(e).toMatchObject({ _tag: "UnsupportedLayer", layer: kind, path })
      expect(nn.renderOnnxError(e)).toContain(`layer ${kind} at ${path} cannot be exported`)
    }
    const [, p] = nn.serial(nn.Identity, nn.Dense(3)).init(T.random.key(0), [-1, 4])
    const file = exported(nn.serial(nn.Identity, nn.Dense(3)), p, { inputShape: [-1, 4] })
    expect(readModel(file).graph.nodes.map((n) => n.opType)).toEqual(["MatMul", "Add"])
  })

  it("refuses a description that is not a network's", () => {
    const bad: Layer = {
      ...nn.Relu,
      description: { layer: "Dense", units: -2 } as unknown as nn.LayerDescription,
    }
    const e = failure(bad, {}, { inputShape: [-1, 2] })
    expect(e._tag).toBe("InvalidArchitecture")
    expect(nn.renderOnnxError(e)).toMatch(/units expected positive integer but found -2/)
  })

  it("names the layer whose parameters do not fit", () => {
    const other = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(12), nn.Sigmoid, nn.Dense(10))
    const [, p] = other.init(T.random.key(0), [-1, 784])
    const e = failure(threeBlue1Brown, p)
    expect(e).toMatchObject({ _tag: "ParamsMismatch", path: "layers.2" })
    expect(nn.renderOnnxError(e)).toBe(
      "the parameters of layers.2 do not fit the network: w has shape [16, 12], expected [16, 16]",
    )
    expect(failure(threeBlue1Brown, [params[0]])).toMatchObject({
      _tag: "ParamsMismatch",
      path: "layers",
    })
    expect(failure(threeBlue1Brown, 5 as unknown as Params)._tag).toBe("ParamsMismatch")
    expect(failure(nn.Dense(3), { w: T.zeros([2, 3]) }, { inputShape: [-1, 2] })).toMatchObject({
      _tag: "ParamsMismatch",
      reason: "expected a tensor b of shape [3]",
    })
  })

  it("takes float32 or float64 parameters of one dtype only", () => {
    const [, p64] = threeBlue1Brown.init(T.random.key(0), [-1, 784], { dtype: "float64" })
    const mixed = [params[0], params[1], p64[2], params[3], params[4]] as unknown as Params
    expect(failure(threeBlue1Brown, mixed)).toEqual({
      _tag: "UnsupportedDtype",
      path: "layers.2.b",
      dtype: "float64",
    })
    const ints = nn.Dense(2)
    const e = failure(ints, {
      w: T.zeros([2, 2], { dtype: "int32" }),
      b: T.zeros([2], { dtype: "int32" }),
    })
    expect(e).toMatchObject({ _tag: "UnsupportedDtype", dtype: "int32" })
    expect(nn.renderOnnxError(e)).toMatch(/float32 or float64/)
  })

  it("needs an input shape the network takes, with only the batch axis unknown", () => {
    expect(failure(nn.serial(nn.Relu), [{}])).toMatchObject({
      _tag: "InvalidInputShape",
      reason: expect.stringMatching(/no Dense layer/) as unknown,
    })
    for (const inputShape of [[], [-1, -1], [-1, 0], [-2, 3]] as Shape[])
      expect(failure(threeBlue1Brown, params, { inputShape })._tag).toBe("InvalidInputShape")
    expect(failure(threeBlue1Brown, params, { inputShape: [-1, 28, 28] })).toMatchObject({
      _tag: "ParamsMismatch",
      path: "layers.0",
    })
  })

  it("throws for options of the wrong form, naming the option, as every fnn function does", () => {
    const cases: ReadonlyArray<[OnnxOptions, RegExp]> = [
      [{ inputName: "" }, /inputName must be a non-empty string/],
      [{ outputName: 3 as unknown as string }, /outputName must be a non-empty string/],
      [{ inputName: "x", outputName: "x" }, /inputName and outputName must differ/],
      [{ outputName: "input" }, /inputName and outputName must differ/],
      [{ modelVersion: -1 }, /modelVersion must be a non-negative integer/],
      [{ modelVersion: 1.5 }, /modelVersion must be a non-negative integer/],
      [{ metadata: { "fnn.arch": "{}" } }, /metadata must be .*"fnn\.arch"/],
      [{ metadata: { n: 3 as unknown as string } }, /metadata must be a record of strings/],
      [{ inputShape: 784 as unknown as Shape }, /inputShape must be an array of integers/],
      [{ inputShape: [-1, 0.5] }, /inputShape must be an integer or an array of integers/],
      [{ docString: null as unknown as string }, /docString must be a string/],
      [
        { inputname: "x" } as OnnxOptions,
        /unknown option "inputname" \(did you mean "inputName"\?\)/,
      ],
    ]
    for (const [options, message] of cases) {
      let error: unknown
      try {
        nn.toOnnx(threeBlue1Brown, params, options)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(T.TensorError)
      expect((error as T.TensorError).op).toBe("toOnnx")
      expect((error as Error).message).toMatch(message)
    }
  })

  it("never throws, whatever the parameters", () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        expect(E.isLeft(nn.toOnnx(threeBlue1Brown, junk as Params))).toBe(true)
      }),
    )
  })
})
