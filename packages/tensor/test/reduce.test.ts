import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { DType, Tensor } from "../src/index.ts"
import type { Ref } from "./reference.ts"
import {
  axesOf,
  axisOptionArb,
  close,
  dtypeArb,
  expectMatches,
  foldRef,
  make,
  refOf,
  sameValueZero,
  shapeArb,
  tensorArb,
} from "./reference.ts"

type AxisOption = number | number[] | undefined

/** A tensor of any dtype and shape, an axis option valid for it, and keepDims. */
const reduceArgsArb = shapeArb()
  .chain((s) =>
    fc.tuple(
      dtypeArb.chain((d) => tensorArb(s, d)),
      axisOptionArb(s.length),
      fc.boolean(),
    ),
  )
  .map(([x, axis, keepDims]) => ({ x, axis: axis, keepDims }))

const options = (axis: AxisOption, keepDims: boolean): T.ReduceOptions =>
  axis === undefined ? { keepDims } : { axis, keepDims }

const isFloat = (d: DType): boolean => d !== "int32"

/** Sums (and sums of magnitudes, for a tolerance) over axes, accumulated in double. */
const sumRefs = (x: Ref, axes: number[], keepDims: boolean, dtype: DType): [Ref, Ref] => [
  foldRef(
    x,
    axes,
    keepDims,
    () => 0,
    (a, v) => a + v,
    (a) => a,
    dtype,
  ),
  foldRef(
    x,
    axes,
    keepDims,
    () => 0,
    (a, v) => a + Math.abs(v),
    (a) => a,
    "float64",
  ),
]

/** Compares floats within `rtol` of the magnitude sum of what was added (exact for int32). */
const expectSumsClose = (actual: Tensor, expected: Ref, magnitude: Ref, rtol: number): void => {
  expectMatches(actual, expected, () => true)
  actual.data.forEach((a, i) => {
    const b = expected.values[i]!
    const ok = isFloat(actual.dtype)
      ? close(a, b, 0, rtol * (magnitude.values[i]! + 1e-30))
      : a === b
    if (!ok) throw new Error(`value at ${i} is ${a}, expected ${b}`)
  })
}

const nanMaxStep = (m: number, v: number): number => (m !== m ? m : v !== v || v > m ? v : m)
const nanMinStep = (m: number, v: number): number => (m !== m ? m : v !== v || v < m ? v : m)

