import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { DType, Tensor } from "../src/index.ts"
import type { Ref } from "./reference.ts"
import {
  concatRef,
  count,
  dtypeArb,
  expectMatches,
  gatherRef,
  invertPerm,
  make,
  nested,
  permArb,
  promoteRef,
  refOf,
  shapeArb,
  sliceRef,
  tensorArb,
  transposeRef,
} from "./reference.ts"

const flatten = (v: T.Nested): number[] =>
  typeof v === "number" ? [v] : v.flatMap((w) => flatten(w))

const anyTensorArb = (maxRank = 4, maxDim = 4): fc.Arbitrary<Tensor> =>
  shapeArb(maxRank, maxDim).chain((s) => dtypeArb.chain((d) => tensorArb(s, d)))

describe("transpose", () => {
  it("agrees with the naive reference and its inverse permutation undoes it", () => {
    fc.assert(
      fc.property(
        anyTensorArb().chain((x) => fc.tuple(fc.constant(x), permArb(x.rank))),
        ([x, perm]) => {
          const y = T.transpose(x, perm)
          expectMatches(y, transposeRef(refOf(x), perm))
          expectMatches(T.transpose(y, invertPerm(perm)), refOf(x))
        },
      ),
    )
  })

  it("accepts negative axes in perm and reverses the axes by default", () => {
    fc.assert(
      fc.property(anyTensorArb(), (x) => {
        const reversed = x.shape.map((_, i) => x.rank - 1 - i)
        expectMatches(T.transpose(x), transposeRef(refOf(x), reversed))
        expectMatches(
          T.transpose(
            x,
            reversed.map((a) => a - x.rank),
          ),
          transposeRef(refOf(x), reversed),
        )
      }),
    )
  })

  it("handles large 2-D matrices (the blocked path)", () => {
    const x = make(
      "float64",
      [37, 70],
      Array.from({ length: 37 * 70 }, (_, i) => i),
    )
    expectMatches(T.transpose(x), transposeRef(refOf(x), [1, 0]))
  })
})

describe("reshape and toArray", () => {
  /** A tensor and a random factorisation of its size into a new shape, maybe with one -1. */
  const reshapeArb = anyTensorArb().chain((x) => {
    const n = x.size
    const factorsArb =
      n === 0
        ? fc.constantFrom([0], [0, 3], [2, 0])
        : fc.array(fc.integer({ min: 1, max: n }), { maxLength: 4 }).map((ds) => {
            // turn the candidate sizes into a factorisation of n
            const out: number[] = []
            let rest = n
            for (const d of ds) {
              if (rest % d === 0) {
                out.push(d)
                rest /= d
              }
            }
            if (rest !== 1) out.push(rest)
            return out
          })
    return fc.tuple(fc.constant(x), factorsArb, fc.integer({ min: 0, max: 4 }), fc.boolean())
  })

  it("keeps the C-order values, with and without an inferred -1", () => {
    fc.assert(
      fc.property(reshapeArb, ([x, shape, at, infer]) => {
        const target =
          infer && shape.length > 0 && x.size > 0
            ? shape.map((d, i) => (i === at % shape.length ? -1 : d))
            : shape
        const y = T.reshape(x, target)
        expectMatches(y, { dtype: x.dtype, shape, values: refOf(x).values })
        expect(flatten(T.toArray(y))).toEqual(Array.from(x.data))
      }),
    )
  })

  it("toArray builds the nested arrays of the C-order values", () => {
    fc.assert(
      fc.property(anyTensorArb(), (x) => {
        expect(T.toArray(x)).toEqual(nested(refOf(x)))
      }),
    )
  })

  it("reshape to [-1] flattens", () => {
    const x = make("int32", [2, 3], [1, 2, 3, 4, 5, 6])
    expectMatches(T.reshape(x, [-1]), { dtype: "int32", shape: [6], values: [1, 2, 3, 4, 5, 6] })
    expect(T.reshape(x, [3, -1]).shape).toEqual([3, 2])
  })
})

