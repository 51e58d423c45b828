/**
 * Elementwise kernels: unary maps, broadcasting binary ops, comparisons, `where` and `cast`.
 * Each op has its own loop (not a shared loop calling a function argument) so the JIT sees one
 * monomorphic body per op.
 * @module
 */
import type { Params } from "../primitives.ts"
import type { BinaryPrimitive, ComparePrimitive, UnaryPrimitive } from "../primitives.ts"
import type { Shape } from "../shape.ts"
import type { TypedArray } from "../dtype.ts"
import { allocate, arrayFrom } from "../dtype.ts"
import { broadcastShapes, shapesEqual, sizeOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"
import { broadcastStrides, forEachRow } from "./strided.ts"

type Arr = TypedArray
type UnaryLoop = (x: Arr, out: Arr, n: number) => void

const stableSigmoid = (v: number): number => {
  if (v >= 0) return 1 / (1 + Math.exp(-v))
  const e = Math.exp(v)
  return e / (1 + e)
}

const unaryLoops: Record<UnaryPrimitive, UnaryLoop> = {
  neg: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = -x[i]!
  },
  abs: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]!)
  },
  sign: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sign(x[i]!)
  },
  exp: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]!)
  },
  log: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log(x[i]!)
  },
  log1p: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log1p(x[i]!)
  },
  sqrt: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]!)
  },
  sin: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!)
  },
  cos: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]!)
  },
  tanh: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]!)
  },
  sigmoid: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = stableSigmoid(x[i]!)
  },
}

/** A unary elementwise kernel: same shape and dtype out. */
export const unary =
  (op: UnaryPrimitive) =>
  ([x]: ReadonlyArray<Tensor>): Tensor => {
    const out = allocate(x!.dtype, x!.size)
    unaryLoops[op](x!.data, out, out.length)
    return new Tensor(x!.dtype, x!.shape, out)
  }

/** `out[oi + j] = a[ai + j*as] ⊕ b[bi + j*bs]` for j < n. */
type BinaryLoop = (
  a: Arr,
  ai: number,
  as: number,
  b: Arr,
  bi: number,
  bs: number,
  o: Arr,
  oi: number,
  n: number,
) => void

const binaryLoops: Record<BinaryPrimitive | ComparePrimitive, BinaryLoop> = {
  add: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! + b[bi + j * bs]!
  },
  sub: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! - b[bi + j * bs]!
  },
  mul: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! * b[bi + j * bs]!
  },
  div: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! / b[bi + j * bs]!
  },
  pow: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = Math.pow(a[ai + j * as]!, b[bi + j * bs]!)
  },
  maximum: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) {
      const x = a[ai + j * as]!
      const y = b[bi + j * bs]!
      // NaN propagates, as in NumPy
      o[oi + j] = x > y || x !== x ? x : y
    }
  },
  minimum: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) {
      const x = a[ai + j * as]!
      const y = b[bi + j * bs]!
      o[oi + j] = x < y || x !== x ? x : y
    }
  },
  equal: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! === b[bi + j * bs]! ? 1 : 0
  },
  greater: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! > b[bi + j * bs]! ? 1 : 0
  },
  greaterEqual: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * as]! >= b[bi + j * bs]! ? 1 : 0
  },
}

const runBinary = (loop: BinaryLoop, a: Tensor, b: Tensor, shape: Shape, out: Arr): void => {
  const ad = a.data
  const bd = b.data
  if (shapesEqual(a.shape, b.shape)) {
    loop(ad, 0, 1, bd, 0, 1, out, 0, out.length)
    return
  }
  if (a.size === 1 && out.length === b.size) {
    loop(ad, 0, 0, bd, 0, 1, out, 0, out.length)
    return
  }
  if (b.size === 1 && out.length === a.size) {
    loop(ad, 0, 1, bd, 0, 0, out, 0, out.length)
    return
  }
  const outStrides = broadcastStrides(shape, shape)
  forEachRow(
    shape,
    [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), outStrides],
    [0, 0, 0],
    (offsets, n, inner) =>
      loop(ad, offsets[0]!, inner[0]!, bd, offsets[1]!, inner[1]!, out, offsets[2]!, n),
  )
}

/** A broadcasting binary kernel; output dtype is the inputs' dtype. */
export const binary =
  (op: BinaryPrimitive) =>
  ([a, b]: ReadonlyArray<Tensor>): Tensor => {
    const shape = broadcastShapes(op, a!.shape, b!.shape)
    const out = allocate(a!.dtype, sizeOf(shape))
    runBinary(binaryLoops[op], a!, b!, shape, out)
    return new Tensor(a!.dtype, shape, out)
  }

/** A broadcasting comparison kernel; output is int32 zeros and ones. */
export const compare =
  (op: ComparePrimitive) =>
  ([a, b]: ReadonlyArray<Tensor>): Tensor => {
    const shape = broadcastShapes(op, a!.shape, b!.shape)
    const out = allocate("int32", sizeOf(shape))
    runBinary(binaryLoops[op], a!, b!, shape, out)
    return new Tensor("int32", shape, out)
  }

/** `where(cond, a, b)`: `a` where `cond` is non-zero, else `b`; all three broadcast. */
export const where = ([c, a, b]: ReadonlyArray<Tensor>): Tensor => {
  const shape = broadcastShapes("where", c!.shape, a!.shape, b!.shape)
  const out = allocate(a!.dtype, sizeOf(shape))
  const cd = c!.data
  const ad = a!.data
  const bd = b!.data
  forEachRow(
    shape,
    [
      broadcastStrides(c!.shape, shape),
      broadcastStrides(a!.shape, shape),
      broadcastStrides(b!.shape, shape),
      broadcastStrides(shape, shape),
    ],
    [0, 0, 0, 0],
    (off, n, s) => {
      let ci = off[0]!
      let ai = off[1]!
      let bi = off[2]!
      let oi = off[3]!
      const cs = s[0]!
      const as = s[1]!
      const bs = s[2]!
      for (let j = 0; j < n; j++, ci += cs, ai += as, bi += bs)
        out[oi++] = cd[ci] !== 0 ? ad[ai]! : bd[bi]!
    },
  )
  return new Tensor(a!.dtype, shape, out)
}

/** Converts to another dtype; float → int32 truncates toward zero (NaN → 0), as NumPy's astype. */
export const cast = ([x]: ReadonlyArray<Tensor>, { dtype }: Params["cast"]): Tensor => {
  if (x!.dtype === dtype) return x!
  const data = x!.data
  if (dtype === "int32" && x!.dtype !== "int32") {
    const out = new Int32Array(data.length)
    for (let i = 0; i < data.length; i++) {
      const v = Math.trunc(data[i]!)
      out[i] = Number.isFinite(v)
        ? Math.max(-2147483648, Math.min(2147483647, v))
        : v > 0
          ? 2147483647
          : v < 0
            ? -2147483648
            : 0
    }
    return new Tensor(dtype, x!.shape, out)
  }
  return new Tensor(dtype, x!.shape, arrayFrom(dtype, data))
}
