import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { Checkpoint, CheckpointError, Params } from "../src/index.ts"
import { bitsEqual, treesBitsEqual } from "./helpers.ts"

const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
const [, params] = net.init(T.random.key(0), [-1, 784])
const x = T.random.uniform(T.random.key(1), [8, 784])

const loaded = (bytes: Uint8Array): Checkpoint => {
  const r = nn.loadCheckpoint(bytes)
  if (E.isLeft(r)) throw new Error(nn.renderCheckpointError(r.left))
  return r.right
}

const failure = (bytes: Uint8Array): CheckpointError => {
  const r = nn.loadCheckpoint(bytes)
  if (E.isRight(r)) throw new Error("expected the checkpoint to be refused")
  expect(typeof nn.renderCheckpointError(r.left)).toBe("string")
  return r.left
}

/** The raw tensors and metadata of a checkpoint, to tamper with. */
const raw = (bytes: Uint8Array) => {
  const r = T.safetensors.decode(bytes)
  if (E.isLeft(r)) throw new Error("not safetensors")
  return { tensors: { ...r.right.tensors }, metadata: { ...r.right.metadata } }
}

const bytes = nn.saveCheckpoint({
  params,
  arch: nn.describe(net),
  meta: { epochs: "20", note: "é" },
})

describe("a saved model", () => {
  it("loads with bitwise equal parameters and predicts exactly as before", () => {
    const c = loaded(bytes)
    expect(treesBitsEqual(c.params, params)).toBe(true)
    expect(c.arch).toEqual(nn.describe(net))
    expect(c.meta).toEqual({ epochs: "20", note: "é" })
    expect(c.inputShape).toEqual([-1, 784])
    expect(c.optState).toBeUndefined()
    expect(bitsEqual(c.net.apply(c.params, x), net.apply(params, x))).toBe(true)
    expect(bitsEqual(nn.predict(c.net, c.params, x), nn.predict(net, params, x))).toBe(true)
  })

  it("names its tensors by path and keeps the architecture in __metadata__", () => {
    const { tensors, metadata } = raw(bytes)
    expect(Object.keys(tensors).sort()).toEqual(
      ["layers.0.b", "layers.0.w", "layers.2.b", "layers.2.w", "layers.4.b", "layers.4.w"].sort(),
    )
    expect(JSON.parse(metadata["fnn.arch"]!)).toEqual(nn.describe(net))
    expect(metadata["fnn.inputShape"]).toBe("[-1,784]")
    expect(metadata["epochs"]).toBe("20")
  })

  it("round-trips random architectures, float64 parameters and optimizer states", () => {
    const arbDense = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 })
    fc.assert(
      fc.property(arbDense, fc.integer({ min: 1, max: 4 }), fc.boolean(), (units, inputs, f64) => {
        const layers = units.flatMap((u) => [nn.Dense(u), nn.Tanh])
        const model = nn.serial(nn.Flatten, nn.serial(...layers), nn.Dropout(0.1))
        const [, p] = model.init(T.random.key(units.length), [-1, inputs], {
          dtype: f64 ? "float64" : "float32",
        })
        const opt = nn.chain(nn.clipByGlobalNorm(1), nn.adamw(0.01))
        const [, optState] = opt.update(p, opt.init(p), p)
        const c = loaded(nn.saveCheckpoint({ params: p, arch: nn.describe(model), optState }))
        expect(treesBitsEqual(c.params, p)).toBe(true)
        expect(T.tree.structureEquals(c.params as T.tree.Tree, p as T.tree.Tree)).toBe(true)
        expect(c.optState).toBeDefined()
        const s = c.optState as typeof optState
        expect(s[1][0].count).toBe(1)
        expect(s[1][2].count).toBe(1)
        expect(treesBitsEqual(s[1][0].mu, optState[1][0].mu)).toBe(true)
        expect(treesBitsEqual(s[1][0].nu, optState[1][0].nu)).toBe(true)
        const xi = T.random.normal(T.random.key(3), [2, inputs], {
          dtype: f64 ? "float64" : "float32",
        })
        expect(bitsEqual(c.net.apply(c.params, xi), model.apply(p, xi))).toBe(true)
      }),
      { numRuns: 25 },
    )
  })

  it("resumes training exactly where it stopped", () => {
    const small = nn.serial(nn.Dense(5), nn.Relu, nn.Dense(3))
    const [, p0] = small.init(T.random.key(0), [-1, 4])
    const xs = T.random.normal(T.random.key(1), [16, 4])
    const ys = T.random.randint(T.random.key(2), [16], 0, 3)
    const optimizer = nn.chain(
      nn.weightDecay(1e-4),
      nn.momentum(nn.oneCycle(10, 0.3), { nesterov: true }),
    )
    const step = nn.trainStep({ net: small, loss: nn.softmaxCrossEntropy, optimizer })
    let straight = nn.trainState(p0, optimizer)
    for (let i = 0; i < 10; i++) straight = step(straight, { x: xs, y: ys }).state

    let first = nn.trainState(p0, optimizer)
    for (let i = 0; i < 4; i++) first = step(first, { x: xs, y: ys }).state
    const saved = nn.saveCheckpoint({
      params: first.params,
      arch: nn.describe(small),
      optState: first.optState,
      meta: { step: String(first.step) },
    })
    const c = loaded(saved)
    let resumed = {
      params: c.params as typeof p0,
      optState: c.optState as typeof first.optState,
      step: Number(c.meta["step"]),
    }
    for (let i = 4; i < 10; i++) resumed = step(resumed, { x: xs, y: ys }).state
    expect(treesBitsEqual(resumed.params, straight.params)).toBe(true)
    expect(resumed.step).toBe(10)
  })

  it("stores numbers that JSON cannot hold and keys that look like markers", () => {
    const state = {
      count: Number.NaN,
      $tensor: 3,
      inf: [Infinity, -Infinity],
      t: T.tensor([1, 2]),
      none: null,
    }
    const c = loaded(nn.saveCheckpoint({ params, arch: nn.describe(net), optState: state }))
    const s = c.optState as typeof state
    expect(s.count).toBeNaN()
    expect(s.$tensor).toBe(3)
    expect(s.inf).toEqual([Infinity, -Infinity])
    expect(s.none).toBeNull()
    expect(bitsEqual(s.t, state.t)).toBe(true)
  })
})

