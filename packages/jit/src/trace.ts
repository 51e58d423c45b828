/**
 * Tracing: a function runs once on abstract tracers (a dtype and a shape, no data), and every
 * primitive it binds is recorded as an equation. Tensors it closes over become constants.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Aval, Params, Primitive, Trace } from "@fnn/tensor/internal"
import { nextLevel, shapeRules } from "@fnn/tensor/internal"
import type { Constant, Equation, Var } from "./program.ts"
import { Program, showAval } from "./program.ts"

/** A value of the traced function: known by dtype and shape only. */
export class JitTracer extends T.Tensor {
  constructor(
    readonly owner: JitTrace,
    readonly variable: Var,
    aval: Aval,
    /** What this value is, for errors: `the output of exp`, `argument 0 at "w"`. */
    readonly origin: string,
  ) {
    super(aval.dtype, aval.shape, undefined)
  }

  override get trace(): Trace {
    return this.owner
  }

  override get isAbstract(): boolean {
    return true
  }

  /** `Traced<f32[3]>`: a traced value prints without data (printing inside `f` is fine). */
  override toString(): string {
    return `Traced<${showAval(this)}>`
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString()
  }

  override get data(): never {
    throw new T.TensorError(
      "jit",
      `the value of ${this.origin} (${showAval(this)}) was read while the function was traced ` +
        "(by T.item, T.toArray or .data): traced values have no data until the compiled program " +
        "runs. Return the value from the function and read it after the call, or mark the " +
        "argument it comes from static.",
    )
  }
}

/** One tracing of one function. */
export class JitTrace implements Trace {
  readonly level = nextLevel()
  active = true
  readonly avals: Aval[] = []
  readonly equations: Equation[] = []
  readonly constants: Constant[] = []
  readonly #constantVars = new Map<T.Tensor, Var>()

  /** A new variable of `aval`. */
  fresh(aval: Aval): Var {
    this.avals.push({ dtype: aval.dtype, shape: aval.shape.slice() })
    return this.avals.length - 1
  }

  /** The variable standing for `x` in this trace: its own tracer's, or a constant's. */
  variableOf(x: T.Tensor, op: string): Var {
    if (x instanceof JitTracer && x.owner === this) return x.variable
    if (x.trace !== undefined)
      throw new T.TensorError(
        op,
        "a jitted function used a value of an enclosing transformation (grad, vjp, jvp, vmap or " +
          "an outer jit) that it did not receive as an argument; pass that value as an argument",
      )
    let v = this.#constantVars.get(x)
    if (v === undefined) {
      v = this.fresh(x)
      this.#constantVars.set(x, v)
      this.constants.push({ variable: v, value: x })
    }
    return v
  }

  process<P extends Primitive>(
    prim: P,
    inputs: ReadonlyArray<T.Tensor>,
    params: Params[P],
  ): T.Tensor {
    const vars = inputs.map((x) => this.variableOf(x, prim))
    const aval = shapeRules[prim](inputs, params)
    const output = this.fresh(aval)
    this.equations.push({ prim, inputs: vars, params, output })
    return new JitTracer(this, output, aval, `the output of ${prim}`)
  }
}

/**
 * Traces `f` on abstract inputs of `avals` (described by `origins` for errors) and returns the
 * program with the result's leaves as outputs. `f` receives the tracers and returns tensors.
 */
export const traceProgram = (
  avals: ReadonlyArray<Aval>,
  origins: ReadonlyArray<string>,
  f: (inputs: ReadonlyArray<T.Tensor>) => ReadonlyArray<T.Tensor>,
): Program => {
  const trace = new JitTrace()
  const inputs = avals.map((a) => trace.fresh(a))
  const tracers = inputs.map((v, i) => new JitTracer(trace, v, avals[i]!, origins[i]!))
  try {
    const results = f(tracers)
    const outputs = results.map((y) => trace.variableOf(y, "jit"))
    return new Program({
      avals: trace.avals,
      inputs,
      constants: trace.constants,
      equations: trace.equations,
      outputs,
    })
  } finally {
    trace.active = false
  }
}