describe("slice", () => {
  const posArb = (d: number): fc.Arbitrary<number | null> =>
    fc.oneof(fc.constant(null), fc.integer({ min: -d - 2, max: d + 2 }))

  const sliceArb = anyTensorArb(4, 5).chain((x) =>
    fc.tuple(
      fc.constant(x),
      fc
        .integer({ min: 0, max: x.rank })
        .chain((k) => fc.tuple(...x.shape.slice(0, k).map(posArb))),
      fc
        .integer({ min: 0, max: x.rank })
        .chain((k) => fc.tuple(...x.shape.slice(0, k).map(posArb))),
    ),
  )

  it("agrees with Python slicing (negative, clamped, null and missing positions)", () => {
    fc.assert(
      fc.property(sliceArb, ([x, starts, ends]) => {
        expectMatches(T.slice(x, starts, ends), sliceRef(refOf(x), starts, ends))
      }),
      { numRuns: 200 },
    )
  })

  it("examples", () => {
    const x = T.arange(10)
    expect(Array.from(T.slice(x, [2], [5]).data)).toEqual([2, 3, 4])
    expect(Array.from(T.slice(x, [-3]).data)).toEqual([7, 8, 9])
    expect(Array.from(T.slice(x, [null], [-8]).data)).toEqual([0, 1])
    expect(Array.from(T.slice(x, [20]).data)).toEqual([])
    expect(T.slice(T.zeros([4, 5]), [null, 1], [null, -1]).shape).toEqual([4, 3])
  })
})

describe("concat and stack", () => {
  /** Tensors (random dtypes) that agree on every axis but `axis`, and `axis` in either sign. */
  const concatArb = fc
    .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), fc.nat())
    .chain(([base, a]) => {
      const axis = a % base.length
      return fc.tuple(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 3 }), dtypeArb).chain(([len, d]) => {
            const s = base.slice()
            s[axis] = len
            return tensorArb(s, d)
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constant(axis),
        fc.boolean(),
      )
    })

  const promoted = (xs: ReadonlyArray<Tensor>): DType => xs.map((x) => x.dtype).reduce(promoteRef)

  it("concat agrees with the naive reference, promoting dtypes", () => {
    fc.assert(
      fc.property(concatArb, ([xs, axis, negative]) => {
        const rank = xs[0]!.rank
        const expected = concatRef(xs.map(refOf), axis, promoted(xs))
        expectMatches(T.concat(xs, negative ? axis - rank : axis), expected)
      }),
    )
  })

  it("stack agrees with the naive reference along any axis", () => {
    fc.assert(
      fc.property(
        shapeArb(3, 3).chain((s) =>
          fc.tuple(
            fc.array(
              dtypeArb.chain((d) => tensorArb(s, d)),
              { minLength: 1, maxLength: 4 },
            ),
            fc.integer({ min: -s.length - 1, max: s.length }),
          ),
        ),
        ([xs, axis]) => {
          const rank = xs[0]!.rank + 1
          const a = axis < 0 ? axis + rank : axis
          // stacking is concatenating copies with a new size-1 axis
          const expanded: Ref[] = xs.map((x) => {
            const shape = x.shape.slice()
            shape.splice(a, 0, 1)
            return { ...refOf(x), shape }
          })
          expectMatches(T.stack(xs, axis), concatRef(expanded, a, promoted(xs)))
        },
      ),
    )
  })
})

