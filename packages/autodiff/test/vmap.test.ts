/**
 * Batching: for every primitive, random batch sizes and random `inAxes` / `outAxes`, `vmap(f)`
 * equals stacking `f` on each example, bit for bit (the same arithmetic runs in the same order).
 * The cases are a mapped type over `Primitive`: a primitive without a case does not compile.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import type { Params, Primitive } from "@fnn/tensor/internal"
import { bind, primitives } from "@fnn/tensor/internal"
import { arbBroadcastShapes, arbShape, arbTensor } from "../src/testing/index.ts"
import type { TensorOptions } from "../src/testing/index.ts"
import { vmap } from "../src/index.ts"

/** A function of one example's arguments, and an arbitrary for each argument of one example. */
interface Case {
  readonly f: (...args: T.Tensor[]) => T.Tensor
  readonly args: ReadonlyArray<fc.Arbitrary<T.Tensor>>
}

const dtypes = fc.constantFrom<T.DType>("float32", "float64")
const small = { maxRank: 3, maxDim: 3 } as const
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

const unary = (prim: Primitive, options: TensorOptions = {}): fc.Arbitrary<Case> =>
  fc.tuple(dtypes, arbShape(small)).map(([dtype, s]) => ({
    f: (t) => bind(prim, [t], {}),
    args: [arbTensor(s, { ...options, dtype })],
  }))

const binary = (
  prim: Primitive,
  a: TensorOptions = {},
  b: TensorOptions = {},
): fc.Arbitrary<Case> =>
  fc.tuple(dtypes, arbBroadcastShapes(2, small)).map(([dtype, [sa, sb]]) => ({
    f: (p, q) => bind(prim, [p, q], {}),
    args: [arbTensor(sa!, { ...a, dtype }), arbTensor(sb!, { ...b, dtype })],
  }))

/** Values on a coarse grid, so comparisons and max see ties. */
const coarse = (s: ReadonlyArray<number>, dtype: T.DType): fc.Arbitrary<T.Tensor> =>
  arbTensor(s, { dtype: "int32", min: -2, max: 2 }).map((x) => T.cast(x, dtype))

const compare = (prim: Primitive): fc.Arbitrary<Case> =>
  fc.tuple(dtypes, arbBroadcastShapes(2, small)).map(([dtype, [sa, sb]]) => ({
    f: (p, q) => bind(prim, [p, q], {}),
    args: [coarse(sa!, dtype), coarse(sb!, dtype)],
  }))

const shapeAndAxes = (minDim = 0): fc.Arbitrary<[number[], number[]]> =>
  arbShape({ ...small, minDim }).chain((s) =>
    fc.subarray(range(s.length)).map((axes): [number[], number[]] => [s, axes]),
  )

const shapeAndAxis = (minDim = 0): fc.Arbitrary<[number[], number]> =>
  arbShape({ ...small, minRank: 1, minDim }).chain((s) =>
    fc.integer({ min: 0, max: s.length - 1 }).map((a): [number[], number] => [s, a]),
  )

const reduction = (prim: "sum" | "max"): fc.Arbitrary<Case> =>
  fc.tuple(dtypes, shapeAndAxes(prim === "max" ? 1 : 0)).map(([dtype, [s, axes]]) => ({
    f: (t) => bind(prim, [t], { axes }),
    args: [prim === "max" ? coarse(s, dtype) : arbTensor(s, { dtype })],
  }))

const oneInput = <P extends Primitive>(
  prim: P,
  params: (s: number[]) => fc.Arbitrary<Params[P]>,
): fc.Arbitrary<Case> =>
  fc.tuple(dtypes, arbShape(small)).chain(([dtype, s]) =>
    params(s).map((p) => ({
      f: (t: T.Tensor) => bind(prim, [t], p),
      args: [arbTensor(s, { dtype })],
    })),
  )

const indices = (n: number): fc.Arbitrary<fc.Arbitrary<T.Tensor>> =>
  arbShape({ maxRank: 2, maxDim: 3 }).map((s) =>
    arbTensor(s, { dtype: "int32", min: 0, max: n - 1 }),
  )

