/**
 * Arguments as the cache sees them: each argument is walked as a tree; its tensor leaves are
 * traced, and everything else (static arguments, numbers or strings inside trees) keys the cache
 * by value, or by identity for objects and functions.
 * @module
 */
import * as T from "@fnn/tensor"

/** Whether `x` is a plain record (`{…}` or `Object.create(null)`), a tree node. */
const isRecord = (x: unknown): x is { readonly [key: string]: unknown } => {
  if (typeof x !== "object" || x === null) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** Anything that is not a tree node is a leaf: tensors, and values that key the cache. */
export const isLeaf = (x: unknown): x is unknown =>
  x instanceof T.Tensor || !(Array.isArray(x) || isRecord(x) || x === null || x === undefined)

const identities = new WeakMap<object, number>()
let lastIdentity = 0

/** A string that equal static values share: values for primitives, identity for objects. */
export const staticKey = (x: unknown): string => {
  switch (typeof x) {
    case "number":
      return Object.is(x, -0) ? "n-0" : `n${x}`
    case "string":
      return `s${JSON.stringify(x)}`
    case "boolean":
    case "undefined":
    case "bigint":
      return `${typeof x}${String(x)}`
    case "symbol":
      return `y${String(x)}`
    default: {
      if (x === null) return "null"
      const o = x as object
      let id = identities.get(o)
      if (id === undefined) {
        id = ++lastIdentity
        identities.set(o, id)
      }
      return `#${id}`
    }
  }
}

/** The arguments of one call, taken apart. */
export interface Signature {
  /** The cache key: structure, each tensor's dtype and shape, each other leaf's value. */
  readonly key: string
  /** The tensor leaves, in order. */
  readonly tensors: ReadonlyArray<T.Tensor>
  /** For each tensor leaf: which argument it belongs to. */
  readonly argumentOf: ReadonlyArray<number>
  /** For each tensor leaf: `argument 1 at "w"`, for errors. */
  readonly origins: () => ReadonlyArray<string>
  /** The arguments with `leaves` in place of the tensor leaves (others kept). */
  readonly rebuild: (leaves: ReadonlyArray<T.Tensor>) => unknown[]
}

type Flat = [unknown[], T.tree.TreeDef<T.Tree<unknown>, unknown>]

/** Takes `args` apart; arguments listed in `statics` are not walked: their values key the cache. */
export const signatureOf = (
  args: ReadonlyArray<unknown>,
  statics: ReadonlySet<number>,
): Signature => {
  const keys: string[] = []
  const tensors: T.Tensor[] = []
  const argumentOf: number[] = []
  const flats: Array<Flat | undefined> = []
  args.forEach((arg, i) => {
    if (statics.has(i)) {
      keys.push(`static ${staticKey(arg)}`)
      flats.push(undefined)
      return
    }
    const flat = T.tree.flatten(arg, { isLeaf })
    flats.push(flat)
    const parts = flat[0].map((leaf) => {
      if (!(leaf instanceof T.Tensor)) return staticKey(leaf)
      tensors.push(leaf)
      argumentOf.push(i)
      return `${leaf.dtype}[${leaf.shape.join(",")}]`
    })
    keys.push(`${flat[1].toString()} ${parts.join(" ")}`)
  })
  return {
    key: keys.join(" | "),
    tensors,
    argumentOf,
    origins: () =>
      args.flatMap((arg, i) => {
        const flat = flats[i]
        if (flat === undefined) return []
        const paths = T.tree.paths(arg, { isLeaf })
        return flat[0].flatMap((leaf, k) =>
          leaf instanceof T.Tensor
            ? [`argument ${i}${paths[k] === "" ? "" : ` at ${JSON.stringify(paths[k])}`}`]
            : [],
        )
      }),
    rebuild: (leaves) => {
      let next = 0
      return args.map((arg, i) => {
        const flat = flats[i]
        if (flat === undefined) return arg
        return T.tree.unflatten(
          flat[1],
          flat[0].map((leaf) => (leaf instanceof T.Tensor ? leaves[next++] : leaf)),
        )
      })
    },
  }
}
