import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { DType, Tensor } from "../src/index.ts"
import {
  castRef,
  close,
  dtypeArb,
  elementwiseRef,
  expectMatches,
  make,
  refOf,
  sameBits,
  shapeArb,
  tensorArb,
} from "./reference.ts"

type Unary = (x: T.TensorLike) => Tensor

interface UnaryCase {
  readonly op: Unary
  readonly f: (x: number) => number
  /** Functions of reals compute int32 inputs in float32; the others keep the dtype. */
  readonly real: boolean
  readonly eq?: (d: DType) => (a: number, b: number) => boolean
}

const naiveSigmoid = (x: number): number => 1 / (1 + Math.exp(-x))
const naiveSoftplus = (x: number): number =>
  x <= 0 ? Math.log1p(Math.exp(x)) : x + Math.log1p(Math.exp(-x))
const within =
  (f32: number, f64: number) =>
  (d: DType) =>
  (a: number, b: number): boolean =>
    close(a, b, d === "float64" ? f64 : f32, 1e-300)

const unaryCases: Record<string, UnaryCase> = {
  neg: { op: T.neg, f: (x) => -x, real: false },
  abs: { op: T.abs, f: Math.abs, real: false },
  sign: { op: T.sign, f: Math.sign, real: false },
  square: { op: T.square, f: (x) => x * x, real: false },
  exp: { op: T.exp, f: Math.exp, real: true },
  log: { op: T.log, f: Math.log, real: true },
  log1p: { op: T.log1p, f: Math.log1p, real: true },
  sqrt: { op: T.sqrt, f: Math.sqrt, real: true },
  sin: { op: T.sin, f: Math.sin, real: true },
  cos: { op: T.cos, f: Math.cos, real: true },
  tanh: { op: T.tanh, f: Math.tanh, real: true },
  reciprocal: { op: T.reciprocal, f: (x) => 1 / x, real: true },
  sigmoid: { op: T.sigmoid, f: naiveSigmoid, real: true, eq: within(1e-6, 1e-14) },
  softplus: { op: T.softplus, f: naiveSoftplus, real: true, eq: within(2e-6, 1e-14) },
  relu: { op: T.relu, f: (x) => (x > 0 ? x : x !== x ? NaN : 0), real: false },
}

const tensorOfAnyDType = shapeArb().chain((s) => dtypeArb.chain((d) => tensorArb(s, d)))

describe("unary elementwise ops agree with Math.*", () => {
  for (const [name, c] of Object.entries(unaryCases)) {
    it(`${name} agrees on every dtype, int32 going to float32 for functions of reals`, () => {
      fc.assert(
        fc.property(tensorOfAnyDType, (x) => {
          const out: DType = c.real && x.dtype === "int32" ? "float32" : x.dtype
          const expected = elementwiseRef(out, [castRef(refOf(x), out)], c.f)
          expectMatches(c.op(x), expected, c.eq?.(out) ?? sameBits)
        }),
      )
    })
  }

  it("gives float32 for int32 inputs to exp, log, sqrt, sin, cos, tanh, sigmoid", () => {
    const i = make("int32", [3], [0, 1, 4])
    for (const op of [T.exp, T.log, T.log1p, T.sqrt, T.sin, T.cos, T.tanh, T.sigmoid, T.softplus])
      expect(op(i).dtype).toBe("float32")
    expect(Array.from(T.sqrt(i).data)).toEqual([0, 1, 2])
    expect(T.neg(i).dtype).toBe("int32")
    expect(T.relu(i).dtype).toBe("int32")
  })

  it("accepts a number as a 0-d tensor", () => {
    const r = T.exp(0)
    expect(r.shape).toEqual([])
    expect(r.dtype).toBe("float32")
    expect(T.item(r)).toBe(1)
  })
})

describe("sigmoid and softplus are stable", () => {
  it("are finite and exact at ±1e4", () => {
    const x = make("float32", [3], [1e4, -1e4, 0])
    expect(Array.from(T.sigmoid(x).data)).toEqual([1, 0, 0.5])
    expect(Array.from(T.softplus(x).data)).toEqual([1e4, 0, Math.fround(Math.LN2)])
    const x64 = make("float64", [2], [1e4, -1e4])
    expect(Array.from(T.softplus(x64).data)).toEqual([1e4, 0])
  })

  it("keep relative accuracy far into the tails", () => {
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (v) => {
        const x = make("float64", [1], [v])
        expect(close(T.item(T.sigmoid(x)), naiveSigmoid(v), 1e-13, 0)).toBe(true)
        expect(close(T.item(T.softplus(x)), naiveSoftplus(v), 1e-13, 0)).toBe(true)
      }),
    )
  })
})

describe("relu and clip", () => {
  it("relu is max(x, 0), propagates NaN and has dtype of x", () => {
    const x = make("float32", [5], [-1, 0, 2.5, NaN, -Infinity])
    expectMatches(T.relu(x), { dtype: "float32", shape: [5], values: [0, 0, 2.5, NaN, 0] })
  })

  it("clip agrees with min(max(x, lo), hi) for number bounds", () => {
    fc.assert(
      fc.property(
        tensorOfAnyDType,
        fc.integer({ min: -60, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (x, lo, width) => {
          const hi = lo + width
          const expected = elementwiseRef(x.dtype, [refOf(x)], (v) =>
            v !== v ? NaN : Math.min(Math.max(v, lo), hi),
          )
          expectMatches(T.clip(x, lo, hi), expected, (a, b) => a === b || (a !== a && b !== b))
        },
      ),
    )
  })

  it("clip broadcasts tensor bounds", () => {
    const x = make("float32", [2, 3], [-5, 0, 0.5, -5, 0.5, 5])
    const lo = make("float32", [3], [-1, 0.25, 1])
    const r = T.clip(x, lo, 2)
    expect(T.toArray(r)).toEqual([
      [-1, 0.25, 1],
      [-1, 0.5, 2],
    ])
  })
})

describe("cast", () => {
  it("converts like the reference (float → int32 truncates toward zero, NaN → 0)", () => {
    fc.assert(
      fc.property(tensorOfAnyDType, dtypeArb, (x, d) => {
        expectMatches(T.cast(x, d), castRef(refOf(x), d))
      }),
    )
  })

  it("saturates infinities and truncates", () => {
    const x = make("float64", [6], [1.9, -1.9, NaN, Infinity, -Infinity, 3e9])
    expect(Array.from(T.cast(x, "int32").data)).toEqual([
      1, -1, 0, 2147483647, -2147483648, 2147483647,
    ])
  })
})