describe("gather, take and oneHot", () => {
  const indicesArb = (n: number): fc.Arbitrary<Tensor> =>
    shapeArb(2, 3).chain((s) =>
      fc
        .array(fc.integer({ min: -n, max: n - 1 }), { minLength: count(s), maxLength: count(s) })
        .map((vs) => make("int32", s, vs)),
    )

  it("gather agrees with the naive reference, negative indices counting from the end", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
          .chain((s) =>
            fc.tuple(
              dtypeArb.chain((d) => tensorArb(s, d)),
              fc.integer({ min: -s.length, max: s.length - 1 }),
            ),
          )
          .chain(([x, axis]) => {
            const a = axis < 0 ? axis + x.rank : axis
            return fc.tuple(fc.constant(x), fc.constant(axis), indicesArb(x.shape[a]!))
          }),
        ([x, axis, idx]) => {
          const a = axis < 0 ? axis + x.rank : axis
          const expected = gatherRef(refOf(x), refOf(idx), a)
          expectMatches(T.gather(x, idx, axis), expected)
          expectMatches(T.take(x, idx, axis), expected)
        },
      ),
    )
  })

  it("take without an axis indexes the flattened tensor", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 })
          .chain((s) => dtypeArb.chain((d) => tensorArb(s, d)))
          .chain((x) => fc.tuple(fc.constant(x), indicesArb(x.size))),
        ([x, idx]) => {
          const flat: Ref = { ...refOf(x), shape: [x.size] }
          expectMatches(T.take(x, idx), gatherRef(flat, refOf(idx), 0))
        },
      ),
    )
  })

  it("take accepts a number index", () => {
    const x = make("float32", [2, 3], [1, 2, 3, 4, 5, 6])
    expectMatches(T.take(x, -1, 1), { dtype: "float32", shape: [2], values: [3, 6] })
  })

  it("oneHot puts a single 1 at each label", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            shapeArb(2, 3).chain((s) =>
              fc
                .array(fc.integer({ min: 0, max: n - 1 }), {
                  minLength: count(s),
                  maxLength: count(s),
                })
                .map((vs) => make("int32", s, vs)),
            ),
            dtypeArb,
          ),
        ),
        ([n, labels, dtype]) => {
          const values: number[] = []
          for (const l of labels.data) for (let j = 0; j < n; j++) values.push(j === l ? 1 : 0)
          expectMatches(T.oneHot(labels, n, { dtype }), {
            dtype,
            shape: [...labels.shape, n],
            values,
          })
        },
      ),
    )
  })

  it("oneHot defaults to float32 and rejects labels out of range", () => {
    const l = make("int32", [2], [0, 2])
    expect(T.oneHot(l, 3).dtype).toBe("float32")
    expect(T.toArray(T.oneHot(l, 3))).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ])
    expect(() => T.oneHot(l, 2)).toThrow(/oneHot.*label 2/)
    expect(() => T.oneHot(make("int32", [1], [-1]), 2)).toThrow(T.TensorError)
  })
})

describe("squeeze and expandDims", () => {
  it("expandDims inserts a size-1 axis and keeps the values", () => {
    fc.assert(
      fc.property(
        anyTensorArb(3).chain((x) =>
          fc.tuple(fc.constant(x), fc.integer({ min: -x.rank - 1, max: x.rank })),
        ),
        ([x, axis]) => {
          const a = axis < 0 ? axis + x.rank + 1 : axis
          const shape = x.shape.slice()
          shape.splice(a, 0, 1)
          expectMatches(T.expandDims(x, axis), { ...refOf(x), shape })
        },
      ),
    )
  })

  it("squeeze removes all size-1 axes, or the given ones, and undoes expandDims", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 3 }), { maxLength: 5 })
          .chain((s) => dtypeArb.chain((d) => tensorArb(s, d))),
        (x) => {
          expectMatches(T.squeeze(x), { ...refOf(x), shape: x.shape.filter((d) => d !== 1) })
          const ones = x.shape.flatMap((d, i) => (d === 1 ? [i - x.rank] : []))
          expectMatches(T.squeeze(x, ones), {
            ...refOf(x),
            shape: x.shape.filter((d) => d !== 1),
          })
          expectMatches(T.squeeze(T.expandDims(x, 0), 0), refOf(x))
        },
      ),
    )
  })

  it("squeeze refuses an axis whose size is not 1", () => {
    expect(() => T.squeeze(T.zeros([2, 1]), 0)).toThrow(/squeeze.*size 2/)
  })
})
