/**
 * Every primitive's forward and reverse rule, checked against float64 finite differences with the
 * package's own `checkGrads`, over random shapes (broadcasting included), both float dtypes, and
 * to second order. The cases are a mapped type over `Primitive`: a primitive without a case does
 * not compile.
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as T from "@fnn/tensor"
import type { Params, Primitive } from "@fnn/tensor/internal"
import { bind, primitives } from "@fnn/tensor/internal"
import { arbBroadcastShapes, arbShape, arbTensor, checkGrads } from "../src/testing/index.ts"
import type { TensorOptions } from "../src/testing/index.ts"
import { jvpRules } from "../src/internal/jvpRules.ts"
import { vjpRules } from "../src/internal/vjpRules.ts"

/** A function that exercises one primitive, and arguments to check it at. */
interface Case {
  readonly f: (...args: T.Tensor[]) => T.Tensor
  readonly args: T.Tensor[]
}

const dtypes = fc.constantFrom<T.DType>("float32", "float64")
const small = { maxRank: 3, maxDim: 3 } as const

/** A case for a primitive over keys: `f(t, key)` with a random float `t` and a random key. */
const keyed = (f: (t: T.Tensor, k: T.random.Key) => T.Tensor): fc.Arbitrary<Case> =>
  fc.tuple(dtypes, arbShape(small), fc.nat()).chain(([dtype, s, seed]) =>
    arbTensor(s, { dtype }).map((x) => ({
      f: (t: T.Tensor) => f(t, T.random.key(seed)),
      args: [x],
    })),
  )

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/** Tensors of `shape` whose entries are distinct, at least 0.5 / size apart (no ties for max). */
const distinct = (shape: ReadonlyArray<number>, dtype: T.DType): fc.Arbitrary<T.Tensor> => {
  const n = shape.reduce((a, d) => a * d, 1)
  return fc
    .tuple(
      fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
      fc.array(fc.double({ min: -0.25, max: 0.25, noNaN: true }), { minLength: n, maxLength: n }),
    )
    .map(([perm, jitter]) =>
      T.cast(
        T.reshape(
          T.tensor(
            perm.map((p, i) => -2 + ((p + 0.5 + jitter[i]!) * 4) / n),
            { dtype: "float64" },
          ),
          shape,
        ),
        dtype,
      ),
    )
}

/**
 * Tensors on a grid of step 0.1, offset by `offset`: `a` on one grid and `b` on the other grid
 * (offset 0.05) never tie, so `maximum`, `minimum` and comparisons are differentiable there.
 */
const grid = (
  shape: ReadonlyArray<number>,
  dtype: T.DType,
  offset: number,
): fc.Arbitrary<T.Tensor> => {
  const n = shape.reduce((a, d) => a * d, 1)
  return fc.array(fc.integer({ min: -20, max: 20 }), { minLength: n, maxLength: n }).map((v) =>
    T.cast(
      T.reshape(
        T.tensor(
          v.map((k) => k / 10 + offset),
          { dtype: "float64" },
        ),
        shape,
      ),
      dtype,
    ),
  )
}

const unary = (prim: Primitive, options: TensorOptions = {}): fc.Arbitrary<Case> =>
  dtypes.chain((dtype) =>
    arbTensor(arbShape(small), { ...options, dtype }).map((x) => ({
      f: (t: T.Tensor) => bind(prim, [t], {}),
      args: [x],
    })),
  )

const binary = (
  prim: Primitive,
  a: TensorOptions | "untied" = {},
  b: TensorOptions = {},
): fc.Arbitrary<Case> =>
  fc
    .tuple(dtypes, arbBroadcastShapes(2, small))
    .chain(([dtype, [sa, sb]]) =>
      a === "untied"
        ? fc.tuple(grid(sa!, dtype, 0), grid(sb!, dtype, 0.05))
        : fc.tuple(arbTensor(sa!, { ...a, dtype }), arbTensor(sb!, { ...b, dtype })),
    )
    .map(([x, y]) => ({ f: (p, q) => bind(prim, [p, q], {}), args: [x, y] }))

/** A comparison only decides a factor: its own derivative is zero. */
const comparison = (prim: Primitive): fc.Arbitrary<Case> =>
  binary("add", "untied").map(({ args }) => ({
    f: (p, q) => T.mul(T.cast(bind(prim, [p, q], {}), p.dtype), T.add(p, q)),
    args,
  }))

