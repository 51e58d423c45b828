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

/** `f` applied to the tensors at the same place in trees of one structure (else it throws). */
export const zipParams = (
  trees: readonly [Params, ...Params[]],
  f: (xs: Tensor[]) => Tensor,
): Params =>
  T.tree.zipAllWith<Opaque, Tensor, Tensor>(
    trees as unknown as readonly [Opaque, ...Opaque[]],
    (xs) => f(xs),
  )
