/**
 * The kernels' fast paths against independent naive references: binary ops whose operands line
 * up as same-size, scalar, row or column broadcasts (and the broadcasts that must take the general
 * strided path), `where` with whole or scalar operands, and sums over blocks of axes. Shapes have
 * axes up to 7 long so that runs longer than the four-at-a-time loops, and every remainder, occur.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { DType, Tensor } from "../src/index.ts"
import * as T from "../src/index.ts"
import type { BinaryPrimitive, ComparePrimitive } from "../src/internal.ts"
import { referenceKernels } from "../src/internal.ts"
import type { ReadPattern } from "../src/kernels/strided.ts"
import { fitsInto } from "../src/shape.ts"
import { readPattern } from "../src/kernels/strided.ts"
import type { Ref } from "./reference.ts"
import {
  broadcastShapeRef,
  broadcastSource,
  count,
  dtypeArb,
  elementwiseRef,
  expectMatches,
  foldRef,
  make,
  refOf,
  sameBits,
  sameValueZero,
  tensorArb,
  unravel,
  valueArb,
} from "./reference.ts"

// -------------------------------------------------------------------------------------------------
// shapes
// -------------------------------------------------------------------------------------------------

const dimsArb = (minLength: number, maxLength: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: 7 }), { minLength, maxLength })

const ones = (n: number): number[] => new Array<number>(n).fill(1)

/** How the pair was built: which read pattern the smaller operand was made to have. */
type Built = "same" | "scalar" | "rows" | "cols" | "general"

/** A full shape and a smaller one that broadcasts into it, built to have a given pattern. */
interface Layout {
  readonly built: Built
  readonly full: number[]
  readonly small: number[]
}

/** The same shape, or the same elements with a leading 1 on one side. */
const sameArb: fc.Arbitrary<Layout> = fc
  .tuple(dimsArb(0, 3), fc.boolean())
  .map(([s, lead]) => ({ built: "same", full: s, small: lead ? [1, ...s] : s }))

/** One element, of rank 0, 1 or 2. */
const scalarArb: fc.Arbitrary<Layout> = fc
  .tuple(dimsArb(0, 3), fc.integer({ min: 0, max: 2 }))
  .map(([s, rank]) => ({ built: "scalar", full: s, small: ones(rank) }))

/** `[...outer, ...inner] ⊕ [...1s, ...inner]`: a bias added to every row. */
const rowsArb: fc.Arbitrary<Layout> = fc
  .tuple(dimsArb(1, 2), dimsArb(1, 2), fc.integer({ min: 0, max: 2 }))
  .map(([outer, inner, lead]) => ({
    built: "rows",
    full: [...outer, ...inner],
    small: [...ones(Math.min(lead, outer.length)), ...inner],
  }))

/** `[...1s, ...outer, ...inner] ⊕ [...outer, ...1s]`: one value per row, as `x - max(x, -1)`. */
const colsArb: fc.Arbitrary<Layout> = fc
  .tuple(dimsArb(1, 2), dimsArb(1, 2), fc.integer({ min: 0, max: 1 }))
  .map(([outer, inner, lead]) => ({
    built: "cols",
    full: [...ones(lead), ...outer, ...inner],
    small: [...outer, ...ones(inner.length)],
  }))

/**
 * Broadcasts no fast path may take: both operands stretched (`[m, 1] ⊕ [1, n]`), a middle axis
 * stretched (`[a, b, c] ⊕ [b, 1]`, `[a, 1, c] ⊕ [a, b, 1]`), an outer axis stretched between
 * kept ones (`[a, b, c] ⊕ [a, 1, c]`).
 */
const generalArb: fc.Arbitrary<Layout> = fc
  .tuple(
    fc.integer({ min: 2, max: 7 }),
    fc.integer({ min: 2, max: 7 }),
    fc.integer({ min: 2, max: 7 }),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([a, b, c, k]): Layout => {
    const pairs: ReadonlyArray<[number[], number[]]> = [
      [
        [a, 1],
        [1, b],
      ],
      [
        [a, b, c],
        [b, 1],
      ],
      [
        [a, 1, c],
        [a, b, 1],
      ],
      [
        [a, b, c],
        [a, 1, c],
      ],
    ]
    const [full, small] = pairs[k]!
    return { built: "general", full, small }
  })

const layoutArb: fc.Arbitrary<Layout> = fc.oneof(sameArb, scalarArb, rowsArb, colsArb, generalArb)

