/**
 * Gradients as transformations of pure functions: each takes a function of tensors (or trees of
 * tensors) and returns a function computing derivatives of it. Nothing is kept between calls:
 * calling a transformed function twice gives the same result, and there is nothing to free.
 * @module
 */
import * as T from "@fnn/tensor"
import { checkOptions, shapesEqual, showShape } from "@fnn/tensor/internal"
import { JvpTrace, JvpTracer } from "./internal/forward.ts"
import { RevTrace } from "./internal/reverse.ts"
import { checkLive } from "./internal/trace.ts"
import type { Flat } from "./internal/tree.ts"
import { flatten, mapTensors } from "./internal/tree.ts"
import { vmap } from "./vmap.ts"

// -------------------------------------------------------------------------------------------------
// types
// -------------------------------------------------------------------------------------------------

/**
 * Which arguments to differentiate: one index, or several (gradients come back as a tuple).
 *
 * @example
 * grad(loss, { argnums: [0, 1] }) // gradients of the first two arguments
 */
export type Argnums = number | ReadonlyArray<number>

/**
 * The gradients' type: that of argument `N`, or a tuple of them for an array of indices. A
 * gradient has the structure of its argument (a tree of tensors is answered by the same tree).
 *
 * @example
 * type G = GradsOf<[Params, T.Tensor], [0, 1]> // [Params, T.Tensor]
 */
export type GradsOf<A extends ReadonlyArray<unknown>, N> = N extends number
  ? A[N]
  : { -readonly [K in keyof N]: A[N[K] & number] }

/**
 * Options of `grad` and `valueAndGrad`.
 *
 * @example
 * valueAndGrad(lossWithMetrics, { argnums: 0, hasAux: true })
 */
export interface GradOptions<N extends Argnums = 0, H extends boolean = false> {
  /** The argument(s) to differentiate (default 0). */
  readonly argnums?: N
  /** The function returns `[loss, aux]`; `aux` comes back alongside, not differentiated. */
  readonly hasAux?: H
}

/**
 * A pullback from `vjp`: an output cotangent → the cotangents of the primals, as a tuple.
 *
 * @example
 * const [, pullback] = vjp((a: T.Tensor, b: T.Tensor) => T.mul(a, b), a, b)
 * const [da, db] = pullback(T.onesLike(a))
 */
export type Pullback<A extends ReadonlyArray<unknown>, R> = (cotangent: R) => {
  -readonly [K in keyof A]: A[K]
}

// -------------------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------------------

/** Any function, called with arguments checked at run time. */
type Fn = (...args: never) => unknown

const call = (f: Fn, args: ReadonlyArray<unknown>): unknown =>
  (f as unknown as (...a: ReadonlyArray<unknown>) => unknown)(...args)

const gradSpec = { argnums: "integers", hasAux: "boolean" } as const

const argnumList = (op: string, argnums: Argnums, count: number): number[] => {
  const list = typeof argnums === "number" ? [argnums] : [...argnums]
  for (const i of list)
    if (!Number.isInteger(i) || i < 0 || i >= count)
      throw new T.TensorError(
        op,
        `argnums ${JSON.stringify(argnums)} names argument ${i}, but the function was called with ${count} argument${count === 1 ? "" : "s"}`,
      )
  if (list.length > 1 && new Set(list).size !== list.length)
    throw new T.TensorError(op, `argnums ${JSON.stringify(argnums)} repeats an argument`)
  return list
}

/**
 * Flattens argument `i` for differentiation: float tensors only, none escaped. `hint` says how to
 * keep an integer tensor out of it.
 */
const differentiable = (op: string, arg: unknown, what: string, hint: string): Flat => {
  const flat = flatten(arg, op, what)
  flat.leaves.forEach((leaf, k) => {
    if (leaf.dtype === "int32")
      throw new T.TensorError(
        op,
        `${what}${flat.where(k)} is an int32 tensor: integers have no derivative (${hint}, or cast it to a float dtype)`,
      )
    checkLive(leaf, op)
  })
  return flat
}

