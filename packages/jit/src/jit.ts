/**
 * `jit` and `makeJaxpr`: a function traced once per signature to a program, optimized, planned
 * and run on every later call with that signature.
 * @module
 */
import * as T from "@fnn/tensor"
import { checkOptions, releaseData } from "@fnn/tensor/internal"
import type { Executable } from "./run.ts"
import { executable } from "./run.ts"
import { optimize } from "./optimize.ts"
import { planMemory } from "./plan.ts"
import type { Program } from "./program.ts"
import type { Signature } from "./signature.ts"
import { isLeaf, signatureOf } from "./signature.ts"
import { traceProgram } from "./trace.ts"

/** Options of `jit`. */
export interface JitOptions {
  /**
   * Arguments that are not traced: their values key the cache (numbers and strings by value,
   * objects and functions by identity), so each new value traces again.
   */
  readonly static?: number | ReadonlyArray<number>
  /**
   * Arguments whose tensors' storage the compiled program may reuse for its outputs. After the
   * call they are dead: any use throws an error naming them. Do not donate a tensor whose storage
   * another tensor you keep shares (one made from it by `T.reshape`).
   */
  readonly donate?: number | ReadonlyArray<number>
  /**
   * Fills memory the program reuses with NaN as soon as nothing reads it any more: a check of the
   * memory plan (results change if two live values ever shared memory), slower.
   */
  readonly poisonFreed?: boolean
}

/** A jitted function: called like `f`; `traceCount` says how many times `f` was traced. */
export type Jitted<F> = F & {
  /** How many signatures have been traced (and compiled) so far. */
  readonly traceCount: number
}

/** A traced function and how to call it: its program, plan and the result's structure. */
interface Compiled {
  readonly program: Program
  readonly executable: Executable
  /** The result's leaves: a tensor's output index, or the value itself. */
  readonly resultLeaves: ReadonlyArray<{ readonly output: number } | { readonly value: unknown }>
  readonly resultDef: T.tree.TreeDef<T.Tree<unknown>, unknown>
  /** Outputs that are constants: copied on every call, so callers never share them. */
  readonly constantOutputs: ReadonlySet<number>
}

/** The argument indices of `static` or `donate` (one index or a list), checked. */
const indexList = (
  op: string,
  name: string,
  xs: number | ReadonlyArray<number> | undefined,
): Set<number> => {
  const list = xs === undefined ? [] : typeof xs === "number" ? [xs] : xs
  for (const i of list)
    if (i < 0)
      throw new T.TensorError(op, `${name} must list argument indices (integers ≥ 0), got ${i}`)
  return new Set<number>(list)
}

/** Traces `f` for the signature `sig` of a call with `args`. */
const trace = (
  f: (...args: unknown[]) => unknown,
  sig: Signature,
  optimized: boolean,
): {
  program: Program
  resultLeaves: Compiled["resultLeaves"]
  resultDef: Compiled["resultDef"]
} => {
  let resultLeaves: Compiled["resultLeaves"] = []
  let resultDef: Compiled["resultDef"] | undefined
  const traced = traceProgram(sig.tensors, sig.origins(), (tracers) => {
    const [leaves, def] = T.tree.flatten(f(...sig.rebuild(tracers)), { isLeaf })
    resultDef = def
    const tensors: T.Tensor[] = []
    resultLeaves = leaves.map((leaf) => {
      if (!(leaf instanceof T.Tensor)) return { value: leaf }
      tensors.push(leaf)
      return { output: tensors.length - 1 }
    })
    return tensors
  })
  return { program: optimized ? optimize(traced) : traced, resultLeaves, resultDef: resultDef! }
}

/**
 * Compiles `f`: the first call with a new signature (the arguments' tree structure, dtypes and
 * shapes, and the values of static arguments and non-tensor leaves) traces `f` once with abstract
 * tensors, optimizes the program and plans its memory; every later call with that signature runs
 * the program. Results equal `f`'s, bit for bit (the same kernels run in the same order).
 *
 * Under another transformation (`grad(jit(f))`, a `jit` inside a jitted function) `f` runs as is,
 * so the outer transformation sees its primitives.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { jit } from "@fnn/jit"
 * const f = jit((x: T.Tensor, y: T.Tensor) => T.sum(T.mul(x, y)))
 * T.item(f(T.tensor([1, 2]), T.tensor([3, 4]))) // 11
 * f(T.tensor([5, 6]), T.tensor([7, 8])) // same signature: no new trace
 * f.traceCount // 1
 */
