/**
 * Elementwise kernels: unary maps, broadcasting binary ops, comparisons, `where` and `cast`.
 * Each op has its own loop (not a shared loop calling a function argument) so the JIT sees one
 * body per op. Binary ops and comparisons read any broadcast through strides; the common ones
 * (same shapes, a scalar, a row or column vector against a matrix) skip the strides and run over
 * contiguous runs instead, in loops of their own for float32, the dtype training runs in.
 * @module
 */
import type { Params } from "../primitives.ts"
import type { BinaryPrimitive, ComparePrimitive, UnaryPrimitive } from "../primitives.ts"
import type { Shape } from "../shape.ts"
import type { TypedArray } from "../dtype.ts"
import { arrayFrom, outputArray } from "../dtype.ts"
import { broadcastShapes, sizeOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"
import { broadcastStrides, forEachRow, readPattern } from "./strided.ts"

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
  ([x]: ReadonlyArray<Tensor>, _params?: unknown, into?: TypedArray): Tensor => {
    const out = outputArray(into, x!.dtype, x!.size)
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

// -------------------------------------------------------------------------------------------------
// fast paths
// -------------------------------------------------------------------------------------------------

/**
 * One op on contiguous runs: `same(…)` is `o[oi + j] = a[ai + j] ⊕ b[bi + j]`, `right(…)` is
 * `o[oi + j] = a[ai + j] ⊕ b[bi]` and `left(…)` is `o[oi + j] = a[ai] ⊕ b[bi + j]`, for j < n.
 * Every broadcast in which one operand has the output's shape and the other is read as a scalar,
 * as rows or as columns (see `ReadPattern`) is a sequence of such runs, with no strides to multiply.
 */
interface Runs {
  readonly same: RunLoop
  readonly right: RunLoop
  readonly left: RunLoop
}

type RunLoop = (a: Arr, ai: number, b: Arr, bi: number, o: Arr, oi: number, n: number) => void

/** The runs of any op, as its reference loop with strides 1 and 0: the same computation. */
const stridedRuns = (loop: BinaryLoop): Runs => ({
  same: (a, ai, b, bi, o, oi, n) => loop(a, ai, 1, b, bi, 1, o, oi, n),
  right: (a, ai, b, bi, o, oi, n) => loop(a, ai, 1, b, bi, 0, o, oi, n),
  left: (a, ai, b, bi, o, oi, n) => loop(a, ai, 0, b, bi, 1, o, oi, n),
})

/**
 * float32 runs of the arithmetic ops and comparisons, where training spends its elementwise time.
 * Each loop only ever reads Float32Arrays (the JIT then compiles one element access, not one per
 * array type) and does four elements per iteration (on x86-64 with Node 20 that halves the time of
 * a long run: the loop's own bookkeeping costs about as much as an element). Each element is
 * exactly the reference loop's `a ⊕ b`, computed in double and stored as the output's dtype.
 */
const float32Runs: Partial<Record<BinaryPrimitive | ComparePrimitive, Runs>> = {
  // `+`
  add: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! + b[bi + j]!
        o[oi + j + 1] = a[ai + j + 1]! + b[bi + j + 1]!
        o[oi + j + 2] = a[ai + j + 2]! + b[bi + j + 2]!
        o[oi + j + 3] = a[ai + j + 3]! + b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! + b[bi + j]!
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! + s
        o[oi + j + 1] = a[ai + j + 1]! + s
        o[oi + j + 2] = a[ai + j + 2]! + s
        o[oi + j + 3] = a[ai + j + 3]! + s
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! + s
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s + b[bi + j]!
        o[oi + j + 1] = s + b[bi + j + 1]!
        o[oi + j + 2] = s + b[bi + j + 2]!
        o[oi + j + 3] = s + b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = s + b[bi + j]!
    },
  },
  // `-`
  sub: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! - b[bi + j]!
        o[oi + j + 1] = a[ai + j + 1]! - b[bi + j + 1]!
        o[oi + j + 2] = a[ai + j + 2]! - b[bi + j + 2]!
        o[oi + j + 3] = a[ai + j + 3]! - b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! - b[bi + j]!
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! - s
        o[oi + j + 1] = a[ai + j + 1]! - s
        o[oi + j + 2] = a[ai + j + 2]! - s
        o[oi + j + 3] = a[ai + j + 3]! - s
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! - s
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s - b[bi + j]!
        o[oi + j + 1] = s - b[bi + j + 1]!
        o[oi + j + 2] = s - b[bi + j + 2]!
        o[oi + j + 3] = s - b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = s - b[bi + j]!
    },
  },
  // `*`
  mul: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! * b[bi + j]!
        o[oi + j + 1] = a[ai + j + 1]! * b[bi + j + 1]!
        o[oi + j + 2] = a[ai + j + 2]! * b[bi + j + 2]!
        o[oi + j + 3] = a[ai + j + 3]! * b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! * b[bi + j]!
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! * s
        o[oi + j + 1] = a[ai + j + 1]! * s
        o[oi + j + 2] = a[ai + j + 2]! * s
        o[oi + j + 3] = a[ai + j + 3]! * s
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! * s
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s * b[bi + j]!
        o[oi + j + 1] = s * b[bi + j + 1]!
        o[oi + j + 2] = s * b[bi + j + 2]!
        o[oi + j + 3] = s * b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = s * b[bi + j]!
    },
  },
  // `/`
  div: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! / b[bi + j]!
        o[oi + j + 1] = a[ai + j + 1]! / b[bi + j + 1]!
        o[oi + j + 2] = a[ai + j + 2]! / b[bi + j + 2]!
        o[oi + j + 3] = a[ai + j + 3]! / b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! / b[bi + j]!
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! / s
        o[oi + j + 1] = a[ai + j + 1]! / s
        o[oi + j + 2] = a[ai + j + 2]! / s
        o[oi + j + 3] = a[ai + j + 3]! / s
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! / s
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s / b[bi + j]!
        o[oi + j + 1] = s / b[bi + j + 1]!
        o[oi + j + 2] = s / b[bi + j + 2]!
        o[oi + j + 3] = s / b[bi + j + 3]!
      }
      for (; j < n; j++) o[oi + j] = s / b[bi + j]!
    },
  },
  // `===`, as int32 ones and zeros
  equal: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! === b[bi + j]! ? 1 : 0
        o[oi + j + 1] = a[ai + j + 1]! === b[bi + j + 1]! ? 1 : 0
        o[oi + j + 2] = a[ai + j + 2]! === b[bi + j + 2]! ? 1 : 0
        o[oi + j + 3] = a[ai + j + 3]! === b[bi + j + 3]! ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! === b[bi + j]! ? 1 : 0
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! === s ? 1 : 0
        o[oi + j + 1] = a[ai + j + 1]! === s ? 1 : 0
        o[oi + j + 2] = a[ai + j + 2]! === s ? 1 : 0
        o[oi + j + 3] = a[ai + j + 3]! === s ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! === s ? 1 : 0
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s === b[bi + j]! ? 1 : 0
        o[oi + j + 1] = s === b[bi + j + 1]! ? 1 : 0
        o[oi + j + 2] = s === b[bi + j + 2]! ? 1 : 0
        o[oi + j + 3] = s === b[bi + j + 3]! ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = s === b[bi + j]! ? 1 : 0
    },
  },
  // `>`, as int32
  greater: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! > b[bi + j]! ? 1 : 0
        o[oi + j + 1] = a[ai + j + 1]! > b[bi + j + 1]! ? 1 : 0
        o[oi + j + 2] = a[ai + j + 2]! > b[bi + j + 2]! ? 1 : 0
        o[oi + j + 3] = a[ai + j + 3]! > b[bi + j + 3]! ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! > b[bi + j]! ? 1 : 0
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! > s ? 1 : 0
        o[oi + j + 1] = a[ai + j + 1]! > s ? 1 : 0
        o[oi + j + 2] = a[ai + j + 2]! > s ? 1 : 0
        o[oi + j + 3] = a[ai + j + 3]! > s ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! > s ? 1 : 0
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s > b[bi + j]! ? 1 : 0
        o[oi + j + 1] = s > b[bi + j + 1]! ? 1 : 0
        o[oi + j + 2] = s > b[bi + j + 2]! ? 1 : 0
        o[oi + j + 3] = s > b[bi + j + 3]! ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = s > b[bi + j]! ? 1 : 0
    },
  },
  // `>=`, as int32
  greaterEqual: {
    same: (a, ai, b, bi, o, oi, n) => {
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! >= b[bi + j]! ? 1 : 0
        o[oi + j + 1] = a[ai + j + 1]! >= b[bi + j + 1]! ? 1 : 0
        o[oi + j + 2] = a[ai + j + 2]! >= b[bi + j + 2]! ? 1 : 0
        o[oi + j + 3] = a[ai + j + 3]! >= b[bi + j + 3]! ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! >= b[bi + j]! ? 1 : 0
    },
    right: (a, ai, b, bi, o, oi, n) => {
      const s = b[bi]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = a[ai + j]! >= s ? 1 : 0
        o[oi + j + 1] = a[ai + j + 1]! >= s ? 1 : 0
        o[oi + j + 2] = a[ai + j + 2]! >= s ? 1 : 0
        o[oi + j + 3] = a[ai + j + 3]! >= s ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = a[ai + j]! >= s ? 1 : 0
    },
    left: (a, ai, b, bi, o, oi, n) => {
      const s = a[ai]!
      let j = 0
      for (; j + 4 <= n; j += 4) {
        o[oi + j] = s >= b[bi + j]! ? 1 : 0
        o[oi + j + 1] = s >= b[bi + j + 1]! ? 1 : 0
        o[oi + j + 2] = s >= b[bi + j + 2]! ? 1 : 0
        o[oi + j + 3] = s >= b[bi + j + 3]! ? 1 : 0
      }
      for (; j < n; j++) o[oi + j] = s >= b[bi + j]! ? 1 : 0
    },
  },
}