interface Reverse {
  readonly trace: RevTrace
  readonly result: unknown
  /** Per differentiated argument: its flattened form and its leaves' ids on the tape. */
  readonly flats: ReadonlyArray<Flat>
  readonly ids: ReadonlyArray<ReadonlyArray<number>>
}

/** Runs `f` with the arguments `nums` replaced by reverse-mode tracers. */
const runReverse = (
  op: string,
  f: Fn,
  args: ReadonlyArray<unknown>,
  nums: ReadonlyArray<number>,
): Reverse => {
  const trace = new RevTrace()
  const traced = args.slice()
  const flats: Flat[] = []
  const ids: number[][] = []
  try {
    for (const i of nums) {
      const flat = differentiable(
        op,
        args[i],
        `argument ${i}`,
        op === "vjp" ? "close over it instead of passing it to vjp" : "leave it out of argnums",
      )
      const tracers = flat.leaves.map((leaf) => trace.input(leaf))
      flats.push(flat)
      ids.push(tracers.map((t) => t.id))
      traced[i] = flat.rebuild(tracers)
    }
    const result = call(f, traced)
    return { trace, result, flats, ids }
  } finally {
    trace.active = false
  }
}

/** Rebuilds each differentiated argument's cotangent tree, with zeros where none flowed. */
const cotangentTrees = (rev: Reverse, cts: ReadonlyArray<T.Tensor | undefined>): unknown[] => {
  let pos = 0
  return rev.flats.map((flat) =>
    flat.rebuild(flat.leaves.map((leaf) => cts[pos++] ?? T.zerosLike(leaf))),
  )
}

// -------------------------------------------------------------------------------------------------
// reverse mode
// -------------------------------------------------------------------------------------------------

/**
 * `f`'s value and its gradient with respect to argument(s) `argnums` (default 0), in one pass.
 * `f` must return a one-element float tensor (or `[loss, aux]` with `hasAux`, answered by
 * `[[loss, aux], grads]` as in JAX). Gradients have the structure and dtypes of their arguments;
 * int32 arguments cannot be differentiated, but int32 values (labels, indices) may flow through.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { valueAndGrad } from "@fnn/autodiff"
 * const loss = (p: { w: T.Tensor; b: T.Tensor }, x: T.Tensor, y: T.Tensor) =>
 *   T.mean(T.square(T.sub(T.add(T.mul(p.w, x), p.b), y)))
 * const [value, grads] = valueAndGrad(loss)({ w: T.tensor(1), b: T.tensor(0) }, T.tensor([1, 2]), T.tensor([3, 5]))
 * // grads.w, grads.b: tensors shaped like p.w, p.b
 */
export function valueAndGrad<A extends ReadonlyArray<unknown>, Aux, const N extends Argnums = 0>(
  f: (...args: A) => readonly [T.Tensor, Aux],
  options: GradOptions<N, true> & { readonly hasAux: true },
): (...args: A) => [[T.Tensor, Aux], GradsOf<A, NoInfer<N>>]
export function valueAndGrad<A extends ReadonlyArray<unknown>, const N extends Argnums = 0>(
  f: (...args: A) => T.Tensor,
  options?: GradOptions<N, false>,
): (...args: A) => [T.Tensor, GradsOf<A, NoInfer<N>>]
export function valueAndGrad(
  f: (...args: unknown[]) => unknown,
  options?: GradOptions<Argnums, boolean>,
): (...args: unknown[]) => [unknown, unknown] {
  return valueAndGradWith("valueAndGrad", f, checkOptions("valueAndGrad", options, gradSpec))
}

