/**
 * The WebAssembly elementwise kernels against the reference kernels: bit for bit on every layout
 * the module takes (whole operands, scalars, rows and columns of a broadcast) and every one it
 * leaves to the reference (other broadcasts, other dtypes, short arrays), on float32 values that
 * include NaN, ±∞, ±0, subnormals and ties.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { DType } from "../src/index.ts"
import { Tensor, TensorError } from "../src/index.ts"
import { referenceKernels } from "../src/kernels/index.ts"
import { wasmApi } from "../src/kernels/wasm/api.ts"
import type { ElementwisePrimitive } from "../src/kernels/wasm/elementwise.ts"
import { wasmElementwise } from "../src/kernels/wasm/elementwise.ts"
import { count, make, sameBits } from "./reference.ts"
import { recordingMemories } from "./wasm-support.ts"

const api = wasmApi()!
/** Every call long enough for the module, so small cases test it too. */
const kernels = wasmElementwise(api, { minElements: 0 })!

const binaryPrims = ["add", "sub", "mul", "div", "greater", "greaterEqual", "equal"] as const

/** float32 values: anything (subnormals, NaN, ±∞ included), ties, and the special values. */
const f32Arb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.float(), weight: 6 },
  { arbitrary: fc.constantFrom(-1, -0, 0, 0.5, 2), weight: 2 },
  {
    arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e-45, -1.2e-40, 3.4028234663852886e38),
    weight: 1,
  },
)

const valuesArb = (d: DType): fc.Arbitrary<number> =>
  d === "float32" ? f32Arb : d === "int32" ? fc.integer() : fc.double()

const tensorOf = (d: DType, shape: ReadonlyArray<number>): fc.Arbitrary<Tensor> =>
  fc
    .array(valuesArb(d), { minLength: count(shape), maxLength: count(shape) })
    .map((vs) => make(d, shape, vs))

/** Lengths around a vector (4), two (8), a whole run (64) and beyond. */
const lengthArb = fc.oneof(
  fc.integer({ min: 1, max: 9 }),
  fc.integer({ min: 60, max: 70 }),
  fc.integer({ min: 1, max: 300 }),
)

/**
 * A full shape and a smaller one broadcasting into it: the same shape, a scalar, a row vector
 * (`[r, n] ⊕ [n]`), a column (`[r, n] ⊕ [r, 1]`), or both stretched (`[r, 1] ⊕ [1, n]`).
 */
const layoutArb: fc.Arbitrary<readonly [number[], number[]]> = fc
  .tuple(fc.integer({ min: 1, max: 5 }), lengthArb, fc.integer({ min: 0, max: 5 }))
  .map(([r, n, k]): readonly [number[], number[]] => {
    const layouts: ReadonlyArray<readonly [number[], number[]]> = [
      [
        [r, n],
        [r, n],
      ],
      [[r * n], []],
      [
        [r, n],
        [1, 1],
      ],
      [[r, n], [n]],
      [
        [r, n],
        [r, 1],
      ],
      [
        [r, 1],
        [1, n],
      ],
    ]
    return layouts[k]!
  })

/** Two operands of one dtype (mostly float32) in a layout, in either order. */
const operandsArb = fc
  .tuple(
    layoutArb,
    fc.constantFrom<DType>("float32", "float32", "float32", "int32", "float64"),
    fc.boolean(),
  )
  .chain(([[full, small], d, swap]) =>
    fc
      .tuple(tensorOf(d, full), tensorOf(d, small))
      .map(([f, s]) => (swap ? ([s, f] as const) : ([f, s] as const))),
  )

/** Throws unless two tensors have the same dtype, shape and bits (NaN payloads aside). */
const expectSame = (actual: Tensor, expected: Tensor): void => {
  expect(actual.dtype).toBe(expected.dtype)
  expect(actual.shape).toEqual(expected.shape)
  const at = Array.from(expected.data).findIndex((v, i) => !sameBits(actual.data[i]!, v))
  if (at >= 0) expect([at, actual.data[at]]).toEqual([at, expected.data[at]])
}

const run = (prim: ElementwisePrimitive, inputs: ReadonlyArray<Tensor>): void =>
  expectSame(kernels[prim](inputs, {}), referenceKernels[prim](inputs, {}))