/**
 * Runs `runs` over the broadcast of `a` and `b` into `out` (of `shape`) when one operand has the
 * output's size and the other is read as a scalar, rows or columns. Returns false, having done
 * nothing, for any other broadcast.
 */
const runFast = (runs: Runs, a: Tensor, b: Tensor, shape: Shape, out: Arr): boolean => {
  const ad = a.data
  const bd = b.data
  const size = out.length
  const aFull = a.size === size
  const bFull = b.size === size
  if (aFull && bFull) {
    runs.same(ad, 0, bd, 0, out, 0, size)
    return true
  }
  if (!aFull && !bFull) return false
  // the other operand, of n elements, and how the broadcast reads it
  const other = aFull ? b : a
  const n = other.size
  const pattern = readPattern(other.shape, n, shape, size)
  if (pattern === "scalar") {
    if (aFull) runs.right(ad, 0, bd, 0, out, 0, size)
    else runs.left(ad, 0, bd, 0, out, 0, size)
  } else if (pattern === "rows") {
    // output row r (n long) pairs the full operand's row r with the whole other operand
    if (aFull) for (let r = 0; r < size; r += n) runs.same(ad, r, bd, 0, out, r, n)
    else for (let r = 0; r < size; r += n) runs.same(ad, 0, bd, r, out, r, n)
  } else if (pattern === "cols") {
    // output row k (size / n long) pairs the full operand's row k with the other's element k
    const m = size / n
    if (aFull) for (let k = 0; k < n; k++) runs.right(ad, k * m, bd, k, out, k * m, m)
    else for (let k = 0; k < n; k++) runs.left(ad, k, bd, k * m, out, k * m, m)
  } else return false
  return true
}