/** int32 words of keys (or counters) of `shape`, over the whole 32-bit range. */
const keyBits = (shape: number[]): fc.Arbitrary<T.Tensor> =>
  arbTensor(shape, { dtype: "int32", min: -(2 ** 31), max: 2 ** 31 - 1 })

/** A sampler as the `sample` primitive takes it. */
type Sampler = Params["sample"]["sampler"]

const cases: { readonly [P in Primitive]: fc.Arbitrary<Case> } = {
  neg: unary("neg"),
  abs: unary("abs"),
  sign: unary("sign"),
  exp: unary("exp"),
  log: unary("log", { min: 0.2, max: 3 }),
  log1p: unary("log1p", { min: -0.7, max: 3 }),
  sqrt: unary("sqrt", { min: 0, max: 3 }),
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid"),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div", {}, { avoid: [0], margin: 0.3 }),
  pow: binary("pow", { min: 0.3, max: 2 }),
  maximum: compare("maximum"),
  minimum: compare("minimum"),
  equal: compare("equal"),
  greater: compare("greater"),
  greaterEqual: compare("greaterEqual"),
  where: fc.tuple(dtypes, arbBroadcastShapes(3, small)).map(([dtype, [sc, sa, sb]]) => ({
    f: (c, a, b) => bind("where", [c, a, b], {}),
    args: [
      arbTensor(sc!, { dtype: "int32", min: 0, max: 1 }),
      arbTensor(sa!, { dtype }),
      arbTensor(sb!, { dtype }),
    ],
  })),
  cast: fc
    .tuple(dtypes, fc.constantFrom<T.DType>("float32", "float64", "int32"), arbShape(small))
    .map(([from, to, s]) => ({
      f: (t) => bind("cast", [t], { dtype: to }),
      args: [arbTensor(s, { dtype: from, min: -5, max: 5 })],
    })),
  sum: reduction("sum"),
  max: reduction("max"),
  argmax: fc.tuple(dtypes, shapeAndAxis(1)).map(([dtype, [s, axis]]) => ({
    f: (t) => bind("argmax", [t], { axis }),
    args: [coarse(s, dtype)],
  })),
  reshape: oneInput("reshape", (s) => fc.constant({ shape: [...s].reverse() })),
  broadcastTo: fc.tuple(dtypes, arbBroadcastShapes(2, small)).map(([dtype, [s, other]]) => ({
    f: (t) => bind("broadcastTo", [t], { shape: T.broadcastShapes("test", s!, other!) }),
    args: [arbTensor(s!, { dtype })],
  })),
  transpose: oneInput("transpose", (s) =>
    fc
      .shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length })
      .map((perm) => ({ perm })),
  ),
  slice: oneInput("slice", (s) =>
    fc
      .tuple(
        fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d }))),
        fc.tuple(...s.map(() => fc.nat())),
      )
      .map(([starts, extra]) => ({
        starts,
        sizes: s.map((d, i) => extra[i]! % (d - starts[i]! + 1)),
      })),
  ),
  pad: oneInput("pad", (s) =>
    fc
      .tuple(
        fc.tuple(...s.map(() => fc.integer({ min: 0, max: 2 }))),
        fc.tuple(...s.map(() => fc.integer({ min: 0, max: 2 }))),
      )
      .map(([lo, hi]) => ({ lo, hi })),
  ),
  concat: fc
    .tuple(
      dtypes,
      shapeAndAxis(),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
    )
    .map(([dtype, [s, axis], sizes]) => ({
      f: (...ts) => bind("concat", ts, { axis }),
      args: sizes.map((n) =>
        arbTensor(
          s.map((d, i) => (i === axis ? n : d)),
          { dtype },
        ),
      ),
    })),
  gather: fc.tuple(dtypes, shapeAndAxis(1)).chain(([dtype, [s, axis]]) =>
    indices(s[axis]!).map((idx) => ({
      f: (x: T.Tensor, i: T.Tensor) => bind("gather", [x, i], { axis }),
      args: [arbTensor(s, { dtype }), idx],
    })),
  ),
  scatterAdd: fc.tuple(dtypes, shapeAndAxis(1)).chain(([dtype, [s, axis]]) =>
    arbShape({ maxRank: 2, maxDim: 3 }).map((q) => ({
      f: (u: T.Tensor, i: T.Tensor) => bind("scatterAdd", [u, i], { axis, shape: s }),
      args: [
        arbTensor([...s.slice(0, axis), ...q, ...s.slice(axis + 1)], { dtype }),
        arbTensor(q, { dtype: "int32", min: 0, max: s[axis]! - 1 }),
      ],
    })),
  ),
  matmul: fc
    .record({
      dtype: dtypes,
      batch: arbShape({ maxRank: 2, maxDim: 2 }),
      m: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }),
      n: fc.integer({ min: 1, max: 3 }),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
    })
    .map(({ dtype, batch, m, k, n, transposeA, transposeB }) => ({
      f: (p, q) => bind("matmul", [p, q], { transposeA, transposeB }),
      args: [
        arbTensor([...batch, ...(transposeA ? [k, m] : [m, k])], { dtype }),
        arbTensor([...batch, ...(transposeB ? [n, k] : [k, n])], { dtype }),
      ],
    })),
  threefry2x32: arbBroadcastShapes(2, { maxRank: 2, maxDim: 3 }).map(([sa, sb]) => ({
    f: (k, c) => bind("threefry2x32", [k, c], {}),
    args: [keyBits([...sa!, 2]), keyBits([...sb!, 2])],
  })),
  sample: fc
    .tuple(
      arbShape({ maxRank: 2, maxDim: 3 }),
      arbShape({ maxRank: 2, maxDim: 3 }),
      fc.constantFrom<Sampler>(
        { kind: "uniform", dtype: "float32", min: -1, max: 1 },
        { kind: "normal", dtype: "float64", mean: 0, std: 1 },
        { kind: "bernoulli", p: 0.3 },
        { kind: "randint", min: 0, max: 7 },
      ),
    )
    .map(([batch, shape, sampler]) => ({
      f: (k) => bind("sample", [k], { sampler, shape }),
      args: [keyBits([...batch, 2])],
    })),
}

