/**
 * The portable JavaScript kernels: one per primitive, the reference every faster kernel is
 * tested against.
 * @module
 */
import type { Kernels } from "../dispatch.ts"
import { binary, cast, compare, unary, where } from "./elementwise.ts"
import { argmax, max, sum } from "./reduce.ts"
import {
  broadcastTo,
  concat,
  gather,
  pad,
  reshape,
  scatterAdd,
  slice,
  transpose,
} from "./movement.ts"
import { matmul } from "./matmul.ts"
import { addWindows, conv, windows } from "./conv.ts"
import { sample, threefry2x32 } from "./random.ts"

/** The complete table of reference kernels. */
export const referenceKernels: Kernels = {
  neg: unary("neg"),
  abs: unary("abs"),
  sign: unary("sign"),
  exp: unary("exp"),
  log: unary("log"),
  log1p: unary("log1p"),
  sqrt: unary("sqrt"),
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid"),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  pow: binary("pow"),
  maximum: binary("maximum"),
  minimum: binary("minimum"),
  equal: compare("equal"),
  greater: compare("greater"),
  greaterEqual: compare("greaterEqual"),
  where,
  cast,
  sum,
  max,
  argmax,
  reshape,
  broadcastTo,
  transpose,
  slice,
  pad,
  concat,
  gather,
  scatterAdd,
  matmul,
  conv,
  windows,
  addWindows,
  threefry2x32,
  sample,
}