describe("the WebAssembly elementwise kernels", () => {
  it("give the reference kernels' bits for arithmetic and comparisons on every layout", () => {
    fc.assert(
      fc.property(fc.constantFrom(...binaryPrims), operandsArb, (prim, [a, b]) =>
        run(prim, [a, b]),
      ),
      { numRuns: 400 },
    )
  })

  it("give the reference kernels' bits for where, whole or scalar sides, float32 or int32", () => {
    const caseArb = fc
      .tuple(lengthArb, fc.integer({ min: 0, max: 3 }), fc.constantFrom<DType>("float32", "int32"))
      .chain(([n, k, d]) => {
        const [aShape, bShape] = (
          [
            [[n], [n]],
            [[], [n]],
            [[n], [1]],
            [[], []],
          ] as const
        )[k]!
        return fc.tuple(
          fc
            .array(fc.oneof(fc.integer(), fc.constantFrom(0, 1, -1, -2147483648)), {
              minLength: n,
              maxLength: n,
            })
            .map((vs) => make("int32", [n], vs)),
          tensorOf(d, aShape),
          tensorOf(d, bShape),
        )
      })
    fc.assert(
      fc.property(caseArb, ([c, a, b]) => run("where", [c, a, b])),
      { numRuns: 300 },
    )
  })

  it("call the module just for float32 operands it reads in runs, from minElements on", () => {
    // the WebAssembly API, counting calls into every instance's functions
    let calls = 0
    const Instance = function (...args: ConstructorParameters<typeof api.Instance>) {
      const { exports } = new api.Instance(...args)
      const counted = Object.fromEntries(
        Object.entries(exports).map(([name, f]) => [
          name,
          typeof f === "function"
            ? (...xs: number[]) => {
                calls++
                return (f as (...ys: number[]) => unknown)(...xs)
              }
            : f,
        ]),
      )
      return { exports: counted }
    } as unknown as typeof api.Instance
    const counting = Object.assign(Object.create(api) as typeof api, { Instance })
    const own = wasmElementwise(counting, { minElements: 128 })!
    const f32 = (shape: number[]): Tensor =>
      make("float32", shape, new Array<number>(count(shape)).fill(1.5))
    const cases: ReadonlyArray<readonly [ElementwisePrimitive, Tensor[], boolean]> = [
      ["add", [f32([200]), f32([200])], true],
      ["mul", [f32([2, 100]), f32([])], true],
      ["sub", [f32([]), f32([2, 100])], true],
      ["div", [f32([4, 64]), f32([64])], true],
      ["greater", [f32([4, 64]), f32([4, 1])], true],
      ["add", [f32([100]), f32([100])], false],
      ["add", [f32([40, 5]), f32([5])], false],
      ["add", [f32([20, 1]), f32([1, 20])], false],
      [
        "add",
        [
          make("float64", [200], new Array<number>(200).fill(1)),
          make("float64", [200], new Array<number>(200).fill(1)),
        ],
        false,
      ],
      ["where", [make("int32", [200], new Array<number>(200).fill(1)), f32([200]), f32([])], true],
      ["where", [make("int32", [200], new Array<number>(200).fill(1)), f32([]), f32([])], false],
      ["where", [make("int32", [1], [1]), f32([200]), f32([200])], false],
    ]
    for (const [prim, inputs, fast] of cases) {
      const before = calls
      expectSame(own[prim](inputs, {}), referenceKernels[prim](inputs, {}))
      expect([prim, inputs.map((t) => t.shape), calls > before]).toEqual([
        prim,
        inputs.map((t) => t.shape),
        fast,
      ])
    }
  })

  it("reject shapes that do not broadcast, naming the op and the shapes", () => {
    const a = make("float32", [3, 4], new Array<number>(12).fill(1))
    const b = make("float32", [5], new Array<number>(5).fill(1))
    expect(() => kernels.add([a, b], {})).toThrow(TensorError)
    expect(() => kernels.mul([a, b], {})).toThrow(/mul.*\[3, 4\].*\[5\]/)
    const c = make("int32", [2], [1, 0])
    expect(() => kernels.where([c, a, b], {})).toThrow(/where/)
  })

  it("never write into their inputs", () => {
    const a = make(
      "float32",
      [200],
      Array.from({ length: 200 }, (_, i) => i),
    )
    const b = make(
      "float32",
      [200],
      Array.from({ length: 200 }, (_, i) => -i),
    )
    const before = [Array.from(a.data), Array.from(b.data)]
    for (const prim of binaryPrims) kernels[prim]([a, b], {})
    expect([Array.from(a.data), Array.from(b.data)]).toEqual(before)
  })

  it("enlarge their memory without detaching a buffer", () => {
    const recording = recordingMemories(api)
    const own = wasmElementwise(recording.api, { minElements: 0 })!
    // each call needs more memory than the last: a 64 KiB page holds 16,384 elements
    for (const n of [100, 20_000, 150_000, 400_000]) {
      const a = new Tensor(
        "float32",
        [n],
        Float32Array.from({ length: n }, (_, i) => i % 7),
      )
      const b = new Tensor(
        "float32",
        [n],
        Float32Array.from({ length: n }, (_, i) => i % 3),
      )
      expectSame(own.div([a, b], {}), referenceKernels.div([a, b], {}))
    }
    for (const buffer of recording.buffers) expect(buffer.byteLength).toBeGreaterThan(0)
    expect(recording.buffers.length).toBeGreaterThan(1)
  })
})