const runBinary = (
  loop: BinaryLoop,
  runs: Runs,
  a: Tensor,
  b: Tensor,
  shape: Shape,
  out: Arr,
): void => {
  if (out.length === 0 || runFast(runs, a, b, shape, out)) return
  const ad = a.data
  const bd = b.data
  const outStrides = broadcastStrides(shape, shape)
  forEachRow(
    shape,
    [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), outStrides],
    [0, 0, 0],
    (offsets, n, inner) =>
      loop(ad, offsets[0]!, inner[0]!, bd, offsets[1]!, inner[1]!, out, offsets[2]!, n),
  )
}

/** Every op's runs for any dtype: its reference loop. */
const referenceRuns = Object.fromEntries(
  Object.entries(binaryLoops).map(([op, loop]) => [op, stridedRuns(loop)]),
) as Record<BinaryPrimitive | ComparePrimitive, Runs>

/** A broadcasting kernel of `op` with output dtype `outDtype`, or the inputs' dtype if absent. */
const broadcasting = (op: BinaryPrimitive | ComparePrimitive, outDtype?: "int32"): Elementwise => {
  const loop = binaryLoops[op]
  const generic = referenceRuns[op]
  const f32 = float32Runs[op] ?? generic
  return ([a, b], _params, into): Tensor => {
    const shape = broadcastShapes(op, a!.shape, b!.shape)
    const dtype = outDtype ?? a!.dtype
    const out = outputArray(into, dtype, sizeOf(shape))
    runBinary(loop, a!.dtype === "float32" ? f32 : generic, a!, b!, shape, out)
    return new Tensor(dtype, shape, out)
  }
}

