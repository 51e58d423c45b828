/**
 * Random valid calls of every primitive (inputs the ops would pass to `bind`), for tests that hold
 * an implementation of the primitives to the reference kernels: shape rules, kernels writing into
 * planned memory, compiled programs. A mapped type over `Primitive`: a new primitive without an
 * arbitrary here does not compile.
 */
import fc from "fast-check"
import type { DType } from "../src/dtype.ts"
import type { Params, Primitive } from "../src/primitives.ts"
import type { Tensor } from "../src/tensor.ts"
import {
  broadcastPairArb,
  compatibleShapeArb,
  dtypeArb,
  nonEmptyShapeArb,
  shapeArb,
  tensorArb,
} from "./reference.ts"

/** One call of a primitive. */
export interface Call<P extends Primitive = Primitive> {
  readonly prim: P
  readonly inputs: ReadonlyArray<Tensor>
  readonly params: Params[P]
}

const floatArb = fc.constantFrom<DType>("float32", "float64")
const none: Record<string, never> = {}

const unaryCall = <P extends Primitive>(
  prim: P,
  dtypes: fc.Arbitrary<DType>,
): fc.Arbitrary<Call<P>> =>
  fc
    .tuple(shapeArb(), dtypes)
    .chain(([s, d]) => tensorArb(s, d))
    .map((x) => ({ prim, inputs: [x], params: none as Params[P] }))

const binaryCall = <P extends Primitive>(
  prim: P,
  dtypes: fc.Arbitrary<DType> = dtypeArb,
): fc.Arbitrary<Call<P>> =>
  fc
    .tuple(broadcastPairArb, dtypes)
    .chain(([[s, t], d]) => fc.tuple(tensorArb(s, d), tensorArb(t, d)))
    .map(([a, b]) => ({ prim, inputs: [a, b], params: none as Params[P] }))

/** A shape and a sorted non-empty list of distinct axes of it. */
const axesArb = (nonEmpty: boolean): fc.Arbitrary<[number[], number[]]> =>
  (nonEmpty ? nonEmptyShapeArb(1) : shapeArb().filter((s) => s.length > 0)).chain((s) =>
    fc
      .subarray(
        s.map((_, i) => i),
        { minLength: 1 },
      )
      .map((axes): [number[], number[]] => [s, axes]),
  )

const reduceCall = <P extends "sum" | "max">(prim: P): fc.Arbitrary<Call<P>> =>
  fc
    .tuple(axesArb(prim === "max"), dtypeArb)
    .chain(([[s, axes], d]) =>
      tensorArb(s, d).map((x) => ({ prim, inputs: [x], params: { axes } })),
    )

const indicesArb = (n: number, shape: ReadonlyArray<number>): fc.Arbitrary<Tensor> =>
  tensorArb(shape, "int32", () => fc.integer({ min: 0, max: Math.max(0, n - 1) }))

/** Spatial sizes, windows and strides of one to two axes where every window fits. */
const windowGeometryArb = fc
  .integer({ min: 1, max: 2 })
  .chain((d) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: d, maxLength: d }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: d, maxLength: d }),
      fc.array(fc.integer({ min: 1, max: 2 }), { minLength: d, maxLength: d }),
    ),
  )
  .filter(([sizes, window]) => window.every((k, i) => k <= sizes[i]!))

/** A channels-last input `[batch, ...sizes, c]` and its window geometry. */
const windowedArb = fc
  .tuple(windowGeometryArb, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }))
  .map(([[sizes, window, strides], batch, c]) => ({
    shape: [batch, ...sizes, c],
    window,
    strides,
  }))

const convCallArb: fc.Arbitrary<Call<"conv">> = fc
  .record({
    d: fc.integer({ min: 1, max: 2 }),
    batch: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    inPerGroup: fc.integer({ min: 1, max: 2 }),
    outPerGroup: fc.integer({ min: 1, max: 2 }),
    dtype: floatArb,
  })
  .chain(({ d, batch, groups, inPerGroup, outPerGroup, dtype }) => {
    const axis = fc.record({
      size: fc.integer({ min: 1, max: 5 }),
      window: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 2 }),
      lo: fc.integer({ min: -1, max: 2 }),
      hi: fc.integer({ min: -1, max: 2 }),
      inputDilation: fc.integer({ min: 1, max: 2 }),
      kernelDilation: fc.integer({ min: 1, max: 2 }),
    })
    return fc
      .array(axis, { minLength: d, maxLength: d })
      .filter((axes) =>
        axes.every(
          (a) =>
            a.lo + (a.size - 1) * a.inputDilation + 1 + a.hi >=
            (a.window - 1) * a.kernelDilation + 1,
        ),
      )
      .chain((axes) => {
        const params: Params["conv"] = {
          strides: axes.map((a) => a.stride),
          padding: axes.map((a): [number, number] => [a.lo, a.hi]),
          inputDilation: axes.map((a) => a.inputDilation),
          kernelDilation: axes.map((a) => a.kernelDilation),
          groups,
        }
        const x = [batch, ...axes.map((a) => a.size), groups * inPerGroup]
        const w = [...axes.map((a) => a.window), inPerGroup, groups * outPerGroup]
        return fc
          .tuple(tensorArb(x, dtype), tensorArb(w, dtype))
          .map((inputs) => ({ prim: "conv" as const, inputs, params }))
      })
  })