/** Shapes with a chosen subset of axes. */
const shapeAndAxes = (minRank = 0): fc.Arbitrary<[number[], number[]]> =>
  arbShape({ ...small, minRank }).chain((s) =>
    fc.subarray(range(s.length)).map((axes): [number[], number[]] => [s, axes]),
  )

/** Shapes with one chosen axis. */
const shapeAndAxis = (): fc.Arbitrary<[number[], number]> =>
  arbShape({ ...small, minRank: 1 }).chain((s) =>
    fc.integer({ min: 0, max: s.length - 1 }).map((a): [number[], number] => [s, a]),
  )

const indicesFor = (n: number): fc.Arbitrary<T.Tensor> =>
  arbShape({ maxRank: 2, maxDim: 3 }).chain((s) =>
    arbTensor(s, { dtype: "int32", min: 0, max: n - 1 }),
  )

const axesOf = <A>(d: number, a: fc.Arbitrary<A>): fc.Arbitrary<A[]> =>
  fc.array(a, { minLength: d, maxLength: d })

/**
 * Convolutions over 1 or 2 spatial axes with random strides, explicit padding (negative too),
 * dilations and groups, whose output is not empty.
 */
const convCase: fc.Arbitrary<Case> = fc
  .integer({ min: 1, max: 2 })
  .chain((d) =>
    fc.record({
      dtype: dtypes,
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 2 }),
      cg: fc.integer({ min: 1, max: 2 }),
      og: fc.integer({ min: 1, max: 2 }),
      sizes: axesOf(d, fc.integer({ min: 1, max: 5 })),
      window: axesOf(d, fc.integer({ min: 1, max: 3 })),
      strides: axesOf(d, fc.integer({ min: 1, max: 3 })),
      inputDilation: axesOf(d, fc.integer({ min: 1, max: 2 })),
      kernelDilation: axesOf(d, fc.integer({ min: 1, max: 2 })),
      padding: axesOf(
        d,
        fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })),
      ),
    }),
  )
  .filter((r) =>
    r.sizes.every(
      (s, i) =>
        (s - 1) * r.inputDilation[i]! + 1 + r.padding[i]![0] + r.padding[i]![1] >=
        (r.window[i]! - 1) * r.kernelDilation[i]! + 1,
    ),
  )
  .chain(({ dtype, n, groups, cg, og, sizes, window, ...geometry }) =>
    fc
      .tuple(
        arbTensor([n, ...sizes, groups * cg], { dtype }),
        arbTensor([...window, cg, groups * og], { dtype }),
      )
      .map(([x, w]) => ({
        f: (a: T.Tensor, b: T.Tensor) => bind("conv", [a, b], { ...geometry, groups }),
        args: [x, w],
      })),
  )

/** Windows of 1 or 2 spatial axes, overlapping or not. */
const windowsCase = (transposed: boolean): fc.Arbitrary<Case> =>
  fc
    .integer({ min: 1, max: 2 })
    .chain((d) =>
      fc.record({
        dtype: dtypes,
        sizes: axesOf(d, fc.integer({ min: 1, max: 4 })),
        window: axesOf(d, fc.integer({ min: 1, max: 3 })),
        strides: axesOf(d, fc.integer({ min: 1, max: 2 })),
      }),
    )
    .filter((r) => r.sizes.every((s, i) => s >= r.window[i]!))
    .chain(({ dtype, sizes, window, strides }) => {
      const shape = [2, ...sizes, 2]
      const outs = sizes.map((s, i) => Math.floor((s - window[i]!) / strides[i]!) + 1)
      return transposed
        ? arbTensor([2, ...outs, ...window, 2], { dtype }).map((g) => ({
            f: (t: T.Tensor) => bind("addWindows", [t], { window, strides, shape }),
            args: [g],
          }))
        : arbTensor(shape, { dtype }).map((x) => ({
            f: (t: T.Tensor) => bind("windows", [t], { window, strides }),
            args: [x],
          }))
    })