/** An elementwise kernel: inputs, then (unused) params and the optional output array. */
type Elementwise = (inputs: ReadonlyArray<Tensor>, params?: unknown, out?: TypedArray) => Tensor

/** A broadcasting binary kernel; output dtype is the inputs' dtype. */
export const binary = (op: BinaryPrimitive): Elementwise => broadcasting(op)

/** A broadcasting comparison kernel; output is int32 zeros and ones. */
export const compare = (op: ComparePrimitive): Elementwise => broadcasting(op, "int32")

/** `out[oi + j] = c[ci + j·cs] ≠ 0 ? a[ai + j·as] : b[bi + j·bs]` for j < n. */
type WhereLoop = (
  c: Arr,
  ci: number,
  cs: number,
  a: Arr,
  ai: number,
  as: number,
  b: Arr,
  bi: number,
  bs: number,
  out: Arr,
  oi: number,
  n: number,
) => void

const whereLoop: WhereLoop = (c, ci, cs, a, ai, as, b, bi, bs, out, oi, n) => {
  for (let j = 0; j < n; j++, ci += cs, ai += as, bi += bs)
    out[oi++] = c[ci] !== 0 ? a[ai]! : b[bi]!
}

/** The stride of an operand of `n` elements read whole or, when `n` is 1, as a scalar. */
const step = (n: number): number => (n === 1 ? 0 : 1)

/** All ones where `k` is non-zero, else all zeros, without a branch. */
// (k | -k) has its sign bit set exactly when k ≠ 0; the shift spreads it over the word
const maskOf = (k: number): number => (k | -k) >> 31

/**
 * `out[j] = c[j] ≠ 0 ? a[j] : b[j]` on the bits of 32-bit values, as masks rather than branches:
 * the conditions of a ReLU are as good as random, and a mispredicted branch per element costs
 * more than the rest of the loop. Four elements per iteration.
 */
const selectBits = (c: Int32Array, a: Int32Array, b: Int32Array, out: Int32Array, n: number) => {
  let j = 0
  for (; j + 4 <= n; j += 4) {
    let m = maskOf(c[j]!)
    out[j] = (a[j]! & m) | (b[j]! & ~m)
    m = maskOf(c[j + 1]!)
    out[j + 1] = (a[j + 1]! & m) | (b[j + 1]! & ~m)
    m = maskOf(c[j + 2]!)
    out[j + 2] = (a[j + 2]! & m) | (b[j + 2]! & ~m)
    m = maskOf(c[j + 3]!)
    out[j + 3] = (a[j + 3]! & m) | (b[j + 3]! & ~m)
  }
  for (; j < n; j++) {
    const m = maskOf(c[j]!)
    out[j] = (a[j]! & m) | (b[j]! & ~m)
  }
}

/**
 * `selectBits` with one side a scalar `s`: `out[j] = (c[j] ≠ 0) ≠ flipped ? s : other[j]`, where
 * `flip` is 0, or −1 for a scalar on the "false" side.
 */