/** Every primitive's arbitrary. */
export const callArbs: { readonly [P in Primitive]: fc.Arbitrary<Call<P>> } = {
  neg: unaryCall("neg", dtypeArb),
  abs: unaryCall("abs", dtypeArb),
  sign: unaryCall("sign", dtypeArb),
  exp: unaryCall("exp", floatArb),
  log: unaryCall("log", floatArb),
  log1p: unaryCall("log1p", floatArb),
  sqrt: unaryCall("sqrt", floatArb),
  sin: unaryCall("sin", floatArb),
  cos: unaryCall("cos", floatArb),
  tanh: unaryCall("tanh", floatArb),
  sigmoid: unaryCall("sigmoid", floatArb),
  add: binaryCall("add"),
  sub: binaryCall("sub"),
  mul: binaryCall("mul"),
  div: binaryCall("div", floatArb),
  pow: binaryCall("pow", floatArb),
  maximum: binaryCall("maximum"),
  minimum: binaryCall("minimum"),
  equal: binaryCall("equal"),
  greater: binaryCall("greater"),
  greaterEqual: binaryCall("greaterEqual"),
  where: fc
    .tuple(broadcastPairArb, dtypeArb)
    .chain(([[s, t], d]) =>
      fc.tuple(
        compatibleShapeArb(s.length >= t.length ? s : t).chain((c) =>
          tensorArb(c, "int32", () => fc.integer({ min: 0, max: 1 })),
        ),
        tensorArb(s, d),
        tensorArb(t, d),
      ),
    )
    .map((inputs) => ({ prim: "where" as const, inputs, params: none })),
  cast: fc
    .tuple(shapeArb(), dtypeArb, dtypeArb)
    .filter(([, from, to]) => from !== to)
    .chain(([s, from, to]) =>
      tensorArb(s, from).map((x) => ({
        prim: "cast" as const,
        inputs: [x],
        params: { dtype: to },
      })),
    ),
  sum: reduceCall("sum"),
  max: reduceCall("max"),
  argmax: fc
    .tuple(nonEmptyShapeArb(1), dtypeArb)
    .chain(([s, d]) => fc.tuple(tensorArb(s, d), fc.integer({ min: 0, max: s.length - 1 })))
    .map(([x, axis]) => ({ prim: "argmax" as const, inputs: [x], params: { axis } })),
  reshape: fc
    .tuple(shapeArb(), dtypeArb)
    .chain(([s, d]) => tensorArb(s, d))
    .map((x) => ({
      prim: "reshape" as const,
      inputs: [x],
      params: { shape: [...x.shape].reverse().concat([1]) },
    })),
  broadcastTo: fc
    .tuple(shapeArb(3), dtypeArb)
    .chain(([s, d]) => fc.tuple(compatibleShapeArb(s), fc.constant(s), fc.constant(d)))
    .chain(([small, big, d]) =>
      tensorArb(small, d).map((x) => ({
        prim: "broadcastTo" as const,
        inputs: [x],
        params: { shape: [2, ...big] },
      })),
    ),
  transpose: fc
    .tuple(shapeArb(), dtypeArb)
    .chain(([s, d]) =>
      fc.tuple(
        tensorArb(s, d),
        fc.shuffledSubarray(
          s.map((_, i) => i),
          { minLength: s.length, maxLength: s.length },
        ),
      ),
    )
    .map(([x, perm]) => ({ prim: "transpose" as const, inputs: [x], params: { perm } })),
  slice: fc
    .tuple(shapeArb(), dtypeArb)
    .chain(([s, d]) =>
      fc.tuple(
        tensorArb(s, d),
        fc.tuple(
          ...s.map((n) =>
            fc
              .integer({ min: 0, max: n })
              .chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: 0, max: n - a }))),
          ),
        ),
      ),
    )
    .map(([x, box]) => ({
      prim: "slice" as const,
      inputs: [x],
      params: { starts: box.map(([a]) => a), sizes: box.map(([, n]) => n) },
    })),
  pad: fc
    .tuple(shapeArb(3), dtypeArb)
    .chain(([s, d]) =>
      fc.tuple(
        tensorArb(s, d),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length }),
      ),
    )
    .map(([x, lo, hi]) => ({ prim: "pad" as const, inputs: [x], params: { lo, hi } })),
  concat: fc
    .tuple(
      shapeArb(3).filter((s) => s.length > 0),
      dtypeArb,
    )
    .chain(([s, d]) =>
      fc
        .tuple(
          fc.integer({ min: 0, max: s.length - 1 }),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 3 }),
        )
        .chain(([axis, sizes]) =>
          fc
            .tuple(
              ...sizes.map((n) =>
                tensorArb(
                  s.map((m, i) => (i === axis ? n : m)),
                  d,
                ),
              ),
            )
            .map((inputs) => ({ prim: "concat" as const, inputs, params: { axis } })),
        ),
    ),
  gather: fc
    .tuple(nonEmptyShapeArb(1, 3), dtypeArb, shapeArb(2))
    .chain(([s, d, idxShape]) =>
      fc
        .integer({ min: 0, max: s.length - 1 })
        .chain((axis) =>
          fc
            .tuple(tensorArb(s, d), indicesArb(s[axis]!, idxShape))
            .map(([x, idx]) => ({ prim: "gather" as const, inputs: [x, idx], params: { axis } })),
        ),
    ),
  scatterAdd: fc.tuple(nonEmptyShapeArb(1, 3), floatArb, shapeArb(2)).chain(([s, d, idxShape]) =>
    fc.integer({ min: 0, max: s.length - 1 }).chain((axis) =>
      fc
        .tuple(
          tensorArb([...s.slice(0, axis), ...idxShape, ...s.slice(axis + 1)], d),
          indicesArb(s[axis]!, idxShape),
        )
        .map(([u, idx]) => ({
          prim: "scatterAdd" as const,
          inputs: [u, idx],
          params: { axis, shape: s },
        })),
    ),
  ),
  threefry2x32: broadcastPairArb
    .filter(([s, t]) => s.length < 4 && t.length < 4)
    .chain(([s, t]) =>
      fc.tuple(
        tensorArb([...s, 2], "int32", () => fc.integer()),
        tensorArb([...t, 2], "int32", () => fc.integer()),
      ),
    )
    .map((inputs) => ({ prim: "threefry2x32" as const, inputs, params: none })),
  sample: fc
    .tuple(
      shapeArb(2),
      shapeArb(2),
      fc.constantFrom<Params["sample"]["sampler"]>(
        { kind: "uniform", dtype: "float32", min: -1, max: 2 },
        { kind: "normal", dtype: "float64", mean: 0, std: 1 },
        { kind: "bernoulli", p: 0.3 },
        { kind: "randint", min: -3, max: 7 },
      ),
    )
    .chain(([batch, shape, sampler]) =>
      tensorArb([...batch, 2], "int32", () => fc.integer()).map((k) => ({
        prim: "sample" as const,
        inputs: [k],
        params: { sampler, shape },
      })),
    ),
  matmul: fc
    .tuple(
      shapeArb(2, 3),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 5 }),
      fc.boolean(),
      fc.boolean(),
      dtypeArb,
    )
    .chain(([batch, m, k, n, transposeA, transposeB, d]) =>
      fc
        .tuple(
          tensorArb([...batch, ...(transposeA ? [k, m] : [m, k])], d),
          tensorArb([...batch, ...(transposeB ? [n, k] : [k, n])], d),
        )
        .map((inputs) => ({ prim: "matmul" as const, inputs, params: { transposeA, transposeB } })),
    ),
  conv: convCallArb,
  windows: fc.tuple(windowedArb, floatArb).chain(([{ shape, window, strides }, d]) =>
    tensorArb(shape, d).map((x) => ({
      prim: "windows" as const,
      inputs: [x],
      params: { window, strides },
    })),
  ),
  addWindows: fc.tuple(windowedArb, floatArb).chain(([{ shape, window, strides }, d]) => {
    const out = window.map((k, i) => Math.floor((shape[i + 1]! - k) / strides[i]!) + 1)
    return tensorArb([shape[0]!, ...out, ...window, shape[shape.length - 1]!], d).map((g) => ({
      prim: "addWindows" as const,
      inputs: [g],
      params: { window, strides, shape },
    }))
  }),
}

/** A call of any primitive. */
export const callArb: fc.Arbitrary<Call> = fc.oneof(
  ...(Object.values(callArbs) as ReadonlyArray<fc.Arbitrary<Call>>),
)
