/**
 * Passes over a program, each a function named for what it rewrites. `optimize` runs them in an
 * order where each helps the next: folding makes constants CSE can merge, and both leave equations
 * for DCE to remove.
 * @module
 */
import type * as T from "@fnn/tensor"
import type { Kernel, Params, Primitive } from "@fnn/tensor/internal"
import { currentKernels, sizeOf } from "@fnn/tensor/internal"
import type { Constant, Equation, Var } from "./program.ts"
import { Program } from "./program.ts"

/** A folded result larger than this (and than its inputs) stays an equation: memory over time. */
const foldLimit = 1024

/**
 * Constant folding: an equation whose inputs are all constants is computed now, with the kernels
 * in force, and becomes a constant, unless its result is large (a broadcast of a scalar) and
 * cheaper to compute than to keep.
 */
export const foldConstants = (p: Program): Program => {
  const known = new Map<Var, T.Tensor>(p.constants.map((c) => [c.variable, c.value]))
  const kernels = currentKernels()
  const equations: Equation[] = []
  const folded: Constant[] = []
  for (const e of p.equations) {
    const args = e.inputs.map((v) => known.get(v))
    const size = sizeOf(p.avals[e.output]!.shape)
    if (
      args.every((a) => a !== undefined) &&
      (size <= foldLimit || args.some((a) => a.size >= size))
    ) {
      const value = (kernels[e.prim] as Kernel<Primitive>)(args, e.params)
      known.set(e.output, value)
      folded.push({ variable: e.output, value })
    } else equations.push(e)
  }
  if (folded.length === 0) return p
  return new Program({ ...p, constants: [...p.constants, ...folded], equations })
}

/** A key that equal small constants share: dtype, shape and bits. */
const constantKey = (t: T.Tensor): string | undefined =>
  t.size > 16
    ? undefined
    : `${t.dtype}[${t.shape.join(",")}]${Array.from(t.data, (x) => (Object.is(x, -0) ? "-0" : String(x))).join(",")}`

/**
 * Common subexpressions: equal small constants become one, and an equation repeating an earlier
 * one (same primitive, inputs and params) is replaced by it.
 */
export const eliminateCommonSubexpressions = (p: Program): Program => {
  const rename = new Map<Var, Var>()
  const to = (v: Var): Var => rename.get(v) ?? v
  const constants: Constant[] = []
  const byValue = new Map<string, Var>()
  for (const c of p.constants) {
    const key = constantKey(c.value)
    const seen = key === undefined ? undefined : byValue.get(key)
    if (seen !== undefined) rename.set(c.variable, seen)
    else {
      if (key !== undefined) byValue.set(key, c.variable)
      constants.push(c)
    }
  }
  const byEquation = new Map<string, Var>()
  const equations: Equation[] = []
  for (const e of p.equations) {
    const inputs = e.inputs.map(to)
    const key = `${e.prim}(${inputs.join(",")})${JSON.stringify(e.params)}`
    const seen = byEquation.get(key)
    if (seen !== undefined) rename.set(e.output, seen)
    else {
      byEquation.set(key, e.output)
      equations.push({ ...e, inputs })
    }
  }
  if (rename.size === 0) return p
  return new Program({ ...p, constants, equations, outputs: p.outputs.map(to) })
}

/** Dead code: equations and constants that no output depends on are removed. */
export const eliminateDeadCode = (p: Program): Program => {
  const live = new Set<Var>(p.outputs)
  const equations: Equation[] = []
  for (let i = p.equations.length - 1; i >= 0; i--) {
    const e = p.equations[i]!
    if (!live.has(e.output)) continue
    for (const v of e.inputs) live.add(v)
    equations.push(e)
  }
  equations.reverse()
  const constants = p.constants.filter((c) => live.has(c.variable))
  if (equations.length === p.equations.length && constants.length === p.constants.length) return p
  return new Program({ ...p, constants, equations })
}

/** Whether `perm` swaps the last two axes and keeps the others. */
const swapsLastTwo = (perm: ReadonlyArray<number>): boolean => {
  const r = perm.length
  return (
    r >= 2 &&
    perm[r - 1] === r - 2 &&
    perm[r - 2] === r - 1 &&
    perm.slice(0, -2).every((a, i) => a === i)
  )
}

/**
 * Transposes folded into products: `matmul(transpose(a), b)` with the last two axes swapped reads
 * `a` through `transposeA` instead (and likewise for `b`), so the transpose is never materialized
 * when nothing else reads it (dead code elimination then removes it).
 */
export const foldTransposes = (p: Program): Program => {
  const swapped = new Map<Var, Var>()
  for (const e of p.equations)
    if (e.prim === "transpose" && swapsLastTwo((e.params as Params["transpose"]).perm))
      swapped.set(e.output, e.inputs[0]!)
  if (swapped.size === 0) return p
  let changed = false
  const equations = p.equations.map((e): Equation => {
    if (e.prim !== "matmul") return e
    const [a, b] = e.inputs as [Var, Var]
    const { transposeA, transposeB } = e.params as Params["matmul"]
    const a0 = swapped.get(a)
    const b0 = swapped.get(b)
    if (a0 === undefined && b0 === undefined) return e
    changed = true
    return {
      ...e,
      inputs: [a0 ?? a, b0 ?? b],
      params: {
        transposeA: a0 === undefined ? transposeA : !transposeA,
        transposeB: b0 === undefined ? transposeB : !transposeB,
      },
    }
  })
  return changed ? new Program({ ...p, equations }) : p
}

/** Every pass, in order. */
export const optimize = (p: Program): Program =>
  eliminateDeadCode(eliminateCommonSubexpressions(foldTransposes(foldConstants(p))))