const selectScalarBits = (
  c: Int32Array,
  s: number,
  other: Int32Array,
  flip: number,
  out: Int32Array,
  n: number,
) => {
  let j = 0
  for (; j + 4 <= n; j += 4) {
    let m = maskOf(c[j]!) ^ flip
    out[j] = (s & m) | (other[j]! & ~m)
    m = maskOf(c[j + 1]!) ^ flip
    out[j + 1] = (s & m) | (other[j + 1]! & ~m)
    m = maskOf(c[j + 2]!) ^ flip
    out[j + 2] = (s & m) | (other[j + 2]! & ~m)
    m = maskOf(c[j + 3]!) ^ flip
    out[j + 3] = (s & m) | (other[j + 3]! & ~m)
  }
  for (; j < n; j++) {
    const m = maskOf(c[j]!) ^ flip
    out[j] = (s & m) | (other[j]! & ~m)
  }
}

/** The bits of a float32 or int32 array, as an int32 view of the same memory. */
const bitsOf = (x: Arr): Int32Array =>
  x instanceof Int32Array ? x : new Int32Array(x.buffer, x.byteOffset, x.length)

/**
 * `where` on 32-bit values with a full condition and each value full or a scalar (not both), by
 * selecting bits; false, having done nothing, for anything else.
 */
const whereBits = (cd: Arr, ad: Arr, bd: Arr, out: Arr): boolean => {
  const n = out.length
  const kind = out.constructor
  if (!(cd instanceof Int32Array) || cd.length !== n || out instanceof Float64Array) return false
  if (ad.constructor !== kind || bd.constructor !== kind) return false
  const o = bitsOf(out)
  if (ad.length === n && bd.length === n) selectBits(cd, bitsOf(ad), bitsOf(bd), o, n)
  else if (ad.length === 1 && bd.length === n)
    selectScalarBits(cd, bitsOf(ad)[0]!, bitsOf(bd), 0, o, n)
  else if (ad.length === n && bd.length === 1)
    selectScalarBits(cd, bitsOf(bd)[0]!, bitsOf(ad), -1, o, n)
  else return false
  return true
}

/** `where(cond, a, b)`: `a` where `cond` is non-zero, else `b`; all three broadcast. */
export const where = (
  [c, a, b]: ReadonlyArray<Tensor>,
  _params?: unknown,
  into?: TypedArray,
): Tensor => {
  const shape = broadcastShapes("where", c!.shape, a!.shape, b!.shape)
  const size = sizeOf(shape)
  const out = outputArray(into, a!.dtype, size)
  const cd = c!.data
  const ad = a!.data
  const bd = b!.data
  if (size === 0 || whereBits(cd, ad, bd, out)) return new Tensor(a!.dtype, shape, out)
  const cn = cd.length
  const an = ad.length
  const bn = bd.length
  // each operand read whole (same size) or as a scalar: one run, strides 1 or 0
  if ((cn === size || cn === 1) && (an === size || an === 1) && (bn === size || bn === 1)) {
    whereLoop(cd, 0, step(cn), ad, 0, step(an), bd, 0, step(bn), out, 0, size)
    return new Tensor(a!.dtype, shape, out)
  }
  forEachRow(
    shape,
    [
      broadcastStrides(c!.shape, shape),
      broadcastStrides(a!.shape, shape),
      broadcastStrides(b!.shape, shape),
      broadcastStrides(shape, shape),
    ],
    [0, 0, 0, 0],
    (off, n, s) =>
      whereLoop(cd, off[0]!, s[0]!, ad, off[1]!, s[1]!, bd, off[2]!, s[2]!, out, off[3]!, n),
  )
  return new Tensor(a!.dtype, shape, out)
}

/** Converts to another dtype; float → int32 truncates toward zero (NaN → 0), as NumPy's astype. */
export const cast = (
  [x]: ReadonlyArray<Tensor>,
  { dtype }: Params["cast"],
  into?: TypedArray,
): Tensor => {
  if (x!.dtype === dtype) return x!
  const data = x!.data
  if (dtype === "int32" && x!.dtype !== "int32") {
    const out = outputArray(into, "int32", data.length)
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
  if (into === undefined) return new Tensor(dtype, x!.shape, arrayFrom(dtype, data))
  const out = outputArray(into, dtype, data.length)
  out.set(data)
  return new Tensor(dtype, x!.shape, out)
}
