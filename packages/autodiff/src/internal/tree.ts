/**
 * Pytrees for the transformations, on top of `T.tree`: arguments are flattened to a list of leaves,
 * transformed, and rebuilt with the same structure. The tolerant walkers at the end serve values
 * that may hold anything (auxiliary outputs, `customVjp` arguments).
 * @module
 */
import * as T from "@fnn/tensor"

/** The leaves of a tree in a fixed order, and how to rebuild the structure. */
export interface Flat {
  readonly leaves: ReadonlyArray<T.Tensor>
  /** Where leaf `k` sits, for error messages: `""` for the root, ` at "layers.0.w"` otherwise. */
  readonly where: (k: number) => string
  /** The same structure with `leaves` (in order) in place of the originals. */
  readonly rebuild: (leaves: ReadonlyArray<unknown>) => unknown
  /** The structure (`T.tree`'s definition: compare with `equals`, show with `toString`). */
  readonly def: T.tree.TreeDef<T.Tree, T.Tensor>
}

/** Whether `x` is a plain record (`{…}` or `Object.create(null)`), not a class instance. */
export const isRecord = (x: unknown): x is { readonly [key: string]: unknown } => {
  if (typeof x !== "object" || x === null) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** `T.tree`'s hint, which names an option the transformations do not have … */
const leafHint = "; pass { isLeaf } to treat it as a leaf"
/** … and what to do instead. */
const argumentHint =
  "; pass other values through a closure, or as an argument that is not differentiated"

/**
 * Flattens `tree` with `T.tree`; a value that is neither a tensor nor a tree node is an error
 * naming `op` and `what` (e.g. "argument 0") as well as the path.
 */
export const flatten = (tree: unknown, op: string, what: string): Flat => {
  let flat: [T.Tensor[], T.tree.TreeDef<T.Tree, T.Tensor>]
  try {
    flat = T.tree.flatten(tree as T.Tree)
  } catch (e) {
    if (e instanceof T.TensorError)
      throw new T.TensorError(
        op,
        `${what} is not a tree of tensors: ${e.message.slice(e.op.length + 2).replace(leafHint, argumentHint)}`,
      )
    throw e
  }
  const [leaves, def] = flat
  let paths: string[] | undefined
  return {
    leaves,
    where: (k) => {
      paths ??= T.tree.paths(tree as T.Tree)
      const p = paths[k] ?? ""
      return p === "" ? "" : ` at ${JSON.stringify(p)}`
    },
    rebuild: (xs) => T.tree.unflatten(def, xs),
    def,
  }
}

/**
 * Replaces every tensor in `x` by `fn(tensor)`, walking arrays and plain records and leaving
 * anything else as it is (for auxiliary outputs, which may hold numbers or strings).
 */
export const mapTensors = (x: unknown, fn: (t: T.Tensor) => T.Tensor): unknown => {
  if (x instanceof T.Tensor) return fn(x)
  if (Array.isArray(x)) return (x as ReadonlyArray<unknown>).map((c) => mapTensors(c, fn))
  if (isRecord(x)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(x)) out[k] = mapTensors(x[k], fn)
    return out
  }
  return x
}

/** Calls `fn` on every tensor in `x` (arrays and plain records walked, anything else skipped). */
export const forEachTensor = (x: unknown, fn: (t: T.Tensor) => void): void => {
  if (x instanceof T.Tensor) fn(x)
  else if (Array.isArray(x)) for (const c of x as ReadonlyArray<unknown>) forEachTensor(c, fn)
  else if (isRecord(x)) for (const k of Object.keys(x)) forEachTensor(x[k], fn)
}
