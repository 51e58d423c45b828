/**
 * Matrix products with NumPy's rules for 1-D operands and broadcast batch axes.
 * @module
 */
import { bind } from "../dispatch.ts"
import { check } from "../errors.ts"
import type { Shape } from "../shape.ts"
import { broadcastShapes, showShape } from "../shape.ts"
import type { Tensor } from "../tensor.ts"
import type { TensorLike } from "./convert.ts"
import { promote } from "./convert.ts"
import { mul } from "./elementwise.ts"
import { broadcastTo, reshape } from "./movement.ts"

const broadcastable = (a: Shape, b: Shape): boolean => {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i]!
    const y = b[b.length - i]!
    if (x !== y && x !== 1 && y !== 1) return false
  }
  return true
}

/**
 * Matrix product as NumPy's `matmul` / `@`: `[m, k] · [k, n] → [m, n]`; a 1-D operand is a row
 * (left) or column (right) vector whose axis is dropped from the result; leading batch axes
 * broadcast.
 * @example
 * import * as T from "@fnn/tensor"
 * T.matmul(T.ones([2, 3]), T.ones([3, 4])).shape    // [2, 4]
 * T.matmul(T.ones([5, 2, 3]), T.ones([3, 4])).shape // [5, 2, 4]
 */
export const matmul = (left: TensorLike, right: TensorLike): Tensor => {
  const [a0, b0] = promote("matmul", [left, right])
  check(
    a0!.rank >= 1 && b0!.rank >= 1,
    "matmul",
    () =>
      `operands must have at least one axis, got shapes ${showShape(a0!.shape)} and ${showShape(b0!.shape)}`,
  )
  const aVec = a0!.rank === 1
  const bVec = b0!.rank === 1
  const a = aVec ? reshape(a0!, [1, a0!.shape[0]!]) : a0!
  const b = bVec ? reshape(b0!, [b0!.shape[0]!, 1]) : b0!
  const k = a.shape[a.rank - 1]!
  check(
    k === b.shape[b.rank - 2],
    "matmul",
    () =>
      `inner sizes differ: ${showShape(a0!.shape)} · ${showShape(b0!.shape)} (${k} ≠ ${b.shape[b.rank - 2]})`,
  )
  const aBatch = a.shape.slice(0, -2)
  const bBatch = b.shape.slice(0, -2)
  check(
    broadcastable(aBatch, bBatch),
    "matmul",
    () =>
      `batch axes ${showShape(aBatch)} and ${showShape(bBatch)} of ${showShape(a0!.shape)} · ${showShape(b0!.shape)} do not broadcast`,
  )
  const batch = broadcastShapes("matmul", aBatch, bBatch)
  const aFull = broadcastTo(a, [...batch, ...a.shape.slice(-2)])
  const bFull = broadcastTo(b, [...batch, ...b.shape.slice(-2)])
  const out = bind("matmul", [aFull, bFull], { transposeA: false, transposeB: false })
  if (!aVec && !bVec) return out
  const m = out.shape[out.rank - 2]!
  const n = out.shape[out.rank - 1]!
  return reshape(out, [...batch, ...(aVec ? [] : [m]), ...(bVec ? [] : [n])])
}

/**
 * Inner product of two vectors; for matrices, the same as `matmul`.
 * @example
 * import * as T from "@fnn/tensor"
 * T.dot(T.tensor([1, 2, 3]), T.tensor([4, 5, 6])) // 32
 */
export const dot = (a: TensorLike, b: TensorLike): Tensor => {
  const [x, y] = promote("dot", [a, b])
  check(
    x!.rank <= 2 && y!.rank <= 2 && x!.rank >= 1 && y!.rank >= 1,
    "dot",
    () =>
      `takes vectors or matrices, got shapes ${showShape(x!.shape)} and ${showShape(y!.shape)} (use matmul for batches)`,
  )
  return matmul(x!, y!)
}

/**
 * Outer product of two vectors: `[m] ⊗ [n] → [m, n]` (inputs are flattened).
 * @example
 * import * as T from "@fnn/tensor"
 * T.outer(T.tensor([1, 2]), T.tensor([3, 4, 5])).shape // [2, 3]
 */
export const outer = (a: TensorLike, b: TensorLike): Tensor => {
  const [x, y] = promote("outer", [a, b])
  return mul(reshape(x!, [-1, 1]), reshape(y!, [1, -1]))
}
