import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { DType, Tensor } from "../src/index.ts"
import type { Ref } from "./reference.ts"
import {
  broadcastPairArb,
  broadcastToRef,
  broadcastShapeRef,
  castRef,
  compatibleShapeArb,
  dtypeArb,
  elementwiseRef,
  expectMatches,
  make,
  promoteRef,
  refOf,
  sameBits,
  sameValueZero,
  shapeArb,
  tensorArb,
} from "./reference.ts"

type Binary = (a: T.TensorLike, b: T.TensorLike) => Tensor

interface BinaryCase {
  readonly op: Binary
  /** The operation on doubles. */
  readonly f: (x: number, y: number) => number
  /** The result dtype for operands promoted to `d`. */
  readonly out: (d: DType) => DType
  /** How results are compared (signed zeros of max/min ties are not specified). */
  readonly eq: (a: number, b: number) => boolean
}

const nanMax = (x: number, y: number): number => (x !== x || y !== y ? NaN : Math.max(x, y))
const nanMin = (x: number, y: number): number => (x !== x || y !== y ? NaN : Math.min(x, y))
const same = (d: DType): DType => d
const int = (): DType => "int32"
const b01 = (c: boolean): number => (c ? 1 : 0)

const binaryCases: Record<string, BinaryCase> = {
  add: { op: T.add, f: (x, y) => x + y, out: same, eq: sameBits },
  sub: { op: T.sub, f: (x, y) => x - y, out: same, eq: sameBits },
  mul: { op: T.mul, f: (x, y) => x * y, out: same, eq: sameBits },
  div: {
    op: T.div,
    f: (x, y) => x / y,
    out: (d) => (d === "int32" ? "float32" : d),
    eq: sameBits,
  },
  pow: { op: T.pow, f: (x, y) => Math.pow(x, y), out: same, eq: sameBits },
  maximum: { op: T.maximum, f: nanMax, out: same, eq: sameValueZero },
  minimum: { op: T.minimum, f: nanMin, out: same, eq: sameValueZero },
  equal: { op: T.equal, f: (x, y) => b01(x === y), out: int, eq: sameBits },
  greater: { op: T.greater, f: (x, y) => b01(x > y), out: int, eq: sameBits },
  greaterEqual: { op: T.greaterEqual, f: (x, y) => b01(x >= y), out: int, eq: sameBits },
  less: { op: T.less, f: (x, y) => b01(x < y), out: int, eq: sameBits },
  lessEqual: { op: T.lessEqual, f: (x, y) => b01(x <= y), out: int, eq: sameBits },
}

/** The reference result of a binary op on two (tensor) operands with promotion. */
const binaryRef = (c: BinaryCase, a: Ref, b: Ref): Ref => {
  const d = promoteRef(a.dtype, b.dtype)
  const out = c.out(d)
  // operands are converted to the promoted dtype, then to the computing dtype (div of ints)
  const ca = castRef(castRef(a, d), out === "int32" ? d : out)
  const cb = castRef(castRef(b, d), out === "int32" ? d : out)
  return elementwiseRef(out, [ca, cb], c.f)
}

/** Two tensors of random dtypes whose shapes broadcast. */
const operandsArb = broadcastPairArb.chain(([sa, sb]) =>
  fc.tuple(dtypeArb, dtypeArb).chain(([da, db]) => fc.tuple(tensorArb(sa, da), tensorArb(sb, db))),
)

describe("binary ops broadcast like the naive reference", () => {
  for (const [name, c] of Object.entries(binaryCases)) {
    it(`${name} agrees on random compatible shapes and dtypes`, () => {
      fc.assert(
        fc.property(operandsArb, ([a, b]) => {
          expectMatches(c.op(a, b), binaryRef(c, refOf(a), refOf(b)), c.eq)
        }),
        { numRuns: 150 },
      )
    })
  }
})

describe("broadcasting is symmetric", () => {
  const symmetric: ReadonlyArray<[string, Binary, Binary, (a: number, b: number) => boolean]> = [
    ["add", T.add, T.add, sameBits],
    ["mul", T.mul, T.mul, sameBits],
    ["equal", T.equal, T.equal, sameBits],
    ["maximum", T.maximum, T.maximum, sameValueZero],
    ["minimum", T.minimum, T.minimum, sameValueZero],
    ["greater/less", T.greater, T.less, sameBits],
    ["greaterEqual/lessEqual", T.greaterEqual, T.lessEqual, sameBits],
  ]
  for (const [name, f, g, eq] of symmetric) {
    it(`${name}(a, b) equals its mirror on (b, a), shape and dtype included`, () => {
      fc.assert(
        fc.property(operandsArb, ([a, b]) => {
          expectMatches(f(a, b), refOf(g(b, a)), eq)
        }),
      )
    })
  }
})

