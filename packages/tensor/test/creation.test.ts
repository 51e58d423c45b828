import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { DType, Tensor } from "../src/index.ts"
import {
  close,
  count,
  dtypeArb,
  expectMatches,
  finiteValueArb,
  make,
  nested,
  refOf,
  roundTo,
  shapeArb,
  tensorArb,
} from "./reference.ts"

/** Nested arrays as a user writes them. */
type Nest = number | Nest[]

describe("tensor", () => {
  it("infers the shape of nested arrays and stores the values in C order", () => {
    // nested arrays cannot show axes after an empty one: [] could be [0] or [0, 3]
    const inferable = shapeArb().filter((s) => s.every((d, i) => d > 0 || i === s.length - 1))
    fc.assert(
      fc.property(
        inferable.chain((s) =>
          fc.tuple(
            fc.constant(s),
            dtypeArb,
            fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
              minLength: count(s),
              maxLength: count(s),
            }),
          ),
        ),
        ([shape, dtype, raw]) => {
          const values = dtype === "int32" ? raw.map(Math.round) : raw
          const input = nested({ dtype: "float64", shape, values }) as Nest
          expectMatches(T.tensor(input, { dtype }), {
            dtype,
            shape,
            values: values.map((v) => roundTo(dtype, v)),
          })
        },
      ),
    )
  })

  it("defaults to float32 and reads typed arrays by their type", () => {
    expect(T.tensor([1, 2]).dtype).toBe("float32")
    expect(T.tensor(3).shape).toEqual([])
    expect(T.tensor([]).shape).toEqual([0])
    expect(T.tensor([[], []]).shape).toEqual([2, 0])
    expect(T.tensor(new Float64Array([1, 2])).dtype).toBe("float64")
    expect(T.tensor(new Int32Array([1, 2])).dtype).toBe("int32")
    expectMatches(T.tensor(new Float64Array([1.5, 2]), { dtype: "float32" }), {
      dtype: "float32",
      shape: [2],
      values: [1.5, 2],
    })
  })

  it("copies a typed array rather than sharing it", () => {
    const src = new Float32Array([1, 2, 3])
    const t = T.tensor(src)
    src[0] = 99
    expect(t.data[0]).toBe(1)
  })

  /**
   * A rectangular nested array, made ragged at one position off the first-element spine (the
   * spine defines the inferred shape), with that position's path.
   */
  const raggedArb = fc
    .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })
    .filter((s) => s.some((d) => d > 1))
    .chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.integer({ min: 1, max: shape.length }),
        fc.array(fc.nat(), { minLength: shape.length, maxLength: shape.length }),
        fc.constantFrom("longer", "shorter", "number"),
      ),
    )
    .map(([shape, depth, picks, kind]) => {
      // a path of `depth` indices with at least one non-zero index
      let path = picks.slice(0, depth).map((p, i) => p % shape[i]!)
      if (path.every((p) => p === 0)) {
        const j = shape.findIndex((d) => d > 1)
        path = shape.slice(0, Math.max(depth, j + 1)).map((_, i) => (i === j ? 1 : 0))
      }
      const value = nested({
        dtype: "float64",
        shape,
        values: Array.from({ length: count(shape) }, (_, i) => i),
      }) as Nest
      // walk to the parent of the position and break it there
      let parent = value as Nest[]
      for (const p of path.slice(0, -1)) parent = parent[p] as Nest[]
      const last = path[path.length - 1]!
      const target = parent[last]!
      if (typeof target === "number") parent[last] = [target]
      else if (kind === "number") parent[last] = 7
      else if (kind === "shorter") target.pop()
      else target.push(target[0]!)
      return { value, where: path.map((p) => `[${p}]`).join("") }
    })

  it("rejects ragged arrays with a TensorError naming the position", () => {
    fc.assert(
      fc.property(raggedArb, ({ value, where }) => {
        const run = (): Tensor => T.tensor(value)
        expect(run).toThrow(T.TensorError)
        expect(run).toThrow(`element ${where} `)
      }),
    )
  })

  it("rejects ragged arrays: examples", () => {
    expect(() => T.tensor([[1, 2], [3]])).toThrow(/tensor: ragged.*element \[1\] has length 1/)
    expect(() => T.tensor([[1, 2], 3] as never)).toThrow(/element \[1\] has a number/)
    expect(() => T.tensor([1, [2]] as never)).toThrow(/element \[1\] is an array/)
    expect(() => T.tensor([1, "2"] as never)).toThrow(/element \[1\] is string/)
  })

  it("rejects non-integers for int32, naming the position", () => {
    expect(() => T.tensor([[1, 2.5]], { dtype: "int32" })).toThrow(
      /tensor: element \[0\]\[1\] is 2.5.*int32/,
    )
    expect(() => T.tensor([NaN], { dtype: "int32" })).toThrow(T.TensorError)
    expect(() => T.tensor(new Float64Array([1, 1.5]), { dtype: "int32" })).toThrow(
      /element \[1\] is 1.5/,
    )
  })

  it("rejects unknown dtypes", () => {
    expect(() => T.tensor([1], { dtype: "float16" as DType })).toThrow(
      /tensor: option dtype must be "float32", "float64" or "int32", got the string "float16"/,
    )
  })
})