/**
 * Values with frequent ties (so comparisons see equal operands), NaN, ±∞ and -0 among floats,
 * and otherwise anything finite.
 */
const tiedValueArb = (d: DType): fc.Arbitrary<number> =>
  fc.oneof(
    valueArb(d),
    d === "int32" ? fc.integer({ min: -2, max: 2 }) : fc.constantFrom(-1, -0, 0, 0.5, 2),
  )

/** A layout's two operands of one dtype, in either order. */
const operandsArb = (
  layouts: fc.Arbitrary<Layout> = layoutArb,
): fc.Arbitrary<{ layout: Layout; a: Tensor; b: Tensor }> =>
  fc
    .tuple(layouts, dtypeArb, fc.boolean())
    .chain(([layout, d, swap]) =>
      fc
        .tuple(tensorArb(layout.full, d, tiedValueArb), tensorArb(layout.small, d, tiedValueArb))
        .map(([f, s]) => (swap ? { layout, a: s, b: f } : { layout, a: f, b: s })),
    )

// -------------------------------------------------------------------------------------------------
// read patterns
// -------------------------------------------------------------------------------------------------

/** Where output element `i` reads the operand under each pattern (`n` of `size` elements). */
const patternSource = (p: ReadPattern, i: number, n: number, size: number): number =>
  p === "same" ? i : p === "scalar" ? 0 : p === "rows" ? i % n : Math.floor(i / (size / n))

/** A shape and another that broadcasts into it without changing it. */
const fittingArb: fc.Arbitrary<[number[], number[]]> = dimsArb(0, 4).chain((s) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: s.length }),
      fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
    )
    .map(([drop, unit]): [number[], number[]] => [
      s.slice(drop).map((d, i) => (unit[i + drop]! ? 1 : d)),
      s,
    ]),
)

describe("read patterns", () => {
  it("fitsInto holds exactly when broadcasting leaves the shape unchanged", () => {
    fc.assert(
      fc.property(dimsArb(0, 3), dimsArb(0, 3), fittingArb, (x, s, [fx, fs]) => {
        for (const [a, b] of [
          [x, s],
          [fx, fs],
        ] as const) {
          const out = broadcastShapeRef(a, b)
          const expected =
            out !== undefined && out.length === b.length && out.every((d, i) => d === b[i])
          expect(fitsInto(a, b)).toBe(expected)
        }
      }),
      { numRuns: 300 },
    )
  })

  it("name the element the broadcast reads, whenever they name one", () => {
    fc.assert(
      fc.property(fittingArb, ([x, s]) => {
        const n = count(x)
        const size = count(s)
        if (size === 0) return
        const p = readPattern(x, n, s, size)
        if (p === "other") return
        for (let i = 0; i < size; i++)
          expect(broadcastSource(unravel(i, s), x)).toBe(patternSource(p, i, n, size))
      }),
      { numRuns: 300 },
    )
  })

  it("recognise the layouts built to be fast, and only those", () => {
    const fast: Record<Built, ReadonlyArray<ReadPattern>> = {
      same: ["same"],
      scalar: ["same", "scalar"],
      // a rows or cols operand with every outer axis 1 is the same size as the output
      rows: ["same", "scalar", "rows"],
      cols: ["same", "scalar", "cols"],
      general: ["same", "scalar", "rows", "cols", "other"],
    }
    /** What the binary kernels check: one operand the output's size, the other not "other". */
    const takesFastPath = (x: number[], y: number[], out: number[]): boolean => {
      const size = count(out)
      const pattern = (s: number[]): ReadPattern => readPattern(s, count(s), out, size)
      return (
        (count(x) === size && pattern(y) !== "other") ||
        (count(y) === size && pattern(x) !== "other")
      )
    }
    fc.assert(
      fc.property(layoutArb, ({ built, full, small }) => {
        const out = broadcastShapeRef(full, small)!
        expect(fast[built]).toContain(readPattern(small, count(small), out, count(out)))
        expect(takesFastPath(full, small, out)).toBe(built !== "general")
      }),
      { numRuns: 300 },
    )
  })

  it("call a middle-axis broadcast other", () => {
    expect(readPattern([1, 16, 1], 16, [4, 16, 8], 512)).toBe("other")
    expect(readPattern([16, 1], 16, [4, 16, 8], 512)).toBe("other")
    expect(readPattern([4, 1, 8], 32, [4, 16, 8], 512)).toBe("other")
    expect(readPattern([16], 16, [32, 16], 512)).toBe("rows")
    expect(readPattern([32, 1], 32, [32, 10], 320)).toBe("cols")
    expect(readPattern([32, 1], 32, [1, 32, 10], 320)).toBe("cols")
  })
})

