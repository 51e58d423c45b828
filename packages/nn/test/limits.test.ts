import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import * as nn from "../src/index.ts"

const problemsOf = (u: unknown): ReadonlyArray<nn.DescriptionProblem> => {
  const r = nn.decodeDescription(u)
  return E.isLeft(r) && r.left._tag === "InvalidDescription" ? r.left.problems : []
}

/** A checkpoint of nothing but metadata: what a hostile file can claim without any tensor. */
const claiming = (arch: string): Uint8Array =>
  T.safetensors.encode({}, { "fnn.arch": arch, "fnn.inputShape": "[-1,784]", "fnn.version": "1" })

const timed = <A>(f: () => A): { readonly value: A; readonly ms: number } => {
  const began = performance.now()
  const value = f()
  return { value, ms: performance.now() - began }
}

describe("a description is untrusted input", () => {
  const inherited = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]

  it("has no fields that objects inherit: constructor, __proto__, toString …", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...inherited),
        fc.constantFrom(
          '{"layer":"Dense","units":3',
          '{"layer":"Sigmoid"',
          '{"layer":"LeakyRelu","slope":0.1',
          '{"layer":"Serial","layers":[]',
          '{"layer":"Dense","units":3,"init":{"name":"zeros"',
        ),
        (field, start) => {
          const closing = start.includes('"init"') ? "}}" : "}"
          // JSON.parse makes even "__proto__" an own key, as a file's JSON would be
          const u: unknown = JSON.parse(`${start},${JSON.stringify(field)}:1${closing}`)
          expect(problemsOf(u)).toContainEqual(
            expect.objectContaining({ expected: "no such field", actual: "1" }),
          )
        },
      ),
      { seed: 21, numRuns: 50 },
    )
  })

  it("refuses more layers than the limit before looking at any of them", () => {
    const layers: unknown[] = new Array(10_000_000)
    const { value, ms } = timed(() => nn.decodeDescription({ layer: "Serial", layers }))
    expect(ms).toBeLessThan(100)
    expect(value).toEqual(
      E.left({
        _tag: "TooLarge",
        what: "layers",
        path: "layers",
        limit: nn.descriptionLimits.layers,
        actual: 10_000_001,
      }),
    )
    if (E.isLeft(value))
      expect(nn.renderDescriptionError(value.left)).toBe(
        "the network description asks for 10000001 layers (at layers); the limit is 1024",
      )
  })

  it("counts layers across nested Serials: exactly the limit passes, one more does not", () => {
    const tanhs = (n: number) => Array.from({ length: n }, () => ({ layer: "Tanh" }))
    const at = (n: number) => ({
      layer: "Serial",
      layers: [{ layer: "Serial", layers: tanhs(n - 2) }],
    })
    expect(E.isRight(nn.decodeDescription(at(nn.descriptionLimits.layers)))).toBe(true)
    const over = nn.decodeDescription(at(nn.descriptionLimits.layers + 1))
    expect(E.isLeft(over) && over.left._tag).toBe("TooLarge")
  })

  it("refuses a Dense wider than the unit limit, naming the field", () => {
    const r = nn.decodeDescription({
      layer: "Serial",
      layers: [{ layer: "Dense", units: nn.descriptionLimits.units + 1 }],
    })
    expect(r).toEqual(
      E.left({
        _tag: "TooLarge",
        what: "units",
        path: "layers[0].units",
        limit: 1_048_576,
        actual: 1_048_577,
      }),
    )
  })

  it("refuses a Conv with more output channels than the unit limit, naming the field", () => {
    const conv = nn.describe(nn.Conv(4, 3))
    const r = nn.decodeDescription({
      layer: "Serial",
      layers: [{ ...conv, outChannels: nn.descriptionLimits.units + 1 }],
    })
    expect(r).toEqual(
      E.left({
        _tag: "TooLarge",
        what: "units",
        path: "layers[0].outChannels",
        limit: 1_048_576,
        actual: 1_048_577,
      }),
    )
    expect(E.isRight(nn.decodeDescription({ layer: "Serial", layers: [conv] }))).toBe(true)
  })

  it("keeps the first problems and counts the rest", () => {
    const r = nn.decodeDescription({
      layer: "Serial",
      layers: Array.from({ length: 1000 }, () => ({})),
    })
    expect(E.isLeft(r) && r.left._tag === "InvalidDescription" && r.left.total).toBe(1000)
    expect(
      problemsOf({ layer: "Serial", layers: Array.from({ length: 1000 }, () => 0) }),
    ).toHaveLength(20)
    if (E.isLeft(r)) expect(nn.renderDescriptionError(r.left)).toMatch(/; and 997 more$/)
  })
})

describe("a checkpoint's claims are bounded before anything is built", () => {
  it("refuses ten million layers in a 30 MB fnn.arch before parsing it", () => {
    const bytes = claiming(`{"layer":"Serial","layers":[${"{},".repeat(10_000_000)}{}]}`)
    const { value, ms } = timed(() => nn.loadCheckpoint(bytes))
    expect(ms).toBeLessThan(3000)
    expect(E.isLeft(value) && value.left._tag).toBe("MetadataTooComplex")
    if (E.isLeft(value))
      expect(nn.renderCheckpointError(value.left)).toBe(
        'the __metadata__ entry "fnn.arch" is too large to parse: it holds more than 1000000 JSON values',
      )
  })

  it("refuses a hundred thousand Tanh layers at once", () => {
    const bytes = claiming(
      JSON.stringify({
        layer: "Serial",
        layers: Array.from({ length: 100_000 }, () => ({ layer: "Tanh" })),
      }),
    )
    const { value, ms } = timed(() => nn.loadCheckpoint(bytes))
    expect(ms).toBeLessThan(1000)
    expect(
      E.isLeft(value) && value.left._tag === "InvalidArchitecture" && value.left.error,
    ).toMatchObject({
      _tag: "TooLarge",
      what: "layers",
    })
  })

  it("refuses an architecture with more parameters than the limit, whatever the tensors", () => {
    const wide = { layer: "Dense", units: 1_000_000 }
    const arch = JSON.stringify({
      layer: "Serial",
      layers: [wide, wide, { layer: "Dense", units: 10 }],
    })
    const r = nn.loadCheckpoint(claiming(arch))
    expect(E.isLeft(r) && r.left._tag === "InvalidArchitecture" && r.left.error).toEqual({
      _tag: "TooLarge",
      what: "parameters",
      path: "",
      limit: 100_000_000,
      actual: 784 * 1e6 + 1e6 + 1e12 + 1e6 + 1e7 + 10,
    })
    if (E.isLeft(r))
      expect(nn.renderCheckpointError(r.left)).toMatch(
        /asks for 1000796000010 parameters; the limit is 100000000$/,
      )
  })
})