const valueAndGradWith =
  (op: string, f: (...args: unknown[]) => unknown, options: GradOptions<Argnums, boolean>) =>
  (...args: unknown[]): [unknown, unknown] => {
    const argnums = options.argnums ?? 0
    const hasAux = options.hasAux === true
    const rev = runReverse(op, f, args, argnumList(op, argnums, args.length))
    const { trace, result } = rev
    let out: unknown = result
    let aux: unknown
    if (hasAux) {
      if (!Array.isArray(result) || result.length !== 2)
        throw new T.TensorError(
          op,
          "with hasAux: true the function must return [loss, aux], a pair",
        )
      out = result[0]
      aux = mapTensors(result[1], (t) => trace.lower(t))
    }
    if (!(out instanceof T.Tensor))
      throw new T.TensorError(
        op,
        `the function must return a Tensor${hasAux ? " as the first element of [loss, aux]" : ""} to be differentiated, got ${out === null ? "null" : Array.isArray(out) ? "an array" : typeof out}`,
      )
    if (out.size !== 1)
      throw new T.TensorError(
        op,
        `the function must return a scalar (one element) to be differentiated, got an output of shape ${showShape(out.shape)}: reduce it first (T.sum, T.mean) or use vjp or jacrev`,
      )
    if (out.dtype === "int32")
      throw new T.TensorError(op, "the function returned an int32 tensor, which has no gradient")
    const value = trace.lower(out)
    const id = trace.idOf(out)
    const wanted = rev.ids.flat()
    const cts = id < 0 ? [] : trace.backward([[id, T.onesLike(value)]], wanted)
    const trees = cotangentTrees(rev, cts)
    const grads = typeof argnums === "number" ? trees[0] : trees
    return [hasAux ? [value, aux] : value, grads]
  }

/**
 * The gradient of a scalar function with respect to argument(s) `argnums` (default 0): a function
 * with `f`'s arguments returning gradients shaped like them (with `hasAux`, `[grads, aux]`).
 * Transformations compose: `grad(grad(f))` is the second derivative.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { grad } from "@fnn/autodiff"
 * const f = (x: T.Tensor) => T.sum(T.mul(x, x))
 * grad(f)(T.tensor([1, 2, 3]))                          // [2, 4, 6]
 * grad(grad((x: T.Tensor) => T.sum(T.sin(x))))(T.tensor(0.5)) // -sin(0.5)
 */
export function grad<A extends ReadonlyArray<unknown>, Aux, const N extends Argnums = 0>(
  f: (...args: A) => readonly [T.Tensor, Aux],
  options: GradOptions<N, true> & { readonly hasAux: true },
): (...args: A) => [GradsOf<A, NoInfer<N>>, Aux]
export function grad<A extends ReadonlyArray<unknown>, const N extends Argnums = 0>(
  f: (...args: A) => T.Tensor,
  options?: GradOptions<N, false>,
): (...args: A) => GradsOf<A, NoInfer<N>>
export function grad(
  f: (...args: unknown[]) => unknown,
  given?: GradOptions<Argnums, boolean>,
): (...args: unknown[]) => unknown {
  const options = checkOptions("grad", given, gradSpec)
  const vg = valueAndGradWith("grad", f, options)
  return (...args) => {
    const [value, grads] = vg(...args)
    return options.hasAux === true ? [grads, (value as [unknown, unknown])[1]] : grads
  }
}

/**
 * Reverse mode for any output: `[f(...primals), pullback]`, where `pullback(c)` maps a cotangent
 * `c` shaped like the output to the cotangents of every primal (`cᵀJ`), as a tuple shaped like the
 * primals. The pullback may be called any number of times.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { vjp } from "@fnn/autodiff"
 * const [y, pullback] = vjp((a: T.Tensor, b: T.Tensor) => T.mul(a, b), T.tensor([1, 2]), T.tensor([3, 4]))
 * const [da, db] = pullback(T.tensor([1, 1])) // [3, 4], [1, 2]
 */