describe("reductions agree with naive folds", () => {
  it("sum over random axes (number, array, negative) with keepDims", () => {
    fc.assert(
      fc.property(reduceArgsArb, ({ x, axis, keepDims }) => {
        const axes = axesOf(axis, x.rank)
        const [expected, mag] = sumRefs(refOf(x), axes, keepDims, x.dtype)
        expectSumsClose(T.sum(x, options(axis, keepDims)), expected, mag, 1e-6)
      }),
      { numRuns: 200 },
    )
  })

  it("mean divides the sum by the count, int32 averaging as float32", () => {
    fc.assert(
      fc.property(reduceArgsArb, ({ x, axis, keepDims }) => {
        const axes = axesOf(axis, x.rank)
        const n = axes.reduce((a, ax) => a * x.shape[ax]!, 1)
        const d: DType = isFloat(x.dtype) ? x.dtype : "float32"
        const xr = refOf(x)
        const expected = foldRef(
          xr,
          axes,
          keepDims,
          () => 0,
          (a, v) => a + v,
          (a) => a / n,
          d,
        )
        const mag = foldRef(
          xr,
          axes,
          keepDims,
          () => 0,
          (a, v) => a + Math.abs(v),
          (a) => a / n,
          "float64",
        )
        expectSumsClose(T.mean(x, options(axis, keepDims)), expected, mag, 1e-6)
      }),
      { numRuns: 200 },
    )
  })

  for (const [name, op, step, init] of [
    ["max", T.max, nanMaxStep, -Infinity],
    ["min", T.min, nanMinStep, Infinity],
  ] as const) {
    it(`${name} over random axes agrees (NaN propagates), and throws on an empty axis`, () => {
      fc.assert(
        fc.property(reduceArgsArb, ({ x, axis, keepDims }) => {
          const axes = axesOf(axis, x.rank)
          const run = (): Tensor => op(x, options(axis, keepDims))
          if (axes.some((a) => x.shape[a] === 0)) {
            expect(run).toThrow(T.TensorError)
            return
          }
          const expected = foldRef(
            refOf(x),
            axes,
            keepDims,
            () => init,
            step,
            (m) => m,
            x.dtype,
          )
          expectMatches(run(), expected, sameValueZero)
        }),
        { numRuns: 200 },
      )
    })
  }

  const argArb = shapeArb()
    .chain((s) =>
      fc.tuple(
        dtypeArb.chain((d) =>
          // few distinct values so ties are common
          tensorArb(s, d, (dd) =>
            dd === "int32"
              ? fc.integer({ min: -2, max: 2 })
              : fc.constantFrom(-1, 0, 1, 2, NaN, -Infinity, Infinity),
          ),
        ),
        s.length === 0
          ? fc.constant(undefined)
          : fc.option(fc.integer({ min: -s.length, max: s.length - 1 }), { nil: undefined }),
        fc.boolean(),
      ),
    )
    .map(([x, axis, keepDims]) => ({ x, axis, keepDims }))

  for (const [name, op, better, init] of [
    ["argmax", T.argmax, (v: number, m: number) => v > m, -Infinity],
    ["argmin", T.argmin, (v: number, m: number) => v < m, Infinity],
  ] as const) {
    it(`${name} picks the first extreme (a NaN counts as extreme) along an axis or overall`, () => {
      fc.assert(
        fc.property(argArb, ({ x, axis, keepDims }) => {
          const flat = axis === undefined
          const xr: Ref = flat ? { ...refOf(x), shape: [x.size] } : refOf(x)
          const axes = flat ? [0] : axesOf(axis, x.rank)
          const run = (): Tensor => op(x, axis === undefined ? { keepDims } : { axis, keepDims })
          if (xr.shape[axes[0]!] === 0) {
            expect(run).toThrow(T.TensorError)
            return
          }
          type Acc = { m: number; at: number }
          const found = foldRef<Acc>(
            xr,
            axes,
            keepDims,
            () => ({ m: init, at: 0 }),
            (acc, v, pos) =>
              acc.m !== acc.m ? acc : v !== v || better(v, acc.m) ? { m: v, at: pos } : acc,
            (acc) => acc.at,
            "int32",
          )
          const expected: Ref = flat && keepDims ? { ...found, shape: x.shape.map(() => 1) } : found
          expectMatches(run(), expected)
        }),
        { numRuns: 200 },
      )
    })
  }

  it("logSumExp agrees with m + log Σ exp(x - m)", () => {
    fc.assert(
      fc.property(reduceArgsArb, ({ x, axis, keepDims }) => {
        const axes = axesOf(axis, x.rank)
        const run = (): Tensor => T.logSumExp(x, options(axis, keepDims))
        if (axes.some((a) => x.shape[a] === 0)) {
          expect(run).toThrow(T.TensorError)
          return
        }
        const d: DType = isFloat(x.dtype) ? x.dtype : "float32"
        const xr = refOf(x)
        const expected = foldRef<number[]>(
          xr,
          axes,
          keepDims,
          () => [],
          (acc, v) => [...acc, v],
          (vs) => {
            const m = vs.reduce(nanMaxStep, -Infinity)
            if (m !== m) return NaN
            if (!Number.isFinite(m)) return m
            return m + Math.log(vs.reduce((s, v) => s + Math.exp(v - m), 0))
          },
          d,
        )
        const atol = d === "float32" ? 1e-4 : 1e-12
        expectMatches(run(), expected, (a, b) => close(a, b, atol, atol))
      }),
      { numRuns: 200 },
    )
  })
})

describe("reduction edge cases", () => {
  it("propagates NaN in max and min", () => {
    const x = make("float32", [2, 3], [1, NaN, 3, 4, 5, 6])
    expectMatches(T.max(x, { axis: 1 }), { dtype: "float32", shape: [2], values: [NaN, 6] })
    expectMatches(T.min(x, { axis: 1 }), { dtype: "float32", shape: [2], values: [NaN, 4] })
    expect(T.item(T.max(x))).toBeNaN()
  })

  it("argmax breaks ties by taking the first", () => {
    const x = make("float32", [2, 4], [1, 3, 3, 0, 2, 2, 2, 2])
    expect(Array.from(T.argmax(x, { axis: 1 }).data)).toEqual([1, 0])
    expect(Array.from(T.argmin(x, { axis: 1 }).data)).toEqual([3, 0])
    expect(T.item(T.argmax(x))).toBe(1)
  })

  it("throws for max, min, argmax and logSumExp over an empty axis", () => {
    const e = T.zeros([2, 0])
    expect(() => T.max(e, { axis: 1 })).toThrow(/max.*size 0/)
    expect(() => T.min(e)).toThrow(T.TensorError)
    expect(() => T.argmax(e, { axis: 1 })).toThrow(/argmax/)
    expect(() => T.logSumExp(e, { axis: 1 })).toThrow(T.TensorError)
    // reducing the non-empty axis of an empty tensor is fine
    expect(T.max(e, { axis: 0 }).shape).toEqual([0])
  })

  it("sums over nothing to 0", () => {
    expect(T.item(T.sum(T.zeros([0])))).toBe(0)
    expect(Array.from(T.sum(T.zeros([3, 0]), { axis: 1 }).data)).toEqual([0, 0, 0])
    expect(T.sum(T.zeros([0, 3]), { axis: 0, keepDims: true }).shape).toEqual([1, 3])
  })

  it("mean of int32 is float32", () => {
    const r = T.mean(make("int32", [4], [1, 2, 3, 5]))
    expect(r.dtype).toBe("float32")
    expect(T.item(r)).toBe(2.75)
  })
})

