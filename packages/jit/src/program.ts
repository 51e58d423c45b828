/**
 * A traced program: typed variables, constants, and a list of equations, each one primitive applied
 * to variables. It prints as JAX prints a jaxpr, so users can read what runs:
 *
 * ```
 * { lambda a:f32[32,784] b:f32[784,16] ;
 *     c:f32[32,16] = matmul a b
 *     d:f32[32,16] = sigmoid c
 *   in ( d ) }
 * ```
 * @module
 */
import * as T from "@fnn/tensor"
import type { Aval, Params, Primitive } from "@fnn/tensor/internal"

/** A variable: an index into the program's `avals`. */
export type Var = number

/** `output = prim[params](...inputs)`. */
export interface Equation<P extends Primitive = Primitive> {
  readonly prim: P
  readonly inputs: ReadonlyArray<Var>
  readonly params: Params[P]
  readonly output: Var
}

/** A value known when the program is made (a tensor the function closed over, or a folded one). */
export interface Constant {
  readonly variable: Var
  readonly value: T.Tensor
}

/** What a program is made of; `Program` adds printing. */
export interface ProgramParts {
  /** The dtype and shape of every variable, by index. */
  readonly avals: ReadonlyArray<Aval>
  /** The variables of the tensor arguments, in the order of their leaves. */
  readonly inputs: ReadonlyArray<Var>
  readonly constants: ReadonlyArray<Constant>
  /** In an order where every variable is defined before it is used. */
  readonly equations: ReadonlyArray<Equation>
  /** The variables of the result's tensor leaves, in order. */
  readonly outputs: ReadonlyArray<Var>
}

const shortDType: Record<T.DType, string> = { float32: "f32", float64: "f64", int32: "i32" }

/** `f32[32,784]`. */
export const showAval = (a: Aval): string => `${shortDType[a.dtype]}[${a.shape.join(",")}]`

/** Variable names in order of appearance: a … z, ba … bz, ca …, as JAX names them. */
const nameOf = (k: number): string => {
  let s = ""
  let n = k
  do {
    s = String.fromCharCode(97 + (n % 26)) + s
    n = Math.floor(n / 26)
  } while (n > 0)
  return s
}

const showParam = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(showParam).join(",")}]` : typeof v === "string" ? v : String(v)

/** `[axes=[0] keepDims]`: every param but those that are `false`; nothing when none is left. */
const showParams = (params: object): string => {
  const shown = Object.entries(params)
    .filter(([, v]) => v !== false)
    .map(([k, v]) => `${k}=${showParam(v)}`)
  return shown.length === 0 ? "" : `[${shown.join(" ")}]`
}

const showValue = (t: T.Tensor): string =>
  t.size <= 4 ? JSON.stringify(T.toArray(t)).replace(/,/g, " ") : "…"

/**
 * A traced program. Read its `equations`; print it with `toString()`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { makeJaxpr } from "@fnn/jit"
 * const p = makeJaxpr((x: T.Tensor) => T.sigmoid(T.mul(x, 2)))(T.zeros([3]))
 * p.equations.map((e) => e.prim) // ["mul", "sigmoid"]
 * String(p) // "{ lambda a:f32[3] ;\n    b:f32[] = const 2\n ..."
 */
export class Program implements ProgramParts {
  readonly avals: ReadonlyArray<Aval>
  readonly inputs: ReadonlyArray<Var>
  readonly constants: ReadonlyArray<Constant>
  readonly equations: ReadonlyArray<Equation>
  readonly outputs: ReadonlyArray<Var>

  constructor(parts: ProgramParts) {
    this.avals = parts.avals
    this.inputs = parts.inputs
    this.constants = parts.constants
    this.equations = parts.equations
    this.outputs = parts.outputs
  }

  /** The equations of each primitive, counted: `{ matmul: 3, add: 2 }`. */
  counts(): Readonly<Partial<Record<Primitive, number>>> {
    const out: Partial<Record<Primitive, number>> = {}
    for (const e of this.equations) out[e.prim] = (out[e.prim] ?? 0) + 1
    return out
  }

  toString(): string {
    const names = new Map<Var, string>()
    const name = (v: Var): string => {
      let n = names.get(v)
      if (n === undefined) {
        n = nameOf(names.size)
        names.set(v, n)
      }
      return n
    }
    const typed = (v: Var): string => `${name(v)}:${showAval(this.avals[v]!)}`
    const args = this.inputs.map(typed).join(" ")
    const lines = [
      ...this.constants.map((c) => `${typed(c.variable)} = const ${showValue(c.value)}`),
      ...this.equations.map(
        (e) =>
          `${typed(e.output)} = ${e.prim}${showParams(e.params)} ${e.inputs.map(name).join(" ")}`,
      ),
    ]
    const outs = this.outputs.map(name).join(" ")
    return `{ lambda ${args} ;\n${lines.map((l) => `    ${l}\n`).join("")}  in ( ${outs} ) }`
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString()
  }
}