export const vjp = <A extends ReadonlyArray<unknown>, R>(
  f: (...args: A) => R,
  ...primals: A
): [R, Pullback<A, R>] => {
  const rev = runReverse(
    "vjp",
    f,
    primals,
    primals.map((_, i) => i),
  )
  const { trace, result } = rev
  const out = flatten(result, "vjp", "the output")
  const value = out.rebuild(out.leaves.map((y) => trace.lower(y))) as R
  const wanted = rev.ids.flat()
  const pullback = (cotangent: R): { -readonly [K in keyof A]: A[K] } => {
    const ct = flatten(cotangent, "vjp", "the cotangent")
    if (!ct.def.equals(out.def))
      throw new T.TensorError(
        "vjp",
        `the cotangent must have the structure of the output, ${out.def.toString()}, got ${ct.def.toString()}`,
      )
    const seeds: Array<readonly [number, T.Tensor]> = []
    out.leaves.forEach((y, k) => {
      const c = ct.leaves[k]!
      if (!shapesEqual(c.shape, y.shape))
        throw new T.TensorError(
          "vjp",
          `the cotangent${out.where(k)} has shape ${showShape(c.shape)} but the output${out.where(k)} has shape ${showShape(y.shape)}`,
        )
      const id = trace.idOf(y)
      if (id >= 0) seeds.push([id, T.cast(c, y.dtype)])
    })
    const cts = seeds.length === 0 ? [] : trace.backward(seeds, wanted)
    return cotangentTrees(rev, cts) as { -readonly [K in keyof A]: A[K] }
  }
  return [value, pullback]
}

// -------------------------------------------------------------------------------------------------
// forward mode
// -------------------------------------------------------------------------------------------------

/**
 * Forward mode: `[f(...primals), J·tangents]`, the output and its directional derivative along
 * `tangents` (shaped like `primals`). Costs about one evaluation of `f`, whatever the output size.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { jvp } from "@fnn/autodiff"
 * const [y, dy] = jvp((x: T.Tensor) => T.sin(x), [T.tensor(0)], [T.tensor(1)]) // 0, cos 0 = 1
 */
export const jvp = <A extends ReadonlyArray<unknown>, R>(
  f: (...args: A) => R,
  primals: A,
  tangents: A,
): [R, R] => {
  if (primals.length !== tangents.length)
    throw new T.TensorError(
      "jvp",
      `got ${primals.length} primals but ${tangents.length} tangents: give one tangent per primal`,
    )
  const trace = new JvpTrace()
  let result: unknown
  try {
    const traced = primals.map((p, i) => {
      const flat = differentiable(
        "jvp",
        p,
        `primal ${i}`,
        "close over it instead of passing it as a primal",
      )
      const tan = flatten(tangents[i], "jvp", `tangent ${i}`)
      if (!tan.def.equals(flat.def))
        throw new T.TensorError(
          "jvp",
          `tangent ${i} must have the structure of primal ${i}, ${flat.def.toString()}, got ${tan.def.toString()}`,
        )
      return flat.rebuild(
        flat.leaves.map((x, k) => {
          const t = tan.leaves[k]!
          if (!shapesEqual(t.shape, x.shape))
            throw new T.TensorError(
              "jvp",
              `tangent ${i}${flat.where(k)} has shape ${showShape(t.shape)} but primal ${i}${flat.where(k)} has shape ${showShape(x.shape)}`,
            )
          return new JvpTracer(trace, x, T.cast(t, x.dtype))
        }),
      )
    })
    result = call(f, traced)
  } finally {
    trace.active = false
  }
  const out = flatten(result, "jvp", "the output")
  const own = (y: T.Tensor): y is JvpTracer => y instanceof JvpTracer && y.owner === trace
  return [
    out.rebuild(out.leaves.map((y) => (own(y) ? y.primal : y))) as R,
    out.rebuild(out.leaves.map((y) => (own(y) ? y.tangent : T.zerosLike(y)))) as R,
  ]
}

// -------------------------------------------------------------------------------------------------
// Jacobians
// -------------------------------------------------------------------------------------------------

/**
 * Options of `jacfwd`, `jacrev` and `hessian`.
 *
 * @example
 * jacrev((w: T.Tensor, x: T.Tensor) => T.matmul(x, w), { argnums: 0 })
 */
export interface JacobianOptions {
  /** The (tensor) argument to differentiate, default 0. */
  readonly argnums?: number
}

