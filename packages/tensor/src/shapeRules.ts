/**
 * What each primitive's output is, without computing it: a dtype and a shape from the inputs'
 * dtypes and shapes and the params. Transformations that trace without data (`@fnn/jit`) build
 * their abstract values with this table; it is a mapped type over `Primitive`, so a primitive
 * without a rule does not compile. The ops check their arguments before `bind`, so the rules only
 * compute.
 * @module
 */
import type { DType } from "./dtype.ts"
import type { Params, Primitive, UnaryPrimitive, BinaryPrimitive } from "./primitives.ts"
import type { Shape } from "./shape.ts"
import { broadcastShapes } from "./shape.ts"
import { samplerDType } from "./random/samplers.ts"
import { convShape, windowsShape } from "./window.ts"

/** An abstract value: what is known of a tensor while tracing without data. */
export interface Aval {
  readonly dtype: DType
  readonly shape: Shape
}

/** The output of a primitive from its inputs' abstract values and its params. */
export type ShapeRule<P extends Primitive> = (
  inputs: ReadonlyArray<Aval>,
  params: Params[P],
) => Aval

const same = (inputs: ReadonlyArray<Aval>): Aval => inputs[0]!

const broadcasting =
  (prim: string, dtype?: DType) =>
  (inputs: ReadonlyArray<Aval>): Aval => ({
    dtype: dtype ?? inputs[0]!.dtype,
    shape: broadcastShapes(prim, inputs[0]!.shape, inputs[1]!.shape),
  })

const without = (shape: Shape, axes: ReadonlyArray<number>): Shape =>
  shape.filter((_, i) => !axes.includes(i))

const unaryRules = {
  neg: same,
  abs: same,
  sign: same,
  exp: same,
  log: same,
  log1p: same,
  sqrt: same,
  sin: same,
  cos: same,
  tanh: same,
  sigmoid: same,
} satisfies { readonly [P in UnaryPrimitive]: ShapeRule<P> }

const binaryRules = {
  add: broadcasting("add"),
  sub: broadcasting("sub"),
  mul: broadcasting("mul"),
  div: broadcasting("div"),
  pow: broadcasting("pow"),
  maximum: broadcasting("maximum"),
  minimum: broadcasting("minimum"),
} satisfies { readonly [P in BinaryPrimitive]: ShapeRule<P> }

/**
 * One rule per primitive.
 *
 * @example
 * import { shapeRules } from "@fnn/tensor/internal"
 * shapeRules.matmul(
 *   [{ dtype: "float32", shape: [32, 784] }, { dtype: "float32", shape: [784, 16] }],
 *   { transposeA: false, transposeB: false },
 * ) // { dtype: "float32", shape: [32, 16] }
 */
export const shapeRules: { readonly [P in Primitive]: ShapeRule<P> } = {
  ...unaryRules,
  ...binaryRules,
  equal: broadcasting("equal", "int32"),
  greater: broadcasting("greater", "int32"),
  greaterEqual: broadcasting("greaterEqual", "int32"),
  where: ([c, a, b]) => ({
    dtype: a!.dtype,
    shape: broadcastShapes("where", c!.shape, a!.shape, b!.shape),
  }),
  cast: ([x], { dtype }) => ({ dtype, shape: x!.shape }),
  sum: ([x], { axes }) => ({ dtype: x!.dtype, shape: without(x!.shape, axes) }),
  max: ([x], { axes }) => ({ dtype: x!.dtype, shape: without(x!.shape, axes) }),
  argmax: ([x], { axis }) => ({ dtype: "int32", shape: without(x!.shape, [axis]) }),
  reshape: ([x], { shape }) => ({ dtype: x!.dtype, shape }),
  broadcastTo: ([x], { shape }) => ({ dtype: x!.dtype, shape }),
  transpose: ([x], { perm }) => ({ dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) }),
  slice: ([x], { sizes }) => ({ dtype: x!.dtype, shape: sizes }),
  pad: ([x], { lo, hi }) => ({
    dtype: x!.dtype,
    shape: x!.shape.map((d, i) => d + lo[i]! + hi[i]!),
  }),
  concat: (xs, { axis }) => ({
    dtype: xs[0]!.dtype,
    shape: xs[0]!.shape.map((d, i) => (i === axis ? xs.reduce((n, x) => n + x.shape[i]!, 0) : d)),
  }),
  gather: ([x, indices], { axis }) => ({
    dtype: x!.dtype,
    shape: [...x!.shape.slice(0, axis), ...indices!.shape, ...x!.shape.slice(axis + 1)],
  }),
  scatterAdd: ([updates], { shape }) => ({ dtype: updates!.dtype, shape }),
  threefry2x32: ([keys, counters]) => ({
    dtype: "int32",
    shape: [
      ...broadcastShapes("threefry2x32", keys!.shape.slice(0, -1), counters!.shape.slice(0, -1)),
      2,
    ],
  }),
  sample: ([keys], { sampler, shape }) => ({
    dtype: samplerDType(sampler),
    shape: [...keys!.shape.slice(0, -1), ...shape],
  }),
  matmul: ([a, b], { transposeA, transposeB }) => {
    const ra = a!.shape.length
    const rb = b!.shape.length
    const m = a!.shape[transposeA ? ra - 1 : ra - 2]!
    const n = b!.shape[transposeB ? rb - 2 : rb - 1]!
    return { dtype: a!.dtype, shape: [...a!.shape.slice(0, -2), m, n] }
  },
  conv: ([x, w], params) => ({ dtype: x!.dtype, shape: convShape(x!.shape, w!.shape, params) }),
  windows: ([x], { window, strides }) => ({
    dtype: x!.dtype,
    shape: windowsShape(x!.shape, window, strides),
  }),
  addWindows: ([g], { shape }) => ({ dtype: g!.dtype, shape }),
}
