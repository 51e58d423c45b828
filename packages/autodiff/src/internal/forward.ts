/**
 * Forward mode: a `JvpTracer` carries a primal and its tangent; the trace evaluates each
 * primitive on the primals (through any outer transformation) and pushes tangents through the
 * primitive's rule.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Params, Primitive, Trace } from "@fnn/tensor/internal"
import { bind, shapesEqual } from "@fnn/tensor/internal"
import type { JvpRule } from "./jvpRules.ts"
import { jvpRules } from "./jvpRules.ts"
import { checkLive, nextLevel, OwnedTracer } from "./trace.ts"

/** One forward-mode transformation in progress. */
export class JvpTrace implements Trace {
  readonly level = nextLevel()
  active = true

  process<P extends Primitive>(
    prim: P,
    inputs: ReadonlyArray<T.Tensor>,
    params: Params[P],
  ): T.Tensor {
    const n = inputs.length
    const primals = new Array<T.Tensor>(n)
    const tangents = new Array<T.Tensor | undefined>(n)
    for (let i = 0; i < n; i++) {
      const x = inputs[i]!
      if (x instanceof JvpTracer && x.owner === this) {
        primals[i] = x.primal
        tangents[i] = x.tangent
      } else {
        // anything else (a plain tensor, a tracer of an outer transformation) is a constant here
        checkLive(x, prim)
        primals[i] = x
        tangents[i] = undefined
      }
    }
    const y = bind(prim, primals, params)
    // integers carry no tangent: leave the value untraced
    if (y.dtype === "int32") return y
    let t = (jvpRules[prim] as JvpRule<P>)(primals, tangents, y, params)
    if (t === undefined) return y
    if (!shapesEqual(t.shape, y.shape)) t = T.broadcastTo(t, y.shape)
    if (t.dtype !== y.dtype) t = T.cast(t, y.dtype)
    return new JvpTracer(this, y, t)
  }
}

/** A value inside `jvp`: its primal and its tangent (same shape and dtype). */
export class JvpTracer extends OwnedTracer<JvpTrace> {
  readonly #tangent: T.Tensor

  constructor(owner: JvpTrace, primal: T.Tensor, tangent: T.Tensor) {
    super(owner, primal)
    this.#tangent = tangent
  }

  get tangent(): T.Tensor {
    return this.#tangent
  }
}