// -------------------------------------------------------------------------------------------------
// binary kernels
// -------------------------------------------------------------------------------------------------

interface KernelCase {
  readonly f: (x: number, y: number) => number
  readonly eq: (a: number, b: number) => boolean
}

const nanMax = (x: number, y: number): number => (x !== x || y !== y ? NaN : Math.max(x, y))
const nanMin = (x: number, y: number): number => (x !== x || y !== y ? NaN : Math.min(x, y))
const b01 = (c: boolean): number => (c ? 1 : 0)

const kernelCases: Record<BinaryPrimitive | ComparePrimitive, KernelCase> = {
  add: { f: (x, y) => x + y, eq: sameBits },
  sub: { f: (x, y) => x - y, eq: sameBits },
  mul: { f: (x, y) => x * y, eq: sameBits },
  div: { f: (x, y) => x / y, eq: sameBits },
  pow: { f: (x, y) => Math.pow(x, y), eq: sameBits },
  // which zero a tie of +0 and -0 gives is not specified
  maximum: { f: nanMax, eq: sameValueZero },
  minimum: { f: nanMin, eq: sameValueZero },
  equal: { f: (x, y) => b01(x === y), eq: sameBits },
  greater: { f: (x, y) => b01(x > y), eq: sameBits },
  greaterEqual: { f: (x, y) => b01(x >= y), eq: sameBits },
}

const isCompare = (op: string): boolean =>
  op === "equal" || op === "greater" || op === "greaterEqual"

/** A copy of a tensor's values, to check later that nothing wrote into it. */
const snapshot = (t: Tensor): number[] => Array.from(t.data)

describe("binary kernels on every layout", () => {
  for (const [op, c] of Object.entries(kernelCases)) {
    const name = op as BinaryPrimitive | ComparePrimitive
    it(`${op} agrees with the naive reference, in every dtype, and leaves its inputs alone`, () => {
      fc.assert(
        fc.property(operandsArb(), ({ a, b }) => {
          const before = [snapshot(a), snapshot(b)]
          const out = referenceKernels[name]([a, b], {})
          const dtype: DType = isCompare(op) ? "int32" : a.dtype
          expectMatches(out, elementwiseRef(dtype, [refOf(a), refOf(b)], c.f), c.eq)
          expect([snapshot(a), snapshot(b)]).toEqual(before)
        }),
        { numRuns: 120 },
      )
    })
  }

  it("handles empty outputs on every layout", () => {
    for (const d of ["float32", "float64", "int32"] as const) {
      const pairs: ReadonlyArray<[number[], number[]]> = [
        [[0], [0]],
        [[3, 0], []],
        [[0, 4], [4]],
        [
          [0, 4],
          [0, 1],
        ],
        [
          [2, 0],
          [2, 1],
        ],
        [
          [0, 1],
          [1, 5],
        ],
      ]
      for (const [sa, sb] of pairs)
        for (const [x, y] of [
          [sa, sb],
          [sb, sa],
        ] as const) {
          const a = make(d, x, new Array<number>(count(x)).fill(1))
          const b = make(d, y, new Array<number>(count(y)).fill(2))
          const out = referenceKernels.add([a, b], {})
          expect(out.shape).toEqual(broadcastShapeRef(x, y))
          expect(out.size).toBe(0)
        }
    }
  })
})

describe("ops with a number on either side", () => {
  it("give the same as a 0-d tensor of the tensor's dtype (NaN and fractions included)", () => {
    const numberArb = fc.oneof(
      fc.integer({ min: -9, max: 9 }),
      fc.double({ min: -9, max: 9 }),
      fc.constantFrom(NaN, Infinity, -0),
    )
    const ops = {
      add: (x: number, y: number) => x + y,
      sub: (x: number, y: number) => x - y,
      mul: (x: number, y: number) => x * y,
    } as const
    fc.assert(
      fc.property(
        fc.tuple(dimsArb(0, 3), dtypeArb).chain(([s, d]) => tensorArb(s, d)),
        numberArb,
        fc.boolean(),
        fc.constantFrom<"add" | "sub" | "mul">("add", "sub", "mul"),
        (t, v, left, op) => {
          // a fractional or non-finite number turns int32 into float32 (JAX's weak types)
          const d: DType = t.dtype === "int32" && !Number.isInteger(v) ? "float32" : t.dtype
          const tr: Ref = { ...refOf(t), dtype: d }
          const num: Ref = { dtype: d, shape: [], values: [d === "float32" ? Math.fround(v) : v] }
          const expected = elementwiseRef(d, left ? [num, tr] : [tr, num], ops[op])
          expectMatches(left ? T[op](v, t) : T[op](t, v), expected)
        },
      ),
      { numRuns: 200 },
    )
  })
})