describe("the softmax family is stable", () => {
  const bigArb = fc.oneof(
    fc.double({ min: -1e4, max: 1e4, noNaN: true }),
    fc.constantFrom(1e4, -1e4, 0),
  )
  const rowsArb = fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom<DType>("float32", "float64"),
    )
    .chain(([s, d]) =>
      fc.tuple(
        tensorArb(s, d, () => bigArb),
        fc.integer({ min: -s.length, max: s.length - 1 }),
      ),
    )

  /** The reference softmax along `axis`, computed in double from the stored values. */
  const softmaxRef = (x: Ref, axis: number, log: boolean): Ref => {
    const ax = axis < 0 ? axis + x.shape.length : axis
    const rowMax = (vs: number[]): number => Math.max(...vs)
    const collect = (acc: number[], v: number): number[] => [...acc, v]
    const m = foldRef<number[]>(x, [ax], true, () => [], collect, rowMax, "float64")
    const logSum = foldRef<number[]>(
      x,
      [ax],
      true,
      () => [],
      collect,
      (vs) => Math.log(vs.reduce((s, v) => s + Math.exp(v - rowMax(vs)), 0)),
      "float64",
    )
    const kept = m.shape
    const values = x.values.map((v, i) => {
      // the row's statistics sit at the same multi-index with the axis set to 0
      let rest = i
      const idx: number[] = []
      for (let k = x.shape.length - 1; k >= 0; k--) {
        idx.unshift(rest % x.shape[k]!)
        rest = Math.floor(rest / x.shape[k]!)
      }
      idx[ax] = 0
      const o = idx.reduce((f, j, k) => f * kept[k]! + j, 0)
      const z = v - m.values[o]! - logSum.values[o]!
      return log ? z : Math.exp(z)
    })
    return { dtype: x.dtype, shape: x.shape, values }
  }

  it("softmax rows sum to 1, stay in [0, 1] and match the reference, even at ±1e4", () => {
    fc.assert(
      fc.property(rowsArb, ([x, axis]) => {
        const s = T.softmax(x, { axis })
        expect(s.data.every((v) => v >= 0 && v <= 1)).toBe(true)
        const tol = x.dtype === "float32" ? 1e-5 : 1e-12
        const sums = T.sum(s, { axis })
        for (const v of sums.data) expect(Math.abs(v - 1)).toBeLessThanOrEqual(tol)
        expectMatches(s, softmaxRef(refOf(x), axis, false), (a, b) => close(a, b, 0, tol))
      }),
    )
  })

  it("logSoftmax is finite, ≤ 0, and matches x - logSumExp(x)", () => {
    fc.assert(
      fc.property(rowsArb, ([x, axis]) => {
        const l = T.logSoftmax(x, { axis })
        expect(l.data.every((v) => Number.isFinite(v) && v <= 0)).toBe(true)
        const tol = x.dtype === "float32" ? 1e-6 : 1e-14
        expectMatches(l, softmaxRef(refOf(x), axis, true), (a, b) => close(a, b, tol, tol))
      }),
    )
  })

  it("logSumExp is finite and accurate at ±1e4", () => {
    const x = make("float32", [2, 2], [1e4, 1e4, -1e4, -1e4])
    const r = T.logSumExp(x, { axis: 1 })
    expect(Array.from(r.data)).toEqual([Math.fround(1e4 + Math.LN2), Math.fround(-1e4 + Math.LN2)])
    const s = T.softmax(x)
    expect(Array.from(s.data)).toEqual([0.5, 0.5, 0.5, 0.5])
  })

  it("logSumExp of a row of -∞ is -∞ and of +∞ is +∞", () => {
    const x = make("float64", [2, 2], [-Infinity, -Infinity, Infinity, 1])
    expect(Array.from(T.logSumExp(x, { axis: 1 }).data)).toEqual([-Infinity, Infinity])
  })
})
