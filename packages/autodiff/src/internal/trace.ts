/**
 * What every trace shares: levels that order nested transformations, and the check that a
 * tracer from a finished transformation is not used again.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Trace } from "@fnn/tensor/internal"
import { Tracer } from "@fnn/tensor/internal"

export { nextLevel } from "@fnn/tensor/internal"

/** The error for a tracer whose transformation has finished. */
export const escaped = (op: string): T.TensorError =>
  new T.TensorError(
    op,
    "a tracer from a finished transformation was used: a value computed inside grad/vjp/jvp/vmap escaped (e.g. stored in a variable outside the function) and cannot be used afterwards",
  )

/** Throws if `x` is a tracer of a finished transformation (a constant for the current one). */
export const checkLive = (x: T.Tensor, op: string): void => {
  const t = x.trace
  if (t !== undefined && !t.active) throw escaped(op)
}

/**
 * A tracer that belongs to one transformation (`owner`) and stands for a concrete `primal`; each
 * mode adds what it carries alongside (a tangent, a tape id).
 */
export abstract class OwnedTracer<Owner extends Trace> extends Tracer {
  readonly #owner: Owner
  readonly #primal: T.Tensor

  constructor(owner: Owner, primal: T.Tensor) {
    super(primal)
    this.#owner = owner
    this.#primal = primal
  }

  get owner(): Owner {
    return this.#owner
  }
  override get trace(): Trace {
    return this.#owner
  }
  get primal(): T.Tensor {
    return this.#primal
  }
}
