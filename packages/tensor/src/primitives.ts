/**
 * The closed set of primitives. Every public op is built from these, so a transformation that
 * handles each primitive (autodiff's rule table is a mapped type over `Primitive`) handles every
 * op. Each primitive has exactly one output.
 *
 * Conventions the kernels and rules rely on:
 * - elementwise binary primitives take inputs of one dtype whose shapes broadcast (NumPy rules);
 *   the output has the broadcast shape. Un-broadcasting gradients is the transformation's job.
 * - comparisons return `int32` zeros and ones; `where` takes an `int32` condition.
 * - reductions remove the reduced axes (`keepDims` is a reshape done by the op).
 * @module
 */
import type { DType } from "./dtype.ts"
import type { Shape } from "./shape.ts"
import type { Sampler } from "./random/samplers.ts"

/** Parameters of each primitive. */
export interface Params {
  // unary elementwise
  neg: Record<string, never>
  abs: Record<string, never>
  sign: Record<string, never>
  exp: Record<string, never>
  log: Record<string, never>
  log1p: Record<string, never>
  sqrt: Record<string, never>
  sin: Record<string, never>
  cos: Record<string, never>
  tanh: Record<string, never>
  sigmoid: Record<string, never>
  // binary elementwise (broadcasting)
  add: Record<string, never>
  sub: Record<string, never>
  mul: Record<string, never>
  div: Record<string, never>
  pow: Record<string, never>
  maximum: Record<string, never>
  minimum: Record<string, never>
  // comparisons (broadcasting) → int32
  equal: Record<string, never>
  greater: Record<string, never>
  greaterEqual: Record<string, never>
  /** `where(cond, a, b)`: all three broadcast together. */
  where: Record<string, never>
  cast: { readonly dtype: DType }
  // reductions over sorted distinct `axes`, which are removed from the shape
  sum: { readonly axes: ReadonlyArray<number> }
  max: { readonly axes: ReadonlyArray<number> }
  /** Index of the first maximum along `axis` (removed), as int32. */
  argmax: { readonly axis: number }
  // movement
  reshape: { readonly shape: Shape }
  broadcastTo: { readonly shape: Shape }
  transpose: { readonly perm: ReadonlyArray<number> }
  /** `x[starts[i] : starts[i] + sizes[i]]` on every axis. */
  slice: { readonly starts: ReadonlyArray<number>; readonly sizes: ReadonlyArray<number> }
  /** Zero padding: `lo[i]` elements before and `hi[i]` after on axis i (the transpose of slice). */
  pad: { readonly lo: ReadonlyArray<number>; readonly hi: ReadonlyArray<number> }
  concat: { readonly axis: number }
  /** `gather(x, indices)`: indices (int32, any shape) pick entries of `x` along `axis`. */
  gather: { readonly axis: number }
  /**
   * `scatterAdd(updates, indices)`: a tensor of `shape` with zeros, to which each update slice is
   * added at its index along `axis` (the transpose of gather).
   */
  scatterAdd: { readonly axis: number; readonly shape: Shape }
  /**
   * Batched matrix product `[...b, m, k] × [...b, k, n] → [...b, m, n]` (equal batch shapes);
   * `transposeA`/`transposeB` read an operand with its last two axes swapped.
   */
  matmul: { readonly transposeA: boolean; readonly transposeB: boolean }
  // randomness (int32 words holding unsigned 32-bit patterns; no derivatives)
  /**
   * `threefry2x32(keys, counters)`: each key `[..., 2]` encrypts a counter `[..., 2]` with
   * Threefry-2x32; the axes before the last broadcast, and the last holds the block's two words.
   */
  threefry2x32: Record<string, never>
  /**
   * `sample(keys)`: for each key of an int32 `[...batch, 2]` input, values of `shape` drawn as
   * `sampler` says; the output is `[...batch, ...shape]`.
   */
  sample: { readonly sampler: Sampler; readonly shape: Shape }
  // convolution and pooling
  /**
   * Convolution (a cross-correlation, as in every deep-learning library) of a channels-last input
   * `[batch, ...spatial, in]` with a kernel `[...window, in / groups, out]`, giving
   * `[batch, ...outSpatial, out]`; see `ConvGeometry` for what each field does.
   */
  conv: ConvGeometry
  /**
   * The windows of a channels-last input `[batch, ...spatial, c]` as `[batch, ...out, ...window, c]`:
   * `y[n, o, k, c] = x[n, o · strides + k, c]` (no padding: pad first).
   */
  windows: { readonly window: ReadonlyArray<number>; readonly strides: ReadonlyArray<number> }
  /**
   * The transpose of `windows`: a tensor of `shape` with zeros, to which each window's entries are
   * added back where `windows` took them from.
   */
  addWindows: {
    readonly window: ReadonlyArray<number>
    readonly strides: ReadonlyArray<number>
    readonly shape: Shape
  }
}

/**
 * How a convolution walks its input, one entry per spatial axis. The input is first dilated
 * (`inputDilation − 1` zeros between neighbours), then padded (`padding[i] = [lo, hi]`, negative
 * values crop), and the kernel is dilated likewise (`kernelDilation`); the output is the dot product
 * of the dilated kernel with each window, every `strides[i]` steps. With `groups = g`, input and
 * output channels are split into `g` blocks and block `j` of the output sees only block `j` of
 * the input.
 */
export interface ConvGeometry {
  readonly strides: ReadonlyArray<number>
  readonly padding: ReadonlyArray<readonly [number, number]>
  readonly inputDilation: ReadonlyArray<number>
  readonly kernelDilation: ReadonlyArray<number>
  readonly groups: number
}

/** The name of a primitive. */
export type Primitive = keyof Params

/**
 * Primitives whose output element i depends only on element i of each (broadcast) input: the
 * unary and binary elementwise ones, comparisons, `where` and `cast`.
 */
export const elementwisePrimitives = [
  "neg",
  "abs",
  "sign",
  "exp",
  "log",
  "log1p",
  "sqrt",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "equal",
  "greater",
  "greaterEqual",
  "where",
  "cast",
] as const satisfies ReadonlyArray<Primitive>

/** Every primitive, for tests and tables. */
export const primitives: ReadonlyArray<Primitive> = [
  ...elementwisePrimitives,
  "sum",
  "max",
  "argmax",
  "reshape",
  "broadcastTo",
  "transpose",
  "slice",
  "pad",
  "concat",
  "gather",
  "scatterAdd",
  "matmul",
  "conv",
  "windows",
  "addWindows",
  "threefry2x32",
  "sample",
]

/** Primitives that act elementwise on one input. */
export type UnaryPrimitive =
  "neg" | "abs" | "sign" | "exp" | "log" | "log1p" | "sqrt" | "sin" | "cos" | "tanh" | "sigmoid"

/** Primitives that act elementwise on two broadcasting inputs of one dtype. */
export type BinaryPrimitive = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"

/** Comparisons: broadcasting, int32 result. */
export type ComparePrimitive = "equal" | "greater" | "greaterEqual"
