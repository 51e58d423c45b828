/**
 * Reverse-mode rules: one per primitive, in one table whose type makes a missing rule a compile
 * error. Rules are written with tensor ops, so an outer transformation sees the backward pass and
 * differentiates it again (`grad(grad(f))`).
 *
 * A rule returns one cotangent per input with that input's dtype, but possibly with the broadcast
 * output shape: the driver sums it down to the input's shape and adds up cotangents of values used
 * several times. `undefined` is a symbolic zero, and rules skip inputs whose `need` is false.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Params, Primitive } from "@fnn/tensor/internal"
import { bind, keptShape } from "@fnn/tensor/internal"
import type { Partial } from "./elementwise.ts"
import { binaryPartials, unaryPartials } from "./elementwise.ts"
import { convInputTranspose, convKernelTranspose } from "./conv.ts"

/** Cotangents for a primitive's inputs, in order; missing or `undefined` entries are zeros. */
export type Cotangents = ReadonlyArray<T.Tensor | undefined>

/**
 * The cotangents of a primitive's inputs from the output's cotangent `g`, the inputs `x`, the
 * output `y` (computed by the forward pass, reused here), the params, and which inputs need one.
 */
export type VjpRule<P extends Primitive> = (
  g: T.Tensor,
  x: ReadonlyArray<T.Tensor>,
  y: T.Tensor,
  params: Params[P],
  need: ReadonlyArray<boolean>,
) => Cotangents

const none: Cotangents = []

/** Piecewise constant (comparisons, argmax, sign) or of integer inputs: no cotangent flows back. */
const zero = (): Cotangents => none

/** An elementwise primitive: `x̄ᵢ = ∂y/∂xᵢ ⊙ ȳ` (diagonal Jacobians are their own transposes). */
const elementwise =
  (partials: ReadonlyArray<Partial | undefined>): VjpRule<Primitive> =>
  (g, x, y, _params, need) => {
    const out = new Array<T.Tensor | undefined>(partials.length)
    for (let i = 0; i < partials.length; i++) {
      const p = partials[i]
      out[i] = need[i] === true && p !== undefined ? p(g, x, y) : undefined
    }
    return out
  }

/** A one-input linear op whose transpose is `back`. */
const linear =
  <P extends Primitive>(
    back: (g: T.Tensor, x: T.Tensor, params: Params[P]) => T.Tensor,
  ): VjpRule<P> =>
  (g, x, _y, params) => [back(g, x[0]!, params)]

const inversePerm = (perm: ReadonlyArray<number>): number[] => {
  const inv = new Array<number>(perm.length)
  perm.forEach((p, i) => (inv[p] = i))
  return inv
}

