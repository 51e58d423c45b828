/**
 * `vmap`: a function written for one example, run on a batch. Each primitive the function calls
 * runs once on the whole batch, through its batching rule, so nothing loops over the examples.
 * @module
 */
import * as T from "@fnn/tensor"
import { checkOptions, showShape } from "@fnn/tensor/internal"
import { moveAxis } from "./internal/batchRules.ts"
import type { BatchDim } from "./internal/batchRules.ts"
import { BatchTrace, BatchTracer } from "./internal/batching.ts"
import { checkLive } from "./internal/trace.ts"
import type { Flat } from "./internal/tree.ts"
import { flatten, isRecord } from "./internal/tree.ts"

/**
 * Which axis of a value runs over the examples: a number (negative counts from the end), `null`
 * (not mapped: the value is shared by every example), or a tree of those matching the value's
 * structure (a number or `null` stands for every leaf below it).
 *
 * @example
 * const spec: AxisSpec = { w: null, b: null, x: 0 }
 */
export type AxisSpec =
  number | null | ReadonlyArray<AxisSpec> | { readonly [key: string]: AxisSpec }

/**
 * Options of `vmap`.
 *
 * @example
 * vmap(grad(exampleLoss), { inAxes: [null, 0, 0] }) // params shared, x and y mapped
 */
export interface VmapOptions {
  /**
   * Where each argument's batch axis is: an array gives one entry per argument, anything else
   * applies to every argument (default 0). An argument whose entry is `null` is passed as it is,
   * so it may be anything (a number, a string).
   */
  readonly inAxes?: AxisSpec
  /**
   * Where the batch axis goes in each output (default 0), a tree matching the output. An output
   * that does not depend on the mapped inputs is the same for every example: it is broadcast
   * along the batch axis (as JAX does), or returned as it is where its entry is `null`.
   */
  readonly outAxes?: AxisSpec
  /** The number of examples; needed only when no argument is mapped, else checked against them. */
  readonly axisSize?: number
}

// axis trees are checked against the arguments, where their paths can be named
const anySpec = (): undefined => undefined
const vmapSpec = { inAxes: anySpec, outAxes: anySpec, axisSize: "integer" } as const

const fail = (message: string): T.TensorError => new T.TensorError("vmap", message)

const describe = (x: unknown): string => {
  if (x instanceof T.Tensor) return `a tensor of shape ${showShape(x.shape)}`
  if (Array.isArray(x)) return `an array of length ${x.length}`
  if (isRecord(x)) return `a record with keys [${Object.keys(x).sort().join(", ")}]`
  return x === null || x === undefined ? String(x) : `a ${typeof x}`
}

const at = (path: string): string => (path === "" ? "" : ` at ${JSON.stringify(path)}`)
const child = (path: string, key: string | number): string =>
  path === "" ? String(key) : `${path}.${String(key)}`

/**
 * The batch axis spec of each leaf of `tree` (in the order `T.tree.flatten` lists them), from
 * `spec`, a tree matching `tree` down to where it holds a number or `null`.
 */
const leafSpecs = (
  name: "inAxes" | "outAxes",
  spec: unknown,
  tree: unknown,
  what: string,
  path = "",
): BatchDim[] => {
  if (spec === null || typeof spec === "number")
    return T.tree.leaves(tree as T.Tree).map(() => spec)
  const mismatch = (): T.TensorError =>
    fail(
      `${name} for ${what}${at(path)} is ${describe(spec)}, which does not match ${what}${at(path)}: ${describe(tree)}`,
    )
  if (Array.isArray(spec)) {
    if (!Array.isArray(tree) || tree.length !== spec.length) throw mismatch()
    return spec.flatMap((s: unknown, i) => leafSpecs(name, s, tree[i], what, child(path, i)))
  }
  if (isRecord(spec)) {
    if (!isRecord(tree)) throw mismatch()
    const keys = Object.keys(tree).sort()
    const specKeys = Object.keys(spec).sort()
    if (keys.length !== specKeys.length || keys.some((k, i) => k !== specKeys[i])) throw mismatch()
    return keys.flatMap((k) => leafSpecs(name, spec[k], tree[k], what, child(path, k)))
  }
  throw fail(
    `${name} for ${what}${at(path)} must be a number, null, an array or a record, got ${describe(spec)}`,
  )
}

/** `axis` normalized for a tensor of `rank` axes, or an error naming `name` and the place. */
const checkAxis = (name: string, axis: number, rank: number, place: string): number => {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw fail(
      `${name} asks for axis ${axis} of ${place}, which has ${rank} ax${rank === 1 ? "is" : "es"}: give an integer in [${-rank}, ${rank - 1}]`,
    )
  return axis < 0 ? axis + rank : axis
}