export const jit = <F extends (...args: never[]) => unknown>(
  f: F,
  options: JitOptions = {},
): Jitted<F> => {
  const checked = checkOptions("jit", options, {
    static: "integers",
    donate: "integers",
    poisonFreed: "boolean",
  })
  const statics = indexList("jit", "static", checked.static)
  const donate = indexList("jit", "donate", checked.donate)
  for (const i of donate)
    if (statics.has(i))
      throw new T.TensorError("jit", `argument ${i} cannot be both static and donated`)
  const g = f as unknown as (...args: unknown[]) => unknown
  const cache = new Map<string, Compiled>()
  let traces = 0

  const compile = (sig: Signature): Compiled => {
    const { program, resultLeaves, resultDef } = trace(g, sig, true)
    const donated = new Set<number>()
    sig.argumentOf.forEach((a, k) => {
      if (donate.has(a)) donated.add(k)
    })
    const plan = planMemory(program, donated)
    const constants = new Set(program.constants.map((c) => c.variable))
    const constantOutputs = new Set<number>()
    program.outputs.forEach((v, k) => {
      if (constants.has(v)) constantOutputs.add(k)
    })
    traces++
    return {
      program,
      executable: executable(program, plan, { poisonFreed: checked.poisonFreed === true }),
      resultLeaves,
      resultDef,
      constantOutputs,
    }
  }

  const call = (...args: unknown[]): unknown => {
    const sig = signatureOf(args, statics)
    if (sig.tensors.some((t) => t.trace !== undefined)) return g(...args)
    let c = cache.get(sig.key)
    if (c === undefined) {
      c = compile(sig)
      cache.set(sig.key, c)
    }
    const outputs = c.executable.run(sig.tensors)
    const dying = new Set<T.Tensor>()
    sig.tensors.forEach((t, k) => {
      if (donate.has(sig.argumentOf[k]!)) dying.add(t)
    })
    const results = outputs.map((y, k) =>
      c.constantOutputs.has(k)
        ? new T.Tensor(y.dtype, y.shape, y.data.slice())
        : dying.has(y)
          ? new T.Tensor(y.dtype, y.shape, y.data)
          : y,
    )
    if (dying.size > 0) {
      const origins = sig.origins()
      sig.tensors.forEach((t, k) => {
        if (dying.has(t))
          releaseData(
            t,
            "jit",
            `${origins[k]!} (${t.dtype}[${t.shape.join(", ")}]) was donated to a jitted function, which may have reused its memory: it has been deleted and cannot be used any more`,
          )
      })
    }
    return T.tree.unflatten(
      c.resultDef,
      c.resultLeaves.map((l) => ("output" in l ? results[l.output] : l.value)),
    )
  }
  Object.defineProperty(call, "traceCount", { get: () => traces })
  return call as unknown as Jitted<F>
}

/** Options of `makeJaxpr`. */
export interface MakeJaxprOptions {
  /** As `jit`'s: arguments that are not traced. */
  readonly static?: number | ReadonlyArray<number>
  /** Whether to print the program after optimization (the default) or as traced. */
  readonly optimize?: boolean
}

/**
 * The program `jit` would run for these arguments, to read or print (`String(program)`).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { makeJaxpr } from "@fnn/jit"
 * const p = makeJaxpr((x: T.Tensor, w: T.Tensor) => T.sigmoid(T.matmul(x, w)))(
 *   T.zeros([32, 784]),
 *   T.zeros([784, 16]),
 * )
 * String(p) // "{ lambda a:f32[32,784] b:f32[784,16] ;\n    c:f32[32,16] = matmul a b\n    d:f32[32,16] = sigmoid c\n  in ( d ) }"
 */
export const makeJaxpr = <F extends (...args: never[]) => unknown>(
  f: F,
  options: MakeJaxprOptions = {},
): ((...args: Parameters<F>) => Program) => {
  const checked = checkOptions("makeJaxpr", options, { static: "integers", optimize: "boolean" })
  const statics = indexList("makeJaxpr", "static", checked.static)
  const g = f as unknown as (...args: unknown[]) => unknown
  return (...args) => trace(g, signatureOf(args, statics), checked.optimize ?? true).program
}