const cases: { readonly [P in Primitive]: fc.Arbitrary<Case> } = {
  neg: unary("neg"),
  abs: unary("abs", { avoid: [0] }),
  sign: unary("sign", { avoid: [0] }),
  exp: unary("exp"),
  log: unary("log", { min: 0.2, max: 3 }),
  log1p: unary("log1p", { min: -0.7, max: 3 }),
  sqrt: unary("sqrt", { min: 0.2, max: 3 }),
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid", { min: -4, max: 4 }),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div", {}, { avoid: [0], margin: 0.3 }),
  pow: binary("pow", { min: 0.3, max: 2 }, { min: -2, max: 2 }),
  maximum: binary("maximum", "untied"),
  minimum: binary("minimum", "untied"),
  equal: comparison("equal"),
  greater: comparison("greater"),
  greaterEqual: comparison("greaterEqual"),
  where: fc
    .tuple(dtypes, arbBroadcastShapes(3, small))
    .chain(([dtype, [sc, sa, sb]]) =>
      fc.tuple(
        arbTensor(sc!, { dtype: "int32", min: 0, max: 1 }),
        arbTensor(sa!, { dtype }),
        arbTensor(sb!, { dtype }),
      ),
    )
    .map(([c, a, b]) => ({ f: (cc, p, q) => bind("where", [cc, p, q], {}), args: [c, a, b] })),
  cast: fc.oneof(
    fc
      .tuple(dtypes, arbShape(small))
      .chain(([from, s]) => arbTensor(s, { dtype: from }))
      .map((x) => ({
        f: (t: T.Tensor) =>
          bind("cast", [t], { dtype: t.dtype === "float32" ? "float64" : "float32" }),
        args: [x],
      })),
    // casting to int32 is piecewise constant: it only scales here
    arbTensor(arbShape(small), { dtype: "float64", avoid: [-2, -1, 0, 1, 2], margin: 0.05 }).map(
      (x) => ({
        f: (t: T.Tensor) => T.mul(t, T.cast(bind("cast", [t], { dtype: "int32" }), t.dtype)),
        args: [x],
      }),
    ),
  ),
  sum: fc.tuple(dtypes, shapeAndAxes()).chain(([dtype, [s, axes]]) =>
    arbTensor(s, { dtype }).map((x) => ({
      f: (t: T.Tensor) => bind("sum", [t], { axes }),
      args: [x],
    })),
  ),
  max: fc.tuple(dtypes, shapeAndAxes()).chain(([dtype, [s, axes]]) =>
    distinct(s, dtype).map((x) => ({
      f: (t: T.Tensor) => bind("max", [t], { axes }),
      args: [x],
    })),
  ),
  argmax: fc.tuple(dtypes, shapeAndAxis()).chain(([dtype, [s, axis]]) =>
    distinct(s, dtype).map((x) => ({
      f: (t: T.Tensor) =>
        T.mul(bind("sum", [t], { axes: [axis] }), T.cast(bind("argmax", [t], { axis }), t.dtype)),
      args: [x],
    })),
  ),
  reshape: fc.tuple(dtypes, arbShape(small)).chain(([dtype, s]) =>
    arbTensor(s, { dtype }).map((x) => ({
      f: (t: T.Tensor) => bind("reshape", [t], { shape: [...s].reverse() }),
      args: [x],
    })),
  ),
  broadcastTo: fc.tuple(dtypes, arbBroadcastShapes(2, small)).chain(([dtype, [s, other]]) =>
    arbTensor(s!, { dtype }).map((x) => ({
      f: (t: T.Tensor) =>
        bind("broadcastTo", [t], { shape: T.broadcastShapes("test", s!, other!) }),
      args: [x],
    })),
  ),
  transpose: fc
    .tuple(dtypes, arbShape(small))
    .chain(([dtype, s]) =>
      fc.tuple(
        arbTensor(s, { dtype }),
        fc.shuffledSubarray(range(s.length), { minLength: s.length, maxLength: s.length }),
      ),
    )
    .map(([x, perm]) => ({ f: (t: T.Tensor) => bind("transpose", [t], { perm }), args: [x] })),
  slice: fc
    .tuple(dtypes, arbShape(small))
    .chain(([dtype, s]) =>
      fc.tuple(
        arbTensor(s, { dtype }),
        fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d - 1 }))),
        fc.tuple(...s.map(() => fc.nat())),
      ),
    )
    .map(([x, starts, extra]) => {
      const sizes = x.shape.map((d, i) => 1 + (extra[i]! % (d - starts[i]!)))
      return { f: (t: T.Tensor) => bind("slice", [t], { starts, sizes }), args: [x] }
    }),
  pad: fc
    .tuple(dtypes, arbShape(small))
    .chain(([dtype, s]) =>
      fc.tuple(
        arbTensor(s, { dtype }),
        fc.tuple(...s.map(() => fc.integer({ min: 0, max: 2 }))),
        fc.tuple(...s.map(() => fc.integer({ min: 0, max: 2 }))),
      ),
    )
    .map(([x, lo, hi]) => ({ f: (t: T.Tensor) => bind("pad", [t], { lo, hi }), args: [x] })),
  concat: fc
    .tuple(
      dtypes,
      shapeAndAxis(),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
    )
    .chain(([dtype, [s, axis], sizes]) =>
      fc
        .tuple(
          ...sizes.map((n) =>
            arbTensor(
              s.map((d, i) => (i === axis ? n : d)),
              { dtype },
            ),
          ),
        )
        .map((xs) => ({ f: (...ts: T.Tensor[]) => bind("concat", ts, { axis }), args: xs })),
    ),
  gather: fc
    .tuple(dtypes, shapeAndAxis())
    .chain(([dtype, [s, axis]]) =>
      fc.tuple(arbTensor(s, { dtype }), indicesFor(s[axis]!), fc.constant(axis)),
    )
    .map(([x, idx, axis]) => ({
      f: (t: T.Tensor) => bind("gather", [t, idx], { axis }),
      args: [x],
    })),
  scatterAdd: fc.tuple(dtypes, shapeAndAxis()).chain(([dtype, [s, axis]]) =>
    indicesFor(s[axis]!).chain((idx) =>
      arbTensor([...s.slice(0, axis), ...idx.shape, ...s.slice(axis + 1)], { dtype }).map((u) => ({
        f: (t: T.Tensor) => bind("scatterAdd", [t, idx], { axis, shape: s }),
        args: [u],
      })),
    ),
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
    .chain(({ dtype, batch, m, k, n, transposeA, transposeB }) =>
      fc
        .tuple(
          arbTensor([...batch, ...(transposeA ? [k, m] : [m, k])], { dtype }),
          arbTensor([...batch, ...(transposeB ? [n, k] : [k, n])], { dtype }),
        )
        .map(([a, b]) => ({
          f: (p, q) => bind("matmul", [p, q], { transposeA, transposeB }),
          args: [a, b],
        })),
    ),
  conv: convCase,
  windows: windowsCase(false),
  addWindows: windowsCase(true),
  // keys are integer constants here: derived keys and their draws (in float64 whatever t's
  // dtype, so that the finite differences in float64 see the same numbers) scale t like constants
  threefry2x32: keyed((t, k) =>
    T.mul(
      t,
      T.cast(T.random.uniform(T.random.split(k)[1]!, t.shape, { dtype: "float64" }), t.dtype),
    ),
  ),
  sample: keyed((t, k) =>
    T.mul(t, T.cast(T.random.normal(k, t.shape, { dtype: "float64" }), t.dtype)),
  ),
}