const jacobianSetup = (
  op: string,
  f: Fn,
  args: ReadonlyArray<unknown>,
  options: JacobianOptions,
): [T.Tensor, (x: T.Tensor) => T.Tensor] => {
  const i = argnumList(
    op,
    checkOptions(op, options, { argnums: "integer" }).argnums ?? 0,
    args.length,
  )[0]!
  const x = args[i]
  if (!(x instanceof T.Tensor))
    throw new T.TensorError(op, `argument ${i} must be a Tensor, got ${typeof x}`)
  const g = (xi: T.Tensor): T.Tensor => {
    const a = args.slice()
    a[i] = xi
    const y = call(f, a)
    if (!(y instanceof T.Tensor))
      throw new T.TensorError(op, `the function must return a Tensor, got ${typeof y}`)
    return y
  }
  return [x, g]
}

/** The standard basis of `like`'s space, stacked: shape `[like.size, ...like.shape]`. */
const basisOf = (like: T.Tensor, dtype: T.DType): T.Tensor =>
  T.reshape(T.eye(like.size, like.size, { dtype }), [like.size, ...like.shape])

/**
 * The Jacobian of a tensor function by reverse mode, one pullback mapped over the output's basis
 * in one batched pass (`vmap`): shape `[...output.shape, ...input.shape]`. Prefer it when outputs
 * are fewer than inputs.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { jacrev } from "@fnn/autodiff"
 * jacrev((x: T.Tensor) => T.mul(x, x))(T.tensor([1, 2])) // [[2, 0], [0, 4]]
 */
export const jacrev =
  <A extends ReadonlyArray<unknown>>(
    f: (...args: A) => T.Tensor,
    options: JacobianOptions = {},
  ): ((...args: A) => T.Tensor) =>
  (...args) => {
    const [x, g] = jacobianSetup("jacrev", f, args, options)
    const [y, pullback] = vjp(g, x)
    const shape = [...y.shape, ...x.shape]
    if (y.size === 0) return T.zeros(shape, { dtype: x.dtype })
    const rows = vmap((c: T.Tensor) => pullback(c)[0])(basisOf(y, y.dtype))
    return T.reshape(rows, shape)
  }

/**
 * The Jacobian of a tensor function by forward mode, one jvp mapped over the input's basis in one
 * batched pass (`vmap`): shape `[...output.shape, ...input.shape]`. Prefer it when inputs are
 * fewer than outputs.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { jacfwd } from "@fnn/autodiff"
 * jacfwd((x: T.Tensor) => T.mul(x, x))(T.tensor([1, 2])) // [[2, 0], [0, 4]]
 */
export const jacfwd =
  <A extends ReadonlyArray<unknown>>(
    f: (...args: A) => T.Tensor,
    options: JacobianOptions = {},
  ): ((...args: A) => T.Tensor) =>
  (...args) => {
    const [x, g] = jacobianSetup("jacfwd", f, args, options)
    if (x.size === 0) {
      const y = g(x)
      return T.zeros([...y.shape, ...x.shape], { dtype: y.dtype })
    }
    const cols = vmap((t: T.Tensor) => jvp(g, [x], [t])[1], { outAxes: -1 })(basisOf(x, x.dtype))
    return T.reshape(cols, [...cols.shape.slice(0, -1), ...x.shape])
  }

/**
 * The Hessian of a scalar function, `jacfwd(jacrev(f))`: shape `[...x.shape, ...x.shape]`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { hessian } from "@fnn/autodiff"
 * hessian((x: T.Tensor) => T.sum(T.mul(T.mul(x, x), x)))(T.tensor([1, 2])) // [[6, 0], [0, 12]]
 */
export const hessian = <A extends ReadonlyArray<unknown>>(
  f: (...args: A) => T.Tensor,
  options: JacobianOptions = {},
): ((...args: A) => T.Tensor) => {
  const h = jacfwd(jacrev(f, options), options)
  return (...args) => {
    jacobianSetup("hessian", f, args, options)
    return h(...args)
  }
}