/** Stacks `xs` along `axis` (which may be negative, counting axes of the result). */
const stackAt = (xs: ReadonlyArray<T.Tensor>, axis: number, like: T.Tensor): T.Tensor =>
  xs.length === 0 ? T.zeros([0, ...like.shape], { dtype: like.dtype }) : T.stack(xs, axis)

/** A batch for one argument: `size` examples stacked along `axis`, or one shared value. */
interface Arg {
  readonly examples: ReadonlyArray<T.Tensor>
  readonly axis: number | null
}

const arbArg = (arb: fc.Arbitrary<T.Tensor>, size: number): fc.Arbitrary<Arg> =>
  fc.oneof(
    arb.map((x): Arg => ({ examples: [x], axis: null })),
    arb
      .chain((x0) =>
        fc.tuple(
          fc.array(
            arb.filter((x) => T.tree.structureEquals(x, x0)),
            { minLength: size, maxLength: size },
          ),
          fc.integer({ min: -(x0.rank + 1), max: x0.rank }),
        ),
      )
      .map(([examples, axis]): Arg => ({ examples, axis })),
  )

const batched = (a: Arg, b: number): T.Tensor => (a.axis === null ? a.examples[0]! : a.examples[b]!)

const same = (got: T.Tensor, want: T.Tensor): void => {
  expect(got.dtype).toBe(want.dtype)
  expect(got.shape).toEqual(want.shape)
  expect(Array.from(got.data)).toEqual(Array.from(want.data))
}

describe("vmap of every primitive", () => {
  it("has a case here (the table above is complete)", () => {
    expect(Object.keys(cases).sort()).toEqual([...primitives].sort())
  })

  for (const prim of primitives)
    it(`${prim}: equals f on each example, stacked, for any inAxes and outAxes`, () => {
      fc.assert(
        fc.property(
          cases[prim].chain((c) =>
            fc.integer({ min: 1, max: 3 }).chain((size) =>
              fc
                .tuple(...c.args.map((a) => arbArg(a, size)))
                .filter((args) => args.some((a) => a.axis !== null))
                .chain((args) => {
                  const y = c.f(...args.map((a) => a.examples[0]!))
                  return fc
                    .integer({ min: -(y.rank + 1), max: y.rank })
                    .map((out) => ({ c, size, args, out }))
                }),
            ),
          ),
          ({ c, size, args, out }) => {
            const inputs = args.map((a) =>
              a.axis === null ? a.examples[0]! : T.stack(a.examples, a.axis),
            )
            const got = vmap(c.f, { inAxes: args.map((a) => a.axis), outAxes: out })(...inputs)
            const each = range(size).map((b) => c.f(...args.map((a) => batched(a, b))))
            same(got, stackAt(each, out, each[0]!))
          },
        ),
        { numRuns: 60 },
      )
    })
})