/**
 * `f` mapped over a batch: `vmap(f)(xs)` stacks `f(x)` for each example `x` of `xs`, along the
 * axes `inAxes` names (default: axis 0 of every argument), computed in one pass in which each
 * primitive runs once on the whole batch. Composes with `grad`, `jvp`, `vjp` and itself in any
 * order: `vmap(grad(loss), { inAxes: [null, 0, 0] })(params, xs, ys)` gives per-example gradients.
 *
 * Inside `f`, a mapped value has one example's shape, and its values cannot be read (`T.item`,
 * `T.toArray` throw): each example has its own.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { vmap } from "@fnn/autodiff"
 * const dot = (a: T.Tensor, b: T.Tensor) => T.sum(T.mul(a, b))
 * vmap(dot)(T.tensor([[1, 2], [3, 4]]), T.tensor([[1, 1], [2, 2]])) // [3, 14]
 * vmap(dot, { inAxes: [0, null] })(T.tensor([[1, 2], [3, 4]]), T.tensor([1, 0])) // [1, 3]
 */
export const vmap = <A extends ReadonlyArray<unknown>, R>(
  f: (...args: A) => R,
  given: VmapOptions = {},
): ((...args: A) => R) => {
  const options = checkOptions("vmap", given, vmapSpec)
  return (...args) => {
    const inAxes = options.inAxes === undefined ? 0 : options.inAxes
    const perArg: ReadonlyArray<unknown> = Array.isArray(inAxes) ? inAxes : args.map(() => inAxes)
    if (perArg.length !== args.length)
      throw fail(
        `inAxes has ${perArg.length} entries but the function was called with ${args.length} argument${args.length === 1 ? "" : "s"}: give one entry per argument`,
      )
    let size = options.axisSize
    let sizeFrom = "axisSize"
    if (size !== undefined && (!Number.isInteger(size) || size < 0))
      throw fail(`axisSize must be an integer ≥ 0, got ${size}`)
    // per argument: its leaves and each leaf's batch axis, or undefined for one passed as it is
    const mapped = args.map((arg, i): [Flat, BatchDim[]] | undefined => {
      const spec = perArg[i]
      if (spec === null) return undefined
      const what = `argument ${i}`
      const flat = flatten(arg, "vmap", what)
      const specs = leafSpecs("inAxes", spec, arg, what)
      const dims = flat.leaves.map((leaf, k) => {
        const s = specs[k] ?? null
        if (s === null) return null
        const place = `${what}${flat.where(k)} (shape ${showShape(leaf.shape)})`
        const d = checkAxis("inAxes", s, leaf.rank, place)
        const n = leaf.shape[d]!
        if (size === undefined) {
          size = n
          sizeFrom = `axis ${d} of ${place}`
        } else if (n !== size)
          throw fail(
            `mapped axes have different sizes: ${sizeFrom === "axisSize" ? `axisSize is ${size}` : `${sizeFrom} has size ${size}`}, but axis ${d} of ${place} has size ${n}`,
          )
        return d
      })
      return [flat, dims]
    })
    if (size === undefined)
      throw fail(
        "no argument is mapped (every inAxes entry is null or the arguments hold no tensors): give axisSize",
      )
    const trace = new BatchTrace(size)
    let result: unknown
    try {
      const traced = args.map((arg, i) => {
        const m = mapped[i]
        if (m === undefined) return arg
        const [flat, dims] = m
        return flat.rebuild(
          flat.leaves.map((leaf, k) => {
            const d = dims[k] ?? null
            if (d === null) return leaf
            checkLive(leaf, "vmap")
            return new BatchTracer(trace, leaf, d)
          }),
        )
      })
      result = (f as unknown as (...a: ReadonlyArray<unknown>) => unknown)(...traced)
    } finally {
      trace.active = false
    }
    const out = flatten(result, "vmap", "the output")
    const specs = leafSpecs(
      "outAxes",
      options.outAxes === undefined ? 0 : options.outAxes,
      result,
      "the output",
    )
    const n = size
    return out.rebuild(
      out.leaves.map((y, k) => {
        const s = specs[k] ?? null
        const own = y instanceof BatchTracer && y.owner === trace
        if (s === null) {
          if (own)
            throw fail(
              `outAxes is null for the output${out.where(k)}, but it differs from example to example: give it an axis`,
            )
          return y
        }
        const place = `the output${out.where(k)} with the batch axis (shape ${showShape(y.shape)} per example)`
        const d = checkAxis("outAxes", s, y.rank + 1, place)
        if (own) return moveAxis(y.value, y.dim, d)
        const shape = y.shape.slice()
        shape.splice(d, 0, n)
        return T.broadcastTo(T.expandDims(y, d), shape)
      }),
    ) as R
  }
}
