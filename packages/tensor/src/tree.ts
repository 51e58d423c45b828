/**
 * Pytrees: nested readonly arrays and records whose leaves are tensors (JAX's model). Parameters,
 * gradients and optimizer state are trees of one structure, and these functions map over them
 * without caring what the structure is.
 *
 * - A node is an array (children by index), a plain record (children by key, visited in sorted
 *   key order so the order never depends on how the record was built), or `null` / `undefined`
 *   (an empty node with no leaves, like JAX's `None`).
 * - A leaf is a `Tensor` by default; pass `{ isLeaf }` to choose (a tree of numbers, or to stop
 *   at some arrays). `isLeaf` is asked first, before a value is taken apart as a node.
 * - Anything else (a number with the default `isLeaf`, a `Map`, a class instance) is an error
 *   that names its path, not a silent leaf.
 * - A leaf's path joins the keys and indices from the root with dots: `layers.0.w`. A dot or
 *   backslash inside a key is escaped with a backslash, so paths within a tree are distinct.
 *   The root's own path is `""`.
 * - Records built by these functions are plain objects with keys in sorted order; a key named
 *   `__proto__` is an ordinary own property, never a prototype.
 *
 * Declare typed parameter records with `type` rather than `interface`: TypeScript gives
 * interfaces no index signature, so an interface is not assignable to `Tree`.
 * @module
 */
import { Tensor } from "./tensor.ts"
import { checkOptions } from "./options.ts"
import { TensorError } from "./errors.ts"

/** A pytree with leaves of type `L`: a leaf, an empty node, or an array or record of trees. */
export type Tree<L = Tensor> =
  L | null | undefined | ReadonlyArray<Tree<L>> | { readonly [key: string]: Tree<L> }

/**
 * The type of tree `T` with every leaf (a value of type `L`) replaced by `B`, keeping the
 * structure: `MapLeaves<{ w: Tensor; b: Tensor }, number>` is `{ w: number; b: number }`.
 */
export type MapLeaves<T, B, L = Tensor> = [Tree<L>] extends [T]
  ? Tree<B> // T is the general tree type (or wider): nothing more precise to say
  : MapNode<T, B, L>

/** `MapLeaves` of one member of a union (the conditional distributes over `T`). */
export type MapNode<T, B, L> = T extends L
  ? B
  : T extends null | undefined
    ? T
    : T extends object
      ? { [K in keyof T]: MapLeaves<T[K], B, L> }
      : never

/** Options shared by every function here. */
export interface TreeOptions<L> {
  /** Which values are leaves (default: tensors). Asked before a value is taken apart. */
  readonly isLeaf?: (x: unknown) => x is L
}

// Typed `x is never` so it serves as the default for any `L` (which defaults to `Tensor`).
const isTensorLeaf = (x: unknown): x is never => x instanceof Tensor

const leafTest = <L>(op: string, options: TreeOptions<L> | undefined): ((x: unknown) => x is L) =>
  checkOptions(op, options, { isLeaf: "function" }).isLeaf ?? isTensorLeaf

// ---------------------------------------------------------------------------------------------
// internals: classifying values, paths, records
// ---------------------------------------------------------------------------------------------

type Kind = "leaf" | "none" | "array" | "record"