describe("the random primitives' rules", () => {
  it("are zero: keys are integers, so neither derived keys nor draws have derivatives", () => {
    const k = T.random.key(3)
    const y = bind("threefry2x32", [k, k], {})
    expect(jvpRules.threefry2x32([k, k], [undefined, undefined], y, {})).toBeUndefined()
    expect(vjpRules.threefry2x32(T.onesLike(y), [k, k], y, {}, [true, true])).toEqual([])
    const params = { sampler: { kind: "normal", dtype: "float32", mean: 0, std: 1 }, shape: [3] }
    const z = bind("sample", [k], params as Params["sample"])
    expect(jvpRules.sample([k], [undefined], z, params as Params["sample"])).toBeUndefined()
    expect(vjpRules.sample(T.onesLike(z), [k], z, params as Params["sample"], [true])).toEqual([])
  })
})

describe("every primitive's rules", () => {
  it("have a case here (the table above is complete)", () => {
    expect(Object.keys(cases).sort()).toEqual([...primitives].sort())
  })

  it.each([...primitives])(
    "%s: jvp, vjp and float64 finite differences agree, to second order",
    (prim) => {
      fc.assert(
        fc.property(cases[prim], fc.nat(), ({ f, args }, seed) => {
          checkGrads(f, args, { order: 2, seed })
        }),
        { numRuns: 12 },
      )
    },
  )
})