describe("dtype promotion", () => {
  const x32 = make("float32", [2], [1.5, -2])
  const x64 = make("float64", [2], [1.5, -2])
  const i32 = make("int32", [2], [3, -4])

  it("promotes tensors JAX style", () => {
    expect(T.add(i32, x32).dtype).toBe("float32")
    expect(T.add(x32, i32).dtype).toBe("float32")
    expect(T.add(x32, x64).dtype).toBe("float64")
    expect(T.add(i32, x64).dtype).toBe("float64")
    expect(T.add(i32, i32).dtype).toBe("int32")
    expect(T.div(i32, i32).dtype).toBe("float32")
    expect(T.greater(x64, i32).dtype).toBe("int32")
  })

  it("treats numbers as weakly typed", () => {
    expect(T.add(x32, 1).dtype).toBe("float32")
    expect(T.add(1, x32).dtype).toBe("float32")
    expect(T.mul(x32, 0.1).dtype).toBe("float32")
    expect(T.add(x64, 1).dtype).toBe("float64")
    expect(T.add(i32, 1).dtype).toBe("int32")
    expect(T.add(i32, 0.5).dtype).toBe("float32")
    expect(Array.from(T.add(i32, 0.5).data)).toEqual([3.5, -3.5])
    expect(T.add(1, 2).dtype).toBe("int32")
    expect(T.add(1.5, 2).dtype).toBe("float32")
  })

  it("agrees with the reference for a tensor and a number on either side", () => {
    const numberArb = fc.oneof(
      fc.integer({ min: -20, max: 20 }),
      fc.double({ min: -20, max: 20, noNaN: true }),
    )
    fc.assert(
      fc.property(
        shapeArb().chain((s) => dtypeArb.chain((d) => tensorArb(s, d))),
        numberArb,
        fc.boolean(),
        fc.constantFrom(...Object.keys(binaryCases)),
        (t, v, left, name) => {
          const c = binaryCases[name]!
          // the number takes the tensor's dtype, unless it is fractional and the tensor int32
          const nd: DType = t.dtype === "int32" && !Number.isInteger(v) ? "float32" : t.dtype
          const num: Ref = { dtype: nd, shape: [], values: [v] }
          const tr = refOf(t)
          const expected = left ? binaryRef(c, num, tr) : binaryRef(c, tr, num)
          expectMatches(left ? c.op(v, t) : c.op(t, v), expected, c.eq)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe("where", () => {
  const tripleArb = shapeArb().chain((s) =>
    fc
      .tuple(compatibleShapeArb(s), compatibleShapeArb(s), compatibleShapeArb(s))
      .chain(([sc, sa, sb]) =>
        fc.tuple(dtypeArb, dtypeArb, dtypeArb).chain(([dc, da, db]) =>
          fc.tuple(
            // conditions: mostly 0/1, sometimes other values (NaN and 0.5 count as true)
            tensorArb(sc, dc, (d) =>
              d === "int32"
                ? fc.integer({ min: -1, max: 2 })
                : fc.constantFrom(0, 1, 0.5, -0, NaN, -3),
            ),
            tensorArb(sa, da),
            tensorArb(sb, db),
          ),
        ),
      ),
  )

  it("picks a where cond is non-zero, else b, broadcasting all three", () => {
    fc.assert(
      fc.property(tripleArb, ([c, a, b]) => {
        const d = promoteRef(a.dtype, b.dtype)
        const expected = elementwiseRef(
          d,
          [refOf(c), castRef(refOf(a), d), castRef(refOf(b), d)],
          (cv, av, bv) => (cv !== 0 ? av : bv),
        )
        expectMatches(T.where(c, a, b), expected)
      }),
      { numRuns: 200 },
    )
  })

  it("treats a float condition of 0.5 (and NaN) as true", () => {
    const c = make("float32", [4], [0.5, 0, NaN, -0])
    expect(Array.from(T.where(c, 1, 2).data)).toEqual([1, 2, 1, 2])
  })

  it("takes numbers for either branch with weak typing", () => {
    const c = make("int32", [3], [1, 0, 1])
    const x = make("float32", [3], [10, 20, 30])
    const r = T.where(c, x, 0)
    expect(r.dtype).toBe("float32")
    expect(Array.from(r.data)).toEqual([10, 0, 30])
    expect(T.where(c, 1, 0.5).dtype).toBe("float32")
    expect(T.where(c, 1, 0).dtype).toBe("int32")
  })
})

describe("broadcastTo and broadcastShapes", () => {
  it("broadcastShapes agrees with the reference on compatible shapes", () => {
    fc.assert(
      fc.property(broadcastPairArb, ([a, b]) => {
        expect(T.broadcastShapes("test", a, b)).toEqual(broadcastShapeRef(a, b))
      }),
    )
  })

  it("broadcastTo materialises the broadcast like the reference", () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) =>
          fc.tuple(
            fc.constant(s),
            compatibleShapeArb(s).chain((t) => dtypeArb.chain((d) => tensorArb(t, d))),
          ),
        ),
        ([s, x]) => {
          expectMatches(T.broadcastTo(x, s), broadcastToRef(refOf(x), s))
        },
      ),
    )
  })
})