describe("filled tensors", () => {
  const sizesArb = shapeArb(3, 4)

  it("zeros, ones and full fill every element with the value in the dtype", () => {
    fc.assert(
      fc.property(sizesArb, dtypeArb, fc.integer({ min: -1000, max: 1000 }), (shape, dtype, v) => {
        const filled = (x: number): { dtype: DType; shape: number[]; values: number[] } => ({
          dtype,
          shape,
          values: new Array<number>(count(shape)).fill(x),
        })
        expectMatches(T.zeros(shape, { dtype }), filled(0))
        expectMatches(T.ones(shape, { dtype }), filled(1))
        expectMatches(T.full(shape, v, { dtype }), filled(v))
        expect(T.zeros(shape).dtype).toBe("float32")
      }),
    )
  })

  it("full rounds to float32 and refuses fractions for int32", () => {
    expect(T.full([1], 0.1).data[0]).toBe(Math.fround(0.1))
    expect(() => T.full([2], 1.5, { dtype: "int32" })).toThrow(/full.*1.5.*int32/)
  })

  it("zerosLike and onesLike keep shape and dtype unless told otherwise", () => {
    fc.assert(
      fc.property(
        sizesArb.chain((s) => dtypeArb.chain((d) => tensorArb(s, d))),
        dtypeArb,
        (x, d) => {
          const z = T.zerosLike(x)
          const o = T.onesLike(x, { dtype: d })
          expectMatches(z, { dtype: x.dtype, shape: x.shape, values: refOf(x).values.map(() => 0) })
          expectMatches(o, { dtype: d, shape: x.shape, values: refOf(x).values.map(() => 1) })
        },
      ),
    )
  })

  it("eye has ones exactly on the diagonal", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        dtypeArb,
        (n, m, dtype) => {
          const cols = m ?? n
          const values: number[] = []
          for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) values.push(i === j ? 1 : 0)
          expectMatches(T.eye(n, m, { dtype }), { dtype, shape: [n, cols], values })
        },
      ),
    )
  })
})

describe("ranges", () => {
  it("arange agrees with start + i·step for i < ⌈(stop - start) / step⌉", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(
            fc.integer({ min: -20, max: 20 }),
            fc.integer({ min: -20, max: 20 }),
            fc.integer({ min: -5, max: 5 }).filter((s) => s !== 0),
          ),
          fc.tuple(
            fc.double({ min: -20, max: 20, noNaN: true }),
            fc.double({ min: -20, max: 20, noNaN: true }),
            fc.constantFrom(0.25, 0.5, -0.5, 1.5),
          ),
        ),
        ([start, stop, step]) => {
          const n = Math.max(0, Math.ceil((stop - start) / step))
          const integral = [start, stop, step].every(Number.isInteger)
          const dtype: DType = integral ? "int32" : "float32"
          const values = Array.from({ length: n }, (_, i) => roundTo(dtype, start + i * step))
          const r = T.arange(start, stop, step)
          expectMatches(r, { dtype, shape: [n], values }, (a, b) => close(a, b, 1e-6))
        },
      ),
    )
  })

  it("arange(n) counts from 0 in int32", () => {
    expectMatches(T.arange(4), { dtype: "int32", shape: [4], values: [0, 1, 2, 3] })
    expectMatches(T.arange(0, 1, 0.25), {
      dtype: "float32",
      shape: [4],
      values: [0, 0.25, 0.5, 0.75],
    })
    expect(T.arange(-3).shape).toEqual([0])
    expect(T.arange(3, undefined, 1, { dtype: "float64" }).dtype).toBe("float64")
  })

  it("linspace has num evenly spaced values ending exactly at stop", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom<DType>("float32", "float64"),
        (start, stop, num, dtype) => {
          const r = T.linspace(start, stop, num, { dtype })
          const values = Array.from({ length: num }, (_, i) =>
            roundTo(dtype, num === 1 ? start : start + ((stop - start) * i) / (num - 1)),
          )
          expectMatches(r, { dtype, shape: [num], values }, (a, b) =>
            close(a, b, dtype === "float32" ? 1e-6 : 1e-13, 1e-5),
          )
          if (num > 1) expect(r.data[num - 1]).toBe(roundTo(dtype, stop))
        },
      ),
    )
  })
})

