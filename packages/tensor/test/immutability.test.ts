import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { Tensor } from "../src/index.ts"
import { make } from "./reference.ts"

/** Example arguments for one export, rebuilt for every run; `construct` for classes. */
interface Case {
  readonly args: () => unknown[]
  readonly construct?: boolean
}

const f32 = (shape: number[], start = 1): Tensor =>
  make(
    "float32",
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => start + i * 0.5),
  )
const f64 = (shape: number[]): Tensor =>
  make(
    "float64",
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 2.25),
  )
const i32 = (values: number[], shape = [values.length]): Tensor => make("int32", shape, values)

// NaN and -0 among the inputs: a kernel that wrote into its input would have to keep them exactly
const unary = (): unknown[] => [make("float32", [2, 3], [-1, -0, NaN, 0.5, 2, -Infinity])]
const binary = (): unknown[] => [f32([2, 3]), f64([3])]
const reduce = (): unknown[] => [f32([2, 3, 2]), { axis: [0, 2], keepDims: true }]

/** Every function exported by the package, with arguments that exercise it. */
const cases: { readonly [K in keyof typeof T]?: Case } = {
  Tensor: { args: () => ["float32", [2], new Float32Array([1, 2])], construct: true },
  TensorError: { args: () => ["add", "message"], construct: true },
  isTensor: { args: () => [f32([2])] },
  isFloat: { args: () => ["int32"] },
  promoteTypes: { args: () => ["int32", "float32"] },
  broadcastShapes: { args: () => ["op", [2, 1, 3], [4, 1]] },
  // creation
  tensor: {
    args: () => [
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "float64" },
    ],
  },
  scalar: { args: () => [2.5, "float64"] },
  zeros: { args: () => [[2, 3], { dtype: "int32" }] },
  ones: { args: () => [[2, 3]] },
  full: { args: () => [[2, 3], 7, { dtype: "float64" }] },
  zerosLike: { args: () => [f32([2, 3]), { dtype: "int32" }] },
  onesLike: { args: () => [f64([2, 3])] },
  arange: { args: () => [1, 7, 2, { dtype: "float32" }] },
  linspace: { args: () => [0, 1, 5, { dtype: "float64" }] },
  eye: { args: () => [3, 4, { dtype: "int32" }] },
  // conversion
  cast: { args: () => [f32([2, 3], -1.5), "int32"] },
  toArray: { args: () => [f32([2, 3])] },
  item: { args: () => [f32([1, 1])] },
  // elementwise
  neg: { args: unary },
  abs: { args: unary },
  sign: { args: unary },
  exp: { args: () => [i32([1, 2, 3])] },
  log: { args: unary },
  log1p: { args: unary },
  sqrt: { args: unary },
  sin: { args: unary },
  cos: { args: unary },
  tanh: { args: unary },
  sigmoid: { args: unary },
  square: { args: unary },
  reciprocal: { args: () => [i32([1, 2, 4])] },
  relu: { args: unary },
  softplus: { args: unary },
  add: { args: binary },
  sub: { args: () => [f32([2, 1, 3]), i32([1, 2], [2, 1])] },
  mul: { args: binary },
  div: { args: () => [i32([1, 2, 3, 4, 5, 6], [2, 3]), i32([4, 5, 6])] },
  pow: { args: binary },
  maximum: { args: binary },
  minimum: { args: binary },
  equal: { args: binary },
  greater: { args: binary },
  greaterEqual: { args: binary },
  less: { args: binary },
  lessEqual: { args: binary },
  where: { args: () => [f32([2, 1], -1), f32([2, 3]), f64([3])] },
  clip: { args: () => [f32([2, 3]), f32([3]), 2] },
  // reductions
  sum: { args: reduce },
  mean: { args: reduce },
  max: { args: reduce },
  min: { args: reduce },
  argmax: { args: () => [f32([2, 3]), { axis: 0, keepDims: true }] },
  argmin: { args: () => [f32([2, 3]), { axis: -1 }] },
  logSumExp: { args: reduce },
  logSoftmax: { args: () => [f32([2, 3]), { axis: 0 }] },
  softmax: { args: () => [f64([2, 3])] },
  // movement
  reshape: { args: () => [f32([2, 3]), [3, -1]] },
  transpose: { args: () => [f32([2, 3, 4]), [2, 0, 1]] },
  broadcastTo: { args: () => [f32([3, 1]), [2, 3, 4]] },
  expandDims: { args: () => [f32([2, 3]), -1] },
  squeeze: { args: () => [f32([1, 3, 1]), [0]] },
  slice: { args: () => [f32([4, 5]), [1, null], [-1, 3]] },
  concat: { args: () => [[f32([2, 3]), i32([1, 2, 3], [1, 3])], 0] },
  stack: { args: () => [[f32([2, 3]), f64([2, 3])], 1] },
  gather: { args: () => [f32([3, 2]), i32([2, -1, 0]), 0] },
  take: { args: () => [f32([3, 2]), i32([5, -1])] },
  oneHot: { args: () => [i32([0, 2, 1]), 3] },
  // linear algebra
  matmul: { args: () => [f32([2, 2, 3]), f64([3, 4])] },
  dot: { args: () => [f32([3]), f32([3])] },
  outer: { args: () => [f32([2]), i32([1, 2, 3])] },
  // convolution and pooling
  conv: { args: () => [f64([1, 4, 2]), f64([2, 1, 4]), { padding: "SAME", groups: 2 }] },
  conv2d: { args: () => [f32([1, 3, 3, 1]), f32([2, 2, 1, 2]), { inputDilation: 2 }] },
  convShape: { args: () => [[-1, 5, 5, 2], [3, 3, 2, 4], { padding: "SAME" }] },
  poolShape: { args: () => [[-1, 5, 5, 2], 2] },
  flip: { args: () => [f32([2, 3]), [0, 1]] },
  maxPool: {
    args: () => [
      make("float32", [1, 2, 3, 1], [-1, -0, NaN, 0.5, 2, -Infinity]),
      [1, 2],
      { padding: "SAME", strides: 1 },
    ],
  },
  avgPool: {
    args: () => [
      f64([1, 3, 3, 1]),
      2,
      {
        padding: [
          [1, 0],
          [0, 1],
        ],
      },
    ],
  },
}