// -------------------------------------------------------------------------------------------------
// where
// -------------------------------------------------------------------------------------------------

describe("where", () => {
  /** Each operand whole or one element (rank 0 to 2), or broadcast in general. */
  const partArb = (s: number[]): fc.Arbitrary<number[]> =>
    fc.oneof(
      fc.constant(s),
      fc.integer({ min: 0, max: 2 }).map(ones),
      fc
        .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
        .map((unit) => s.map((d, i) => (unit[i]! ? 1 : d))),
    )
  const tripleArb = fc.tuple(dimsArb(0, 3), dtypeArb).chain(([s, d]) =>
    fc.tuple(partArb(s), partArb(s), partArb(s)).chain(([sc, sa, sb]) =>
      fc.tuple(
        // conditions: zero, one, and other non-zero values, the int32 extremes included
        tensorArb(sc, "int32", () =>
          fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1)),
        ),
        tensorArb(sa, d),
        tensorArb(sb, d),
      ),
    ),
  )

  it("picks like the naive reference and leaves its inputs alone", () => {
    fc.assert(
      fc.property(tripleArb, ([c, a, b]) => {
        const before = [snapshot(c), snapshot(a), snapshot(b)]
        const out = referenceKernels.where([c, a, b], {})
        const expected = elementwiseRef(a.dtype, [refOf(c), refOf(a), refOf(b)], (k, x, y) =>
          k !== 0 ? x : y,
        )
        expectMatches(out, expected)
        expect([snapshot(c), snapshot(a), snapshot(b)]).toEqual(before)
      }),
      { numRuns: 200 },
    )
  })
})

// -------------------------------------------------------------------------------------------------
// sums
// -------------------------------------------------------------------------------------------------

describe("sum over a block of axes", () => {
  /** A shape and a contiguous, sorted block of its axes (leading ones: a bias's gradient). */
  const blockArb = dimsArb(1, 3).chain((s) =>
    fc
      .tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 0, max: s.length - 1 }))
      .map(([i, j]) => {
        const [first, last] = i <= j ? [i, j] : [j, i]
        return { s, axes: Array.from({ length: last - first + 1 }, (_, k) => first + k) }
      }),
  )

  const foldSum = (x: Tensor, axes: ReadonlyArray<number>): Ref =>
    foldRef(
      refOf(x),
      axes,
      false,
      () => 0,
      (acc, v) => acc + v,
      (acc) => acc,
      x.dtype,
    )

  it("adds in float64, in C order, whatever the width of the kept block", () => {
    fc.assert(
      fc.property(
        blockArb.chain(({ s, axes }) =>
          dtypeArb.chain((d) => tensorArb(s, d).map((x) => ({ x, axes }))),
        ),
        ({ x, axes }) => {
          expectMatches(referenceKernels.sum([x], { axes }), foldSum(x, axes))
        },
      ),
      { numRuns: 200 },
    )
  })

  it("gives the same results however wide the previous sum was", () => {
    const values = (n: number, k: number): number[] =>
      Array.from({ length: n }, (_, i) => ((i * 7 + k) % 13) - 6.5)
    // widths below, above and far above the accumulator kept between calls
    for (const [rows, width] of [
      [3, 5],
      [4, 300],
      [2, 3],
      [2, 70_000],
      [5, 16],
    ] as const) {
      for (const d of ["float32", "float64"] as const) {
        const x = make(d, [rows, width], values(rows * width, width))
        expectMatches(referenceKernels.sum([x], { axes: [0] }), foldSum(x, [0]))
      }
    }
  })

  it("accepts the kernel's axes in any order", () => {
    const x = make(
      "float64",
      [2, 3, 4],
      Array.from({ length: 24 }, (_, i) => i * 1.5),
    )
    for (const axes of [
      [2, 0],
      [1, 0],
      [2, 1, 0],
    ])
      expectMatches(
        referenceKernels.sum([x], { axes }),
        foldSum(
          x,
          axes.slice().sort((p, q) => p - q),
        ),
      )
  })
})