const isRecord = (x: unknown): x is { readonly [key: string]: unknown } => {
  if (typeof x !== "object" || x === null) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** A path under construction: `null` at the root (which has no segments). */
type Path = string | null

const escapeKey = (key: string): string => key.replace(/[\\.]/g, "\\$&")

const child = (path: Path, segment: string): string =>
  path === null ? segment : `${path}.${segment}`

const where = (path: Path): string => (path === null ? "at the root" : `at ${JSON.stringify(path)}`)

const describeValue = (x: unknown): string => {
  if (x instanceof Tensor) return `a tensor of shape [${x.shape.join(", ")}]`
  if (Array.isArray(x)) return `an array of length ${x.length}`
  if (isRecord(x)) return `a record with keys ${showKeys(sortedKeys(x))}`
  if (x === null) return "null"
  if (typeof x === "object") return `an instance of ${x.constructor?.name ?? "an unknown class"}`
  return `a ${typeof x}`
}

const showKeys = (keys: ReadonlyArray<string>): string =>
  `[${keys.slice(0, 8).join(", ")}${keys.length > 8 ? `, … (${keys.length} keys)` : ""}]`

const sortedKeys = (x: object): string[] => Object.keys(x).sort()

const kindOf = <L>(op: string, x: unknown, isLeaf: (x: unknown) => x is L, path: Path): Kind => {
  if (isLeaf(x)) return "leaf"
  if (x === null || x === undefined) return "none"
  if (Array.isArray(x)) return "array"
  if (isRecord(x)) return "record"
  throw new TensorError(
    op,
    `${where(path)}: ${describeValue(x)} is neither a leaf nor a tree node (an array, a plain ` +
      `record, null or undefined); pass { isLeaf } to treat it as a leaf`,
  )
}

/** Sets `record[key] = value` as an own enumerable property, even for `__proto__`. */
const setKey = (record: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__")
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  else record[key] = value
}

/** Tracks the nodes being visited so a cyclic structure is an error, not a stack overflow. */
const enter = (op: string, ancestors: Set<object>, node: object, path: Path): void => {
  if (ancestors.has(node)) throw new TensorError(op, `${where(path)}: the tree contains a cycle`)
  ancestors.add(node)
}

// ---------------------------------------------------------------------------------------------
// tree definitions
// ---------------------------------------------------------------------------------------------

type Node =
  | { readonly kind: "leaf" }
  | { readonly kind: "none"; readonly value: null | undefined }
  | { readonly kind: "array"; readonly children: ReadonlyArray<Node> }
  | {
      readonly kind: "record"
      readonly keys: ReadonlyArray<string>
      readonly children: ReadonlyArray<Node>
    }

const leafNode: Node = { kind: "leaf" }
const nullNode: Node = { kind: "none", value: null }
const undefinedNode: Node = { kind: "none", value: undefined }

const nodesEqual = (a: Node, b: Node): boolean => {
  if (a === b) return true
  switch (a.kind) {
    case "leaf":
      return b.kind === "leaf"
    case "none":
      return b.kind === "none" && a.value === b.value
    case "array":
      return (
        b.kind === "array" &&
        a.children.length === b.children.length &&
        a.children.every((c, i) => nodesEqual(c, b.children[i]!))
      )
    case "record":
      return (
        b.kind === "record" &&
        a.keys.length === b.keys.length &&
        a.keys.every((k, i) => k === b.keys[i]) &&
        a.children.every((c, i) => nodesEqual(c, b.children[i]!))
      )
  }
}

const showNode = (n: Node): string => {
  switch (n.kind) {
    case "leaf":
      return "*"
    case "none":
      return String(n.value)
    case "array":
      return `[${n.children.map(showNode).join(", ")}]`
    case "record": {
      const entries = n.keys.map((k, i) => `${JSON.stringify(k)}: ${showNode(n.children[i]!)}`)
      return `{${entries.join(", ")}}`
    }
  }
}

declare const treeType: unique symbol

/**
 * The structure of a tree without its leaves (JAX's treedef): what `flatten` returns and
 * `unflatten` fills in. `T` and `L` record the tree's type so `unflatten` can give it back.
 */
class TreeDef<T = unknown, L = Tensor> {
  declare readonly [treeType]?: () => [T, L]
  readonly #root: Node
  /** How many leaves the structure holds. */
  readonly numLeaves: number

  constructor(root: Node, numLeaves: number) {
    this.#root = root
    this.numLeaves = numLeaves
  }

  /** The root node (for this module). */
  static root(def: TreeDef<unknown, unknown>): Node {
    return def.#root
  }

  /** Whether two definitions describe the same structure. */
  equals(other: TreeDef<unknown, unknown>): boolean {
    return nodesEqual(this.#root, other.#root)
  }

  /** The structure with `*` for each leaf, e.g. `{"b": *, "w": *}`. */
  toString(): string {
    return `TreeDef(${showNode(this.#root)})`
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString()
  }
}

export type { TreeDef }

// ---------------------------------------------------------------------------------------------
// walking one tree
// ---------------------------------------------------------------------------------------------

/** Visits every leaf in order and returns the structure. */
const walk = <L>(
  op: string,
  tree: unknown,
  isLeaf: (x: unknown) => x is L,
  visit: (leaf: L, path: string) => void,
): Node => {
  const ancestors = new Set<object>()
  const go = (x: unknown, path: Path): Node => {
    switch (kindOf(op, x, isLeaf, path)) {
      case "leaf":
        visit(x as L, path ?? "")
        return leafNode
      case "none":
        return x === null ? nullNode : undefinedNode
      case "array": {
        const xs = x as ReadonlyArray<unknown>
        enter(op, ancestors, xs, path)
        const children = new Array<Node>(xs.length)
        for (let i = 0; i < xs.length; i++) children[i] = go(xs[i], child(path, String(i)))
        ancestors.delete(xs)
        return { kind: "array", children }
      }
      case "record": {
        const r = x as { readonly [key: string]: unknown }
        enter(op, ancestors, r, path)
        const keys = sortedKeys(r)
        const children = keys.map((k) => go(r[k], child(path, escapeKey(k))))
        ancestors.delete(r)
        return { kind: "record", keys, children }
      }
    }
  }
  return go(tree, null)
}

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/**
 * The leaves of `tree` in a fixed order: arrays by index, records by sorted key, depth first.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const params = { w: T.ones([2, 2]), b: T.zeros([2]) }
 * T.tree.leaves(params) // [b, w]: keys are sorted
 */
export const leaves = <L = Tensor>(tree: Tree<NoInfer<L>>, options?: TreeOptions<L>): L[] => {
  const out: L[] = []
  walk("tree.leaves", tree, leafTest("tree.leaves", options), (leaf) => out.push(leaf))
  return out
}

/**
 * The path of each leaf, in the order of `leaves`: keys and indices joined by dots, e.g.
 * `layers.0.w` (dots and backslashes inside keys escaped with a backslash). Checkpoints use them
 * as tensor names.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.tree.paths({ layers: [{ w: T.ones([2]), b: T.zeros([2]) }] }) // ["layers.0.b", "layers.0.w"]
 */
export const paths = <L = Tensor>(tree: Tree<NoInfer<L>>, options?: TreeOptions<L>): string[] => {
  const out: string[] = []
  walk("tree.paths", tree, leafTest("tree.paths", options), (_, path) => out.push(path))
  return out
}

/**
 * The leaves of `tree` (in the order of `leaves`) and its structure, which `unflatten` turns
 * back into a tree: `unflatten(def, leaves)` rebuilds `tree`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const [xs, def] = T.tree.flatten({ w: T.ones([2]), b: T.zeros([2]) })
 * const doubled = T.tree.unflatten(def, xs.map((x) => T.mul(x, 2))) // { b: …, w: … }
 */
export const flatten = <T extends Tree<L>, L = Tensor>(
  tree: T,
  options?: TreeOptions<L>,
): [L[], TreeDef<T, L>] => {
  const out: L[] = []
  const root = walk("tree.flatten", tree, leafTest("tree.flatten", options), (leaf) =>
    out.push(leaf),
  )
  return [out, new TreeDef<T, L>(root, out.length)]
}

/**
 * The tree of structure `def` whose leaves are `leaves`, in the order `flatten` lists them.
 * Throws unless there are exactly `def.numLeaves` of them.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const [, def] = T.tree.flatten([T.ones([2]), { b: T.zeros([2]) }])
 * T.tree.unflatten(def, [1, 2]) // [1, { b: 2 }]
 */
export const unflatten = <T, L, B>(
  def: TreeDef<T, L>,
  leaves: ReadonlyArray<B>,
): MapLeaves<T, B, L> => {
  if (!Array.isArray(leaves) || leaves.length !== def.numLeaves)
    throw new TensorError(
      "tree.unflatten",
      `the structure ${def.toString()} has ${def.numLeaves} leaves, got ` +
        (Array.isArray(leaves) ? String(leaves.length) : describeValue(leaves)),
    )
  let next = 0
  const build = (n: Node): unknown => {
    switch (n.kind) {
      case "leaf":
        return leaves[next++]
      case "none":
        return n.value
      case "array":
        return n.children.map(build)
      case "record": {
        const out: Record<string, unknown> = {}
        n.keys.forEach((k, i) => setKey(out, k, build(n.children[i]!)))
        return out
      }
    }
  }
  return build(TreeDef.root(def)) as MapLeaves<T, B, L>
}

/**
 * A tree of the same structure with `f(leaf, path)` at each leaf. `f` is called in the order of
 * `leaves`. Laws: `map(t, x => x) ≅ t`, `map(map(t, f), g) ≅ map(t, x => g(f(x)))`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const params = { w: T.ones([2, 2]), b: T.zeros([2]) }
 * const scaled = T.tree.map(params, (x) => T.mul(x, 0.5)) // { w: Tensor; b: Tensor }
 * const shapes = T.tree.map(params, (x) => x.shape) // { w: Shape; b: Shape }
 */
export const map = <T extends Tree<L>, B, L = Tensor>(
  tree: T,
  f: (leaf: L, path: string) => B,
  options?: TreeOptions<L>,
): MapLeaves<T, B, L> => zipTrees("tree.map", [tree], (xs, path) => f(xs[0]!, path), options)

/**
 * Combines two trees of the same structure leaf by leaf: `f(a's leaf, b's leaf, path)`. The
 * result has `a`'s structure. Throws, naming the first path where they differ, when the
 * structures are not equal.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const params = { w: T.ones([2, 2]), b: T.zeros([2]) }
 * const grads = { w: T.full([2, 2], 0.5), b: T.ones([2]) }
 * // one step of gradient descent
 * const next = T.tree.zipWith(params, grads, (p, g) => T.sub(p, T.mul(g, 0.1)))
 */
export const zipWith = <T extends Tree<L>, B, L = Tensor>(
  a: T,
  b: Tree<NoInfer<L>>,
  f: (x: L, y: L, path: string) => B,
  options?: TreeOptions<L>,
): MapLeaves<T, B, L> =>
  zipTrees("tree.zipWith", [a, b], (xs, path) => f(xs[0]!, xs[1]!, path), options)

/**
 * Combines any number of trees of one structure: `f([leaf of each tree], path)`, for updates
 * that read several trees at once (parameters, gradients and two moment estimates). The result
 * has the first tree's structure; throws where the structures differ.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const [a, b, c] = [T.ones([2]), T.zeros([2]), T.full([2], 4)]
 * const mean = T.tree.zipAllWith([{ w: a }, { w: b }, { w: c }], (xs) =>
 *   T.div(xs.reduce((s, x) => T.add(s, x)), xs.length),
 * ) // { w: tensor([1.6667, 1.6667]) }
 */
export const zipAllWith = <T extends Tree<L>, B, L = Tensor>(
  trees: readonly [T, ...ReadonlyArray<Tree<NoInfer<L>>>],
  f: (leaves: L[], path: string) => B,
  options?: TreeOptions<L>,
): MapLeaves<T, B, L> => zipTrees("tree.zipAllWith", trees, f, options)

const zipTrees = <T, B, L>(
  op: string,
  trees: ReadonlyArray<unknown>,
  f: (leaves: L[], path: string) => B,
  options: TreeOptions<L> | undefined,
): MapLeaves<T, B, L> => {
  if (!Array.isArray(trees) || trees.length === 0)
    throw new TensorError(op, "expects at least one tree")
  const isLeaf = leafTest(op, options)
  const ancestors = new Set<object>()
  const mismatch = (i: number, path: Path, first: string, other: string): TensorError =>
    new TensorError(
      op,
      `the trees differ ${where(path)}: the first has ${first}, tree ${i + 1} has ${other}`,
    )
  const describeNode = (v: unknown, kind: Kind): string =>
    kind === "leaf" ? `a leaf (${describeValue(v)})` : describeValue(v)
  // Only the first tree is checked for cycles: the others must match its (finite) structure.
  const go = (xs: ReadonlyArray<unknown>, path: Path): unknown => {
    const x = xs[0]
    const kind = kindOf(op, x, isLeaf, path)
    for (let i = 1; i < xs.length; i++) {
      const y = xs[i]
      const k = kindOf(op, y, isLeaf, path)
      if (k !== kind || (kind === "none" && x !== y))
        throw mismatch(i, path, describeNode(x, kind), describeNode(y, k))
      if (kind === "array" && (x as unknown[]).length !== (y as unknown[]).length)
        throw mismatch(i, path, describeValue(x), describeValue(y))
      if (kind === "record") {
        const kx = sortedKeys(x as object)
        const ky = sortedKeys(y as object)
        if (kx.length !== ky.length || kx.some((key, j) => key !== ky[j])) {
          const showRecord = (keys: string[], others: string[]): string => {
            const only = keys.filter((key) => !others.includes(key))
            const extra = only.length > 0 ? ` (only there: ${showKeys(only)})` : ""
            return `a record with keys ${showKeys(keys)}${extra}`
          }
          throw mismatch(i, path, showRecord(kx, ky), showRecord(ky, kx))
        }
      }
    }
    switch (kind) {
      case "leaf":
        return f(Array.from(xs) as L[], path ?? "")
      case "none":
        return x
      case "array": {
        const n = (x as unknown[]).length
        enter(op, ancestors, x as object, path)
        const out = new Array<unknown>(n)
        for (let j = 0; j < n; j++)
          out[j] = go(
            xs.map((y) => (y as unknown[])[j]),
            child(path, String(j)),
          )
        ancestors.delete(x as object)
        return out
      }
      case "record": {
        enter(op, ancestors, x as object, path)
        const out: Record<string, unknown> = {}
        for (const key of sortedKeys(x as object))
          setKey(
            out,
            key,
            go(
              xs.map((y) => (y as Record<string, unknown>)[key]),
              child(path, escapeKey(key)),
            ),
          )
        ancestors.delete(x as object)
        return out
      }
    }
  }
  return go(trees, null) as MapLeaves<T, B, L>
}

/**
 * Whether two trees have the same structure: the same node kinds, array lengths and record
 * keys, and `null` / `undefined` in the same places. Leaf values are not compared.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.tree.structureEquals({ w: T.ones([2]) }, { w: T.zeros([5]) }) // true
 * T.tree.structureEquals({ w: T.ones([2]) }, [T.ones([2])]) // false
 */
export const structureEquals = <L = Tensor>(
  a: Tree<NoInfer<L>>,
  b: Tree<NoInfer<L>>,
  options?: TreeOptions<L>,
): boolean => {
  const isLeaf = leafTest("tree.structureEquals", options)
  const none = (): void => {}
  return nodesEqual(
    walk("tree.structureEquals", a, isLeaf, none),
    walk("tree.structureEquals", b, isLeaf, none),
  )
}
