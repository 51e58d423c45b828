/**
 * Forward-mode rules: one per primitive, in one table whose type makes a missing rule a compile
 * error. Rules are written with tensor ops, so an outer transformation differentiates them again.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Params, Primitive } from "@fnn/tensor/internal"
import { bind, keptShape } from "@fnn/tensor/internal"
import type { Partial } from "./elementwise.ts"
import { binaryPartials, unaryPartials } from "./elementwise.ts"

/**
 * The tangent of a primitive's output from its inputs `x`, their tangents `t` (`undefined` for a
 * constant input: a symbolic zero), the output `y` and the params. `undefined` means a zero
 * tangent. A tangent smaller than `y` is broadcast up by the driver.
 */
export type JvpRule<P extends Primitive> = (
  x: ReadonlyArray<T.Tensor>,
  t: ReadonlyArray<T.Tensor | undefined>,
  y: T.Tensor,
  params: Params[P],
) => T.Tensor | undefined

/** `a + b` where `undefined` is a zero. */
const plus = (a: T.Tensor | undefined, b: T.Tensor | undefined): T.Tensor | undefined =>
  a === undefined ? b : b === undefined ? a : T.add(a, b)

/** Piecewise constant (comparisons, argmax, sign) or integer-valued: the tangent is zero. */
const zero = (): undefined => undefined

/** An elementwise primitive: `ẏ = Σᵢ ∂y/∂xᵢ ẋᵢ`. */
const elementwise =
  (partials: ReadonlyArray<Partial | undefined>): JvpRule<Primitive> =>
  (x, t, y) => {
    let out: T.Tensor | undefined
    for (let i = 0; i < partials.length; i++) {
      const ti = t[i]
      const p = partials[i]
      if (ti !== undefined && p !== undefined) out = plus(out, p(ti, x, y))
    }
    return out
  }

/** Linear in its first input (the others are indices): the tangent goes through the same op. */
const linear =
  <P extends Primitive>(prim: P): JvpRule<P> =>
  (x, t, _y, params) => {
    const t0 = t[0]
    if (t0 === undefined) return undefined
    return bind(prim, x.length === 1 ? [t0] : [t0, ...x.slice(1)], params)
  }

/** Bilinear `f(a, b)`: `ḟ = f(ȧ, b) + f(a, ḃ)`. */
const bilinear =
  <P extends Primitive>(prim: P): JvpRule<P> =>
  (x, t, _y, params) =>
    plus(
      t[0] === undefined ? undefined : bind(prim, [t[0], x[1]!], params),
      t[1] === undefined ? undefined : bind(prim, [x[0]!, t[1]], params),
    )

/** Every primitive's forward rule. */
export const jvpRules: { readonly [P in Primitive]: JvpRule<P> } = {
  neg: linear("neg"),
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
  // d where(c, a, b) = where(c, da, db)
  where: ([c], [, ta, tb]) =>
    ta === undefined && tb === undefined ? undefined : T.where(c!, ta ?? 0, tb ?? 0),
  // a float-to-float cast is linear; the driver drops tangents of integer outputs
  cast: linear("cast"),
  sum: linear("sum"),
  // d max x = the mean of dx over the positions that attain the maximum (ties share)
  max: ([x], [t], y, { axes }) => {
    if (t === undefined) return undefined
    const at = T.cast(T.equal(x!, T.reshape(y, keptShape(x!.shape, axes))), x!.dtype)
    return T.div(T.sum(T.mul(t, at), { axis: axes }), T.sum(at, { axis: axes }))
  },
  argmax: zero,
  reshape: linear("reshape"),
  broadcastTo: linear("broadcastTo"),
  transpose: linear("transpose"),
  slice: linear("slice"),
  pad: linear("pad"),
  gather: linear("gather"),
  scatterAdd: linear("scatterAdd"),
  // concat is linear in all inputs: constant inputs contribute zeros
  concat: (x, t, _y, params) =>
    t.every((ti) => ti === undefined)
      ? undefined
      : bind(
          "concat",
          x.map((xi, i) => t[i] ?? T.zerosLike(xi)),
          params,
        ),
  // d(AB) = dA B + A dB (with the same transposes)
  matmul: bilinear("matmul"),
  // d conv(x, w) = conv(dx, w) + conv(x, dw)
  conv: bilinear("conv"),
  windows: linear("windows"),
  addWindows: linear("addWindows"),
  // keys are integers: derived keys and samples have no tangent
  threefry2x32: zero,
  sample: zero,
}
