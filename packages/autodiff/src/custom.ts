/**
 * Taking control of derivatives: cutting them (`stopGradient`) and supplying your own reverse
 * rule for a whole function (`customVjp`).
 * @module
 */
import * as T from "@fnn/tensor"
import type { Trace } from "@fnn/tensor/internal"
import { shapesEqual, showShape } from "@fnn/tensor/internal"
import { BatchTracer } from "./internal/batching.ts"
import { JvpTracer } from "./internal/forward.ts"
import { RevTrace, RevTracer } from "./internal/reverse.ts"
import { escaped } from "./internal/trace.ts"
import { flatten, forEachTensor, mapTensors } from "./internal/tree.ts"

/** `t` without derivative tracers at any level; batching is kept, with its batch peeled too. */
const peel = (t: T.Tensor): T.Tensor => {
  if (t instanceof RevTracer || t instanceof JvpTracer || t instanceof BatchTracer) {
    if (!t.trace.active) throw escaped("stopGradient")
    if (t instanceof BatchTracer) {
      const inner = peel(t.value)
      return inner === t.value ? t : t.owner.wrap(inner, t.dim)
    }
    return peel(t.primal)
  }
  return t
}

/**
 * The same values, seen as constants by every transformation: no derivative flows through
 * (`d stopGradient(x) = 0`). Works on a tensor or a tree of tensors.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { grad, stopGradient } from "@fnn/autodiff"
 * grad((x: T.Tensor) => T.mul(x, stopGradient(x)))(T.tensor(3)) // 3, not 6
 */
export const stopGradient = <X>(x: X): X => mapTensors(x, peel) as X

/**
 * What a custom backward rule returns: per argument, a cotangent shaped like it, or `undefined`
 * for none.
 *
 * @example
 * // for (x: Tensor, labels: Tensor) => Tensor
 * const back: CustomCotangents<[T.Tensor, T.Tensor]> = [dx, undefined]
 */
export type CustomCotangents<A extends ReadonlyArray<unknown>> = {
  readonly [K in keyof A]: A[K] | undefined
}

/**
 * The pair of functions that defines a custom reverse rule.
 *
 * @example
 * const square: CustomVjpRule<[T.Tensor], T.Tensor, T.Tensor> = {
 *   fwd: (x) => [T.mul(x, x), x],
 *   bwd: (x, g) => [T.mul(g, T.mul(x, 2))],
 * }
 */
export interface CustomVjpRule<A extends ReadonlyArray<unknown>, R, Res> {
  /** Computes the output and what the backward rule needs (residuals). */
  readonly fwd: (...args: A) => readonly [R, Res]
  /**
   * From the residuals and the output's cotangent (shaped like the output), one cotangent per
   * argument, shaped like it (`undefined` for arguments without one, e.g. int32 labels).
   */
  readonly bwd: (residuals: Res, cotangent: R) => CustomCotangents<A>
}

/**
 * `f` with a reverse-mode rule of your own: under `grad`/`vjp`, `fwd` computes the output and
 * residuals and `bwd` maps the output's cotangent to the arguments' cotangents (a numerically
 * stable formula, a cheaper one, a clipped one…). Without transformations `f` itself runs.
 *
 * Forward mode (`jvp`, `jacfwd`) does not use the rule: it differentiates `f` itself, so `f` must
 * be made of differentiable ops. Nor does `vmap` inside `grad` (`grad(vmap(g))`): the batched `f`
 * is differentiated; `vmap(grad(g))` uses the rule, batching `fwd` and `bwd`. Outer transformations around a `grad` differentiate `fwd` and
 * `bwd` as ordinary code, so `grad(grad(g))` works when `bwd` is made of tensor ops.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { customVjp, grad } from "@fnn/autodiff"
 * // log Σ eˣ of a vector, with the gradient written as softmax(x): exact and finite at ±1e4
 * const lse = customVjp((x: T.Tensor) => T.logSumExp(x), {
 *   fwd: (x) => [T.logSumExp(x), x],
 *   bwd: (x, g) => [T.mul(g, T.softmax(x))],
 * })
 * grad(lse)(T.tensor([1e4, 1e4])) // [0.5, 0.5]
 */
export const customVjp =
  <A extends ReadonlyArray<unknown>, R, Res>(
    f: (...args: A) => R,
    rule: CustomVjpRule<A, R, Res>,
  ): ((...args: A) => R) =>
  (...args) => {
    let top: Trace | undefined
    forEachTensor(args, (x) => {
      const t = x.trace
      if (t !== undefined && (top === undefined || t.level > top.level)) top = t
    })
    if (top === undefined) return f(...args)
    if (!top.active) throw escaped("customVjp")
    // forward mode (and any other transformation) differentiates f itself
    if (!(top instanceof RevTrace)) return f(...args)
    const trace = top
    const lowered = mapTensors(args, (x) => trace.lower(x)) as A
    const [out, residuals] = rule.fwd(...lowered)
    const inputs: T.Tensor[] = []
    forEachTensor(args, (x) => inputs.push(x))
    const flatOut = flatten(out, "customVjp", "the output of fwd")
    const traced = trace.custom(inputs, flatOut.leaves, (cts) => {
      const cotangent = flatOut.rebuild(
        cts.map((c, k) => c ?? T.zerosLike(flatOut.leaves[k]!)),
      ) as R
      const back: ReadonlyArray<unknown> = rule.bwd(residuals, cotangent)
      if (!Array.isArray(back) || back.length !== args.length)
        throw new T.TensorError(
          "customVjp",
          `bwd must return an array with one cotangent (or undefined) per argument: ${args.length} expected`,
        )
      const result: Array<T.Tensor | undefined> = []
      args.forEach((arg, i) => {
        let count = 0
        forEachTensor(arg, () => count++)
        const b: unknown = back[i]
        if (b === undefined || b === null) {
          for (let k = 0; k < count; k++) result.push(undefined)
          return
        }
        const before = result.length
        forEachTensor(b, (t) => result.push(t))
        if (result.length - before !== count)
          throw new T.TensorError(
            "customVjp",
            `bwd returned ${result.length - before} tensors for argument ${i}, which holds ${count}: return a cotangent shaped like the argument`,
          )
        let k = 0
        forEachTensor(arg, (x) => {
          const c = result[before + k++]!
          if (!shapesEqual(c.shape, x.shape))
            throw new T.TensorError(
              "customVjp",
              `bwd returned a cotangent of shape ${showShape(c.shape)} for argument ${i}${count === 1 ? "" : ` (tensor ${k - 1})`}, which has shape ${showShape(x.shape)}: return one shaped like the argument`,
            )
        })
      })
      return result
    })
    return flatOut.rebuild(traced) as R
  }