describe("bad sizes", () => {
  const bad = [NaN, -1, 1.5, Infinity]
  it.each(bad)("zeros, ones, full and eye refuse a size of %s", (d) => {
    expect(() => T.zeros([2, d])).toThrow(/zeros|full/)
    expect(() => T.ones([d])).toThrow(T.TensorError)
    expect(() => T.full([d], 1)).toThrow(T.TensorError)
    expect(() => T.eye(d)).toThrow(/eye/)
    expect(() => T.eye(2, d)).toThrow(/eye/)
    expect(() => T.linspace(0, 1, d)).toThrow(/linspace.*num/)
  })

  it("shape must be an array", () => {
    expect(() => T.zeros(3 as never)).toThrow(/shape must be an array/)
  })

  it("arange refuses non-finite bounds and a zero step", () => {
    expect(() => T.arange(NaN)).toThrow(/arange.*stop/)
    expect(() => T.arange(0, Infinity)).toThrow(/arange/)
    expect(() => T.arange(0, 1, 0)).toThrow(/arange.*step/)
    expect(() => T.linspace(0, NaN, 3)).toThrow(/linspace/)
  })
})

describe("printing", () => {
  it("shows a small tensor in full with its dtype", () => {
    const x = make("float32", [2, 3], [1, 2.5, -3, 0.1, 1e-7, NaN])
    expect(String(x)).toBe("tensor([[1, 2.5, -3],\n        [0.1, 1.0000e-7, NaN]], float32)")
    expect(String(make("int32", [], [7]))).toBe("tensor(7, int32)")
    expect(String(make("float64", [0], []))).toBe("tensor([], float64)")
  })

  it("summarises a large tensor with its edges", () => {
    const x = T.reshape(T.arange(2400), [2, 3, 400])
    const s = String(x)
    expect(s).toBe(
      [
        "tensor([[[0, 1, 2, ..., 397, 398, 399],",
        "         [400, 401, 402, ..., 797, 798, 799],",
        "         [800, 801, 802, ..., 1197, 1198, 1199]],",
        "        [[1200, 1201, 1202, ..., 1597, 1598, 1599],",
        "         [1600, 1601, 1602, ..., 1997, 1998, 1999],",
        "         [2000, 2001, 2002, ..., 2397, 2398, 2399]]], int32)",
      ].join("\n"),
    )
  })

  it("keeps long outputs short whatever the shape", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
        (shape) => {
          const x = make("float32", shape, new Array<number>(count(shape)).fill(1.5))
          const s = x.toString()
          expect(s.startsWith("tensor(")).toBe(true)
          expect(s.endsWith(", float32)")).toBe(true)
          // at most 7 entries per row and 7 rows per block are shown past 1000 elements
          if (x.size > 1000) expect(s.length).toBeLessThan(7 ** shape.length * 8 + 200)
          else expect(s.split("1.5").length - 1).toBe(x.size)
        },
      ),
      { numRuns: 50 },
    )
  })
})

describe("reading values back", () => {
  it("item reads one-element tensors and refuses others", () => {
    fc.assert(
      fc.property(dtypeArb.chain(finiteValueArb), (v) => {
        expect(T.item(make("float64", [1, 1], [v]))).toBe(v)
      }),
    )
    expect(() => T.item(T.zeros([2]))).toThrow(/item.*\[2\]/)
  })

  it("scalar makes a 0-d tensor", () => {
    const s = T.scalar(2.5)
    expect(s.shape).toEqual([])
    expect(s.dtype).toBe("float32")
    expect(T.scalar(3, "int32").dtype).toBe("int32")
  })
})