/** A batch of batches for one argument: `outer × inner` examples, or one shared value. */
interface Arg2 {
  readonly examples: ReadonlyArray<ReadonlyArray<T.Tensor>>
  readonly inner: number | null
}

const arbArg2 = (arb: fc.Arbitrary<T.Tensor>, outer: number, inner: number): fc.Arbitrary<Arg2> =>
  fc.oneof(
    arb.map((x): Arg2 => ({ examples: [[x]], inner: null })),
    arb
      .chain((x0) =>
        fc.tuple(
          fc.array(
            fc.array(
              arb.filter((x) => T.tree.structureEquals(x, x0)),
              { minLength: inner, maxLength: inner },
            ),
            { minLength: outer, maxLength: outer },
          ),
          fc.integer({ min: 0, max: x0.rank }),
        ),
      )
      .map(([examples, axis]): Arg2 => ({ examples, inner: axis })),
  )

describe("vmap of vmap of every primitive", () => {
  for (const prim of primitives)
    it(`${prim}: equals f on each example of each batch`, () => {
      fc.assert(
        fc.property(
          cases[prim].chain((c) =>
            fc
              .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }))
              .chain(([outer, inner]) =>
                fc
                  .tuple(...c.args.map((a) => arbArg2(a, outer, inner)))
                  .filter((args) => args.some((a) => a.inner !== null))
                  .map((args) => ({ c, outer, inner, args })),
              ),
          ),
          ({ c, outer, inner, args }) => {
            const inputs = args.map((a) =>
              a.inner === null
                ? a.examples[0]![0]!
                : T.stack(a.examples.map((row) => T.stack(row, a.inner!))),
            )
            const inAxes = args.map((a) => (a.inner === null ? null : 0))
            const innerAxes = args.map((a) => a.inner)
            const got = vmap(vmap(c.f, { inAxes: innerAxes }), { inAxes })(...inputs)
            const pick = (a: Arg2, i: number, j: number): T.Tensor =>
              a.inner === null ? a.examples[0]![0]! : a.examples[i]![j]!
            const want = T.stack(
              range(outer).map((i) =>
                T.stack(range(inner).map((j) => c.f(...args.map((a) => pick(a, i, j))))),
              ),
            )
            same(got, want)
          },
        ),
        { numRuns: 25 },
      )
    })
})

describe("vmap over PRNG keys", () => {
  it("sampling under vmap equals sampling with each key, bit for bit", () => {
    const keys = T.random.split(T.random.key(42), 5)
    const draw = (k: T.random.Key): T.Tensor =>
      T.add(T.random.normal(k, [3]), T.random.uniform(T.random.foldIn(k, 1), [3]))
    // a stack of keys is a key of batch shape [5]
    const batched = vmap(draw)(T.stack(keys) as T.random.Key)
    const stacked = T.stack(keys.map(draw))
    expect(Array.from(batched.data)).toEqual(Array.from(stacked.data))
    expect(batched.shape).toEqual([5, 3])
  })
})

describe("vmap over ops that check values when they can", () => {
  it("oneHot of batched labels and the cross-entropy built on it run under vmap", () => {
    const labels = T.tensor([2, 0, 1], { dtype: "int32" })
    const rows = vmap((l: T.Tensor) => T.oneHot(l, 3))(labels)
    expect(T.toArray(rows)).toEqual(T.toArray(T.oneHot(labels, 3)))
    const per = vmap((z: T.Tensor, l: T.Tensor) =>
      T.neg(T.sum(T.mul(T.logSoftmax(z), T.oneHot(l, 3)))),
    )(T.ones([3, 3]), labels)
    expect(per.shape).toEqual([3])
  })
})
