/**
 * Derivatives of the elementwise primitives, written once for both modes. The Jacobian of an
 * elementwise op is diagonal (with broadcasting, a sum of diagonals), so the same map
 * `v ↦ ∂y/∂xᵢ ⊙ v` pushes a tangent forward and pulls a cotangent back. The result may have the
 * broadcast output shape: the forward driver broadcasts tangents up, the backward driver sums
 * cotangents down, so no rule deals with broadcasting.
 * @module
 */
import * as T from "@fnn/tensor"
import type { BinaryPrimitive, UnaryPrimitive } from "@fnn/tensor/internal"

/**
 * `v ↦ ∂y/∂xᵢ ⊙ v` for one input `xᵢ` of an elementwise primitive with inputs `x` and output `y`
 * (the output is there so rules reuse what the forward pass computed).
 */
export type Partial = (v: T.Tensor, x: ReadonlyArray<T.Tensor>, y: T.Tensor) => T.Tensor

/** The weight of `a` in `max(a, b)`: 1 where `a > b`, 0 where `a < b`, ½ on ties (as JAX). */
const maxWeight = (a: T.Tensor, b: T.Tensor): T.Tensor => T.mul(T.add(T.sign(T.sub(a, b)), 1), 0.5)

/** Partials of the unary primitives; `undefined` for piecewise constant ones (zero derivative). */
export const unaryPartials: { readonly [P in UnaryPrimitive]: Partial | undefined } = {
  // d(-x) = -dx
  neg: (v) => T.neg(v),
  // d|x| = sign(x) dx, taken as 0 at 0
  abs: (v, x) => T.mul(v, T.sign(x[0]!)),
  // sign is piecewise constant
  sign: undefined,
  // d eˣ = eˣ dx = y dx
  exp: (v, _, y) => T.mul(v, y),
  // d log x = dx / x
  log: (v, x) => T.div(v, x[0]!),
  // d log(1 + x) = dx / (1 + x)
  log1p: (v, x) => T.div(v, T.add(x[0]!, 1)),
  // d √x = dx / (2√x) = dx / 2y
  sqrt: (v, _, y) => T.div(v, T.mul(y, 2)),
  // d sin x = cos x dx
  sin: (v, x) => T.mul(v, T.cos(x[0]!)),
  // d cos x = -sin x dx
  cos: (v, x) => T.neg(T.mul(v, T.sin(x[0]!))),
  // d tanh x = (1 - y²) dx
  tanh: (v, _, y) => T.mul(v, T.sub(1, T.mul(y, y))),
  // dσ = σ(1 - σ) dx = y(1 - y) dx
  sigmoid: (v, _, y) => T.mul(v, T.mul(y, T.sub(1, y))),
}

/** Partials of the binary primitives with respect to `[a, b]`. */
export const binaryPartials: {
  readonly [P in BinaryPrimitive]: readonly [Partial, Partial]
} = {
  // d(a + b) = da + db
  add: [(v) => v, (v) => v],
  // d(a - b) = da - db
  sub: [(v) => v, (v) => T.neg(v)],
  // d(ab) = b da + a db
  mul: [(v, x) => T.mul(v, x[1]!), (v, x) => T.mul(v, x[0]!)],
  // d(a / b) = da / b - (a / b) db / b = (da - y db) / b
  div: [(v, x) => T.div(v, x[1]!), (v, x, y) => T.neg(T.div(T.mul(v, y), x[1]!))],
  pow: [
    // d(aᵇ)/da = b aᵇ⁻¹, taken as 0 at a = b = 0 (0⁰ = 1 has slope 0 in a, not 0·∞)
    (v, [a, b]) =>
      T.mul(
        v,
        T.where(T.mul(T.equal(a!, 0), T.equal(b!, 0)), 0, T.mul(b!, T.pow(a!, T.sub(b!, 1)))),
      ),
    // d(aᵇ)/db = aᵇ log a = y log a, taken as 0 where a = 0 (y is 0 there for b > 0)
    (v, [a], y) => T.mul(v, T.mul(y, T.log(T.where(T.equal(a!, 0), 1, a!)))),
  ],
  // d max(a, b) = [a > b] da + [a < b] db, split in halves on ties
  maximum: [(v, [a, b]) => T.mul(v, maxWeight(a!, b!)), (v, [a, b]) => T.mul(v, maxWeight(b!, a!))],
  // d min(a, b) = [a < b] da + [a > b] db, split in halves on ties
  minimum: [(v, [a, b]) => T.mul(v, maxWeight(b!, a!)), (v, [a, b]) => T.mul(v, maxWeight(a!, b!))],
}