/** A deep copy of arguments, with each tensor's dtype, shape and data copied. */
const snapshot = (v: unknown): unknown => {
  if (v instanceof T.Tensor)
    return { tensor: true, dtype: v.dtype, shape: [...v.shape], data: Array.from(v.data) }
  if (ArrayBuffer.isView(v)) return { typed: Array.from(v as Float64Array) }
  if (Array.isArray(v)) return v.map(snapshot)
  if (typeof v === "object" && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, w]) => [k, snapshot(w)]))
  return v
}

const functionExports = Object.entries(T)
  .filter(([, v]) => typeof v === "function")
  .map(([k]) => k)

describe("no op mutates its inputs", () => {
  it("the table below covers every function the package exports", () => {
    const missing = functionExports.filter((k) => !(k in cases))
    expect(missing).toEqual([])
  })

  for (const name of functionExports) {
    const c = cases[name as keyof typeof T]
    if (c === undefined) continue
    it(`${name} leaves its arguments as they were`, () => {
      const fn = T[name as keyof typeof T] as unknown as (...args: unknown[]) => unknown
      const args = c.args()
      const before = snapshot(args)
      const out: unknown = c.construct === true ? Reflect.construct(fn, args) : fn(...args)
      expect(out).toBeDefined()
      // toStrictEqual compares numbers with Object.is: NaN and -0 must survive too
      expect(snapshot(args)).toStrictEqual(before)
    })
  }
})