describe("saveCheckpoint refuses what it could not load", () => {
  it("parameters that do not fit the architecture, reserved keys, bad states", () => {
    const arch = nn.describe(net)
    const wrong = [params[0], params[1], params[0], params[3], params[4]] as unknown as Params
    expect(() => nn.saveCheckpoint({ params: wrong, arch })).toThrow(
      /layers\.2\.w.*\[784, 16\].*\[16, 16\]/,
    )
    expect(() => nn.saveCheckpoint({ params, arch, meta: { "fnn.arch": "x" } })).toThrow(/reserved/)
    expect(() => nn.saveCheckpoint({ params, arch: { layer: "Dense", units: 0 } })).toThrow(/units/)
    expect(() => nn.saveCheckpoint({ params, arch, optState: { f: (() => 1) as never } })).toThrow(
      /optState/,
    )
  })
})

describe("loadCheckpoint never throws", () => {
  it("gives Left for every truncation", () => {
    for (let n = 0; n < bytes.length; n += n < 400 ? 1 : 997) {
      const e = failure(bytes.subarray(0, n))
      expect(e._tag).toBe("NotSafetensors")
    }
  })

  it("survives random byte flips (Left, or Right with a consistent model)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (flips) => {
          const b = bytes.slice()
          for (const [i, v] of flips) b[i] = b[i]! ^ v
          const r = nn.loadCheckpoint(b)
          if (E.isLeft(r)) expect(typeof nn.renderCheckpointError(r.left)).toBe("string")
          else expect(r.right.net.apply(r.right.params, x).shape).toEqual([8, 10])
        },
      ),
      { numRuns: 300 },
    )
  })

  it("flips in the header are caught", () => {
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 8 + headerLength - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (i, v) => {
          const b = bytes.slice()
          b[i] = b[i]! ^ v
          const r = nn.loadCheckpoint(b)
          if (E.isRight(r)) expect(r.right.net.apply(r.right.params, x).rank).toBe(2)
        },
      ),
      { numRuns: 300 },
    )
  })

  it("reports wrong architecture JSON", () => {
    const { tensors, metadata } = raw(bytes)
    const withArch = (arch: string) =>
      T.safetensors.encode(tensors, { ...metadata, "fnn.arch": arch })
    expect(failure(withArch("{not json"))).toMatchObject({
      _tag: "MetadataNotJson",
      key: "fnn.arch",
    })
    const e = failure(withArch(JSON.stringify({ layer: "Serial", layers: [{ layer: "Dense" }] })))
    expect(e).toMatchObject({ _tag: "InvalidArchitecture" })
    expect(nn.renderCheckpointError(e)).toMatch(/layers\[0\]\.units/)
    const { "fnn.arch": _, ...noArch } = metadata
    expect(failure(T.safetensors.encode(tensors, noArch))).toEqual({
      _tag: "MissingMetadata",
      key: "fnn.arch",
    })
    expect(failure(T.safetensors.encode(tensors, { ...metadata, "fnn.version": "99" }))._tag).toBe(
      "UnsupportedVersion",
    )
    expect(
      failure(T.safetensors.encode(tensors, { ...metadata, "fnn.inputShape": "[]" }))._tag,
    ).toBe("InvalidInputShape")
  })

  it("names every tensor that is missing, extra, of the wrong shape or dtype", () => {
    const { tensors, metadata } = raw(bytes)
    const { "layers.2.b": _, ...rest } = tensors
    const bad: Record<string, Tensor> = {
      ...rest,
      "layers.0.w": T.zeros([784, 17]),
      "layers.4.b": T.zeros([10], { dtype: "float64" }),
      "layers.9.w": T.zeros([2]),
    }
    const e = failure(T.safetensors.encode(bad, metadata))
    expect(e._tag).toBe("TensorMismatch")
    if (e._tag !== "TensorMismatch") return
    expect(e.mismatches).toEqual(
      expect.arrayContaining([
        { _tag: "WrongShape", name: "layers.0.w", expected: [784, 16], actual: [784, 17] },
        {
          _tag: "MissingTensor",
          name: "layers.2.b",
          expectedShape: [16],
          expectedDtype: "float32",
        },
        { _tag: "WrongDtype", name: "layers.4.b", expected: "float32", actual: "float64" },
        { _tag: "UnexpectedTensor", name: "layers.9.w", shape: [2], dtype: "float32" },
      ]),
    )
    expect(e.mismatches).toHaveLength(4)
    expect(nn.renderCheckpointError(e)).toContain(
      'tensor "layers.0.w" has shape [784, 17] but the architecture needs [784, 16]',
    )
  })

  it("checks the optimizer state's references", () => {
    const opt = nn.adam(0.1)
    const saved = nn.saveCheckpoint({ params, arch: nn.describe(net), optState: opt.init(params) })
    const { tensors, metadata } = raw(saved)
    const names = Object.keys(tensors).filter((n) => n.startsWith("opt."))
    expect(names).toContain("opt.0.mu.0.w")
    const { [names[0]!]: _, ...missing } = tensors
    expect(failure(T.safetensors.encode(missing, metadata))._tag).toBe("TensorMismatch")
    const extra = { ...tensors, "opt.stray": T.zeros([1]) }
    expect(failure(T.safetensors.encode(extra, metadata))).toMatchObject({
      _tag: "TensorMismatch",
      mismatches: [{ _tag: "UnexpectedTensor", name: "opt.stray" }],
    })
    const twice = JSON.stringify([{ $tensor: names[0] }, { $tensor: names[0] }])
    expect(
      failure(T.safetensors.encode(tensors, { ...metadata, "fnn.optState": twice }))._tag,
    ).toBe("InvalidOptState")
    const notRef = JSON.stringify({ $tensor: "layers.0.w" })
    expect(
      failure(T.safetensors.encode(tensors, { ...metadata, "fnn.optState": notRef }))._tag,
    ).toBe("InvalidOptState")
  })

  it("reads a checkpoint without fnn.inputShape by the first weight", () => {
    const { tensors, metadata } = raw(bytes)
    const { "fnn.inputShape": _, ...rest } = metadata
    const c = loaded(T.safetensors.encode(tensors, rest))
    expect(c.inputShape).toEqual([-1, 784])
  })

  it("gives Left for garbage", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        failure(b)
      }),
      { numRuns: 200 },
    )
  })
})
