import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { Layer } from "../src/index.ts"
import { bitsEqual, treesBitsEqual } from "./helpers.ts"

const arbInit: fc.Arbitrary<nn.Initializer> = fc.oneof(
  fc.constantFrom(
    nn.glorotUniform,
    nn.glorotNormal,
    nn.heNormal,
    nn.heUniform,
    nn.lecunNormal,
    nn.zeros,
    nn.ones,
  ),
  fc.oneof(fc.constant(-0), fc.double({ min: 0, max: 1, noNaN: true })).map((s) => nn.normal(s)),
  fc
    .oneof(fc.constant(-0), fc.double({ min: -1, max: 1, noNaN: true }))
    .map((v) => nn.constantInit(v)),
  fc.double({ min: 0.01, max: 1, noNaN: true }).map((s) => nn.uniform(s)),
)

const arbNet: fc.Arbitrary<Layer> = fc.letrec<{ layer: Layer }>((tie) => ({
  layer: fc.oneof(
    { depthSize: "small" },
    fc
      .tuple(
        fc.integer({ min: 1, max: 5 }),
        fc.option(arbInit, { nil: undefined }),
        fc.option(arbInit, { nil: undefined }),
      )
      .map(
        ([u, init, biasInit]) =>
          nn.Dense(u, {
            ...(init === undefined ? {} : { init }),
            ...(biasInit === undefined ? {} : { biasInit }),
          }) as Layer,
      ),
    fc.constantFrom<Layer>(
      nn.Sigmoid,
      nn.Relu,
      nn.Tanh,
      nn.Softmax,
      nn.LogSoftmax,
      nn.Flatten,
      nn.LeakyRelu,
    ),
    fc
      .oneof(fc.constant(-0), fc.double({ min: -1, max: 1, noNaN: true }))
      .map((s) => nn.leakyRelu(s)),
    fc.double({ min: 0, max: 0.99, noNaN: true }).map((r) => nn.Dropout(r)),
    fc.array(tie("layer"), { maxLength: 4 }).map((ls) => nn.serial(...ls) as Layer),
  ),
})).layer

describe("describe and fromDescription", () => {
  it("round-trip through JSON: same description, same parameters from a key, same function", () => {
    fc.assert(
      fc.property(arbNet, fc.integer({ min: 1, max: 4 }), (net, inputs) => {
        const json: unknown = JSON.parse(JSON.stringify(nn.describe(net)))
        const rebuilt = nn.fromDescription(json)
        if (E.isLeft(rebuilt)) throw new Error(nn.renderDescriptionError(rebuilt.left))
        expect(nn.describe(rebuilt.right)).toEqual(nn.describe(net))
        const [s1, p1] = net.init(T.random.key(9), [-1, inputs])
        const [s2, p2] = rebuilt.right.init(T.random.key(9), [-1, inputs])
        expect(s2).toEqual(s1)
        expect(treesBitsEqual(p1, p2)).toBe(true)
        const x = T.random.normal(T.random.key(1), [2, inputs])
        expect(bitsEqual(rebuilt.right.apply(p1, x), net.apply(p1, x))).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it("describes the 3Blue1Brown network as plain JSON", () => {
    const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(10))
    expect(nn.describe(net)).toEqual({
      layer: "Serial",
      layers: [
        { layer: "Dense", units: 16, init: { name: "glorotUniform" }, biasInit: { name: "zeros" } },
        { layer: "Sigmoid" },
        { layer: "Dense", units: 10, init: { name: "glorotUniform" }, biasInit: { name: "zeros" } },
      ],
    })
    // a custom initializer is left out
    const custom = nn.Dense(3, { init: (k, s, d) => nn.ones(k, s, d) })
    expect(nn.describe(custom)).toEqual({ layer: "Dense", units: 3, biasInit: { name: "zeros" } })
  })

  it("reports what is wrong and where", () => {
    const problems = (u: unknown) => {
      const r = nn.decodeDescription(u)
      if (E.isRight(r)) throw new Error("expected a Left")
      return r.left._tag === "InvalidDescription" ? r.left.problems : []
    }
    expect(problems({ layer: "Dense", units: 0 })).toEqual([
      { path: "units", expected: "positive integer", actual: "0" },
    ])
    expect(
      problems({ layer: "Serial", layers: [{ layer: "Sigmoid" }, { layer: "Conv3x3" }] }),
    ).toEqual([
      {
        path: "layers[1].layer",
        expected: expect.stringContaining('"Dense"') as unknown,
        actual: '"Conv3x3"',
      },
    ])
    expect(problems({ layer: "Dropout", rate: 1, extra: true })).toEqual([
      { path: "rate", expected: "number in [0, 1)", actual: "1" },
      { path: "extra", expected: "no such field", actual: "true" },
    ])
    expect(problems({ layer: "Dense", units: 3, init: { name: "normal" } })).toEqual([
      { path: "init.std", expected: "finite number ≥ 0", actual: "nothing" },
    ])
    expect(problems([1, 2])[0]?.expected).toBe("layer object { layer, … }")
    const msg = nn.renderDescriptionError({
      _tag: "InvalidDescription",
      problems: problems({ layer: "Dense", units: 1.5 }),
      total: 1,
    })
    expect(msg).toBe(
      "the network description is invalid: at units expected positive integer but found 1.5",
    )
  })

  it("refuses nesting deeper than the limit without overflowing the stack", () => {
    let d: unknown = { layer: "Sigmoid" }
    for (let i = 0; i < 10_000; i++) d = { layer: "Serial", layers: [d] }
    const r = nn.decodeDescription(d)
    expect(E.isLeft(r) && r.left._tag).toBe("NestedTooDeep")
    if (E.isLeft(r)) expect(nn.renderDescriptionError(r.left)).toMatch(/more than 64 deep/)
  })

  it("never throws, whatever the JSON", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (u) => {
        const r = nn.fromDescription(u)
        if (E.isLeft(r)) expect(typeof nn.renderDescriptionError(r.left)).toBe("string")
      }),
      { numRuns: 300 },
    )
  })
})
