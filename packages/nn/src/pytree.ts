/**
 * `T.tree` specialised to parameter trees: the generic signatures of `T.tree` compute the result
 * type from the input type, which is needlessly deep for the recursive `Params` type.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import type { Params } from "./layers.ts"

/** The tensors of a parameter tree, in `T.tree.leaves` order. */
export const leavesOf = (tree: Params): Tensor[] => T.tree.leaves<Tensor>(tree)

/** The paths of the tensors of a parameter tree (`0.w`, `0.b` …), in `leavesOf` order. */
export const pathsOf = (tree: Params): string[] => T.tree.paths<Tensor>(tree)

/** A step of a parameter's path: a record key or an array index. */
export type PathSegment = string | number

/**
 * The name of the parameter at `path`, as checkpoints and ONNX files call it: segments joined
 * by dots, with dots and backslashes inside keys escaped by a backslash (`layers.0.w`).
 */
export const parameterName = (path: ReadonlyArray<PathSegment>): string =>
  path.map((s) => (typeof s === "number" ? String(s) : s.replace(/[\\.]/g, "\\$&"))).join(".")

// The trees below are passed as the opaque type `Opaque`, for which `T.tree`'s computed result
// type is trivial; the structure is the caller's, so the result is a `Params` again.
type Opaque = Tensor

/** `f` applied to every tensor, keeping the structure. */
export const mapParams = (tree: Params, f: (x: Tensor) => Tensor): Params =>
  T.tree.map<Opaque, Tensor, Tensor>(tree as Opaque, (x) => f(x))

/**
 * `f` applied to the tensors at the same place in trees of one structure whose tensors agree in
 * shape (and dtype, unless `anyDType`); `names` name the trees in the error
 * (`adam.update: grads at 0.w is [7, 3, 4], params [3, 4]`).
 */
export const zipParams = (
  op: string,
  names: readonly [string, ...string[]],
  trees: readonly [Params, ...Params[]],
  f: (xs: Tensor[]) => Tensor,
  anyDType = false,
): Params => {
  trees.forEach((tree, i) => {
    if (tree === undefined || tree === null || typeof tree !== "object")
      throw new T.TensorError(
        op,
        `${names[i]} must be a tree of tensors like ${names[0]}, got ${tree === null ? "null" : typeof tree}`,
      )
  })
  if (trees.length > 1) {
    const first = trees[0]
    trees.slice(1).forEach((tree, i) => {
      if (!T.tree.structureEquals<Tensor>(first, tree))
        throw new T.TensorError(
          op,
          `${names[i + 1]} must have the structure of ${names[0]}: ${describeDifference(first, tree)}`,
        )
    })
  }
  return T.tree.zipAllWith<Opaque, Tensor, Tensor>(
    trees as unknown as readonly [Opaque, ...Opaque[]],
    (xs, path) => {
      const x0 = xs[0]!
      xs.forEach((x, i) => {
        if (!(x instanceof T.Tensor))
          throw new T.TensorError(op, `${names[i]}${at(path)} is not a tensor`)
        if ((!anyDType && x.dtype !== x0.dtype) || !sameShape(x.shape, x0.shape))
          throw new T.TensorError(
            op,
            `${names[0]}${at(path)} is ${show(x0)}, ${names[i]} ${show(x)}`,
          )
      })
      return f(xs)
    },
  )
}

const at = (path: string): string => (path === "" ? "" : ` at ${path}`)

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

const show = (x: Tensor): string =>
  `[${x.shape.join(", ")}]${x.dtype === "float32" ? "" : ` ${x.dtype}`}`

/** Where two trees of different structure first differ, in a few words. */
const describeDifference = (a: Params, b: Params): string => {
  const pa = T.tree.paths<Tensor>(a)
  let pb: string[]
  try {
    pb = T.tree.paths<Tensor>(b)
  } catch (e) {
    return e instanceof T.TensorError ? e.message.slice(e.op.length + 2) : String(e)
  }
  const missing = pa.find((p) => !pb.includes(p))
  const extra = pb.find((p) => !pa.includes(p))
  if (missing !== undefined) return `it has no tensor at ${missing}`
  if (extra !== undefined) return `it has an extra tensor at ${extra}`
  return "their nesting differs"
}