/** Every primitive's reverse rule. */
export const vjpRules: { readonly [P in Primitive]: VjpRule<P> } = {
  neg: elementwise([unaryPartials.neg]),
  abs: elementwise([unaryPartials.abs]),
  sign: zero,
  exp: elementwise([unaryPartials.exp]),
  log: elementwise([unaryPartials.log]),
  log1p: elementwise([unaryPartials.log1p]),
  sqrt: elementwise([unaryPartials.sqrt]),
  sin: elementwise([unaryPartials.sin]),
  cos: elementwise([unaryPartials.cos]),
  tanh: elementwise([unaryPartials.tanh]),
  sigmoid: elementwise([unaryPartials.sigmoid]),
  add: elementwise(binaryPartials.add),
  sub: elementwise(binaryPartials.sub),
  mul: elementwise(binaryPartials.mul),
  div: elementwise(binaryPartials.div),
  pow: elementwise(binaryPartials.pow),
  maximum: elementwise(binaryPartials.maximum),
  minimum: elementwise(binaryPartials.minimum),
  equal: zero,
  greater: zero,
  greaterEqual: zero,
  // where(c, a, b)ᵀ: ā = where(c, ȳ, 0), b̄ = where(c, 0, ȳ); the condition has no cotangent
  where: (g, [c], _y, _params, need) => [
    undefined,
    need[1] === true ? T.where(c!, g, 0) : undefined,
    need[2] === true ? T.where(c!, 0, g) : undefined,
  ],
  // castᵀ casts back to the input's dtype
  cast: linear((g, x) => T.cast(g, x.dtype)),
  // sumᵀ copies ȳ along the reduced axes
  sum: linear((g, x, { axes }) => T.broadcastTo(T.reshape(g, keptShape(x.shape, axes)), x.shape)),
  // ȳ goes to the positions that attain the maximum, shared equally among ties
  max: (g, [x], y, { axes }) => {
    const kept = keptShape(x!.shape, axes)
    const at = T.cast(T.equal(x!, T.reshape(y, kept)), x!.dtype)
    return [T.mul(T.div(at, T.sum(at, { axis: axes, keepDims: true })), T.reshape(g, kept))]
  },
  argmax: zero,
  reshape: linear((g, x) => T.reshape(g, x.shape)),
  // broadcastToᵀ sums over the stretched axes, which is what the driver does anyway
  broadcastTo: (g) => [g],
  transpose: linear((g, _x, { perm }) => bind("transpose", [g], { perm: inversePerm(perm) })),
  // sliceᵀ pads with zeros around the box
  slice: linear((g, x, { starts, sizes }) =>
    bind("pad", [g], { lo: starts, hi: x.shape.map((d, i) => d - starts[i]! - sizes[i]!) }),
  ),
  // padᵀ slices the box back out
  pad: linear((g, x, { lo }) => bind("slice", [g], { starts: lo, sizes: x.shape })),
  // concatᵀ slices ȳ into each input's block
  concat: (g, x, _y, { axis }, need) => {
    let offset = 0
    return x.map((xi, i) => {
      const starts = xi.shape.map((_, a) => (a === axis ? offset : 0))
      offset += xi.shape[axis]!
      return need[i] === true ? bind("slice", [g], { starts, sizes: xi.shape }) : undefined
    })
  },
  // gatherᵀ adds ȳ back at the gathered indices
  gather: (g, [x, indices], _y, { axis }) => [
    bind("scatterAdd", [g, indices!], { axis, shape: x!.shape }),
  ],
  // scatterAddᵀ gathers ȳ at the same indices
  scatterAdd: (g, [, indices], _y, { axis }) => [bind("gather", [g, indices!], { axis })],
  // C = op(A) op(B): Ā = C̄ op(B)ᵀ and B̄ = op(A)ᵀ C̄, each transposed back when the operand was
  matmul: (g, [a, b], _y, { transposeA: ta, transposeB: tb }, need) => [
    need[0] !== true
      ? undefined
      : ta
        ? bind("matmul", [b!, g], { transposeA: tb, transposeB: true })
        : bind("matmul", [g, b!], { transposeA: false, transposeB: !tb }),
    need[1] !== true
      ? undefined
      : tb
        ? bind("matmul", [g, a!], { transposeA: true, transposeB: ta })
        : bind("matmul", [a!, g], { transposeA: !ta, transposeB: false }),
  ],
  // conv is bilinear; both of its transposes are convolutions (see ./conv.ts)
  conv: (g, [x, w], _y, params, need) => [
    need[0] === true ? convInputTranspose(g, w!, x!.shape, params) : undefined,
    need[1] === true ? convKernelTranspose(x!, g, w!.shape, params) : undefined,
  ],
  // windowsᵀ adds each window back where it was taken from
  windows: linear((g, x, { window, strides }) =>
    bind("addWindows", [g], { window, strides, shape: x.shape }),
  ),
  // addWindowsᵀ takes the windows of ȳ
  addWindows: linear((g, _x, { window, strides }) => bind("windows", [g], { window, strides })),
  // keys are integers: no cotangent flows back to them
  threefry2x32: zero,
  sample: zero,
}
