/**
 * Shared test helpers: random parameter trees, bitwise comparison, plain-JS references.
 */
import fc from "fast-check"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import type { Params } from "../src/index.ts"

/** Whether two tensors have the same dtype, shape and bits. */
export const bitsEqual = (a: Tensor, b: Tensor): boolean => {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) return false
  if (!a.shape.every((d, i) => d === b.shape[i])) return false
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)
  return x.length === y.length && x.every((v, i) => v === y[i])
}

/** Whether two parameter trees have the same structure and bitwise equal leaves. */
export const treesBitsEqual = (a: Params, b: Params): boolean => {
  const ta = a as T.tree.Tree<Tensor>
  const tb = b as T.tree.Tree<Tensor>
  if (!T.tree.structureEquals(ta, tb)) return false
  const la = T.tree.leaves(ta)
  const lb = T.tree.leaves(tb)
  return la.every((x, i) => bitsEqual(x, lb[i]!))
}

/** The leaves of a tree as plain number arrays. */
export const leafValues = (tree: Params): number[][] =>
  T.tree.leaves(tree as T.tree.Tree<Tensor>).map((t) => Array.from(t.data))

/** A description of a tree's structure with a shape at each leaf. */
export type Spec =
  | ReadonlyArray<number>
  | { readonly list: ReadonlyArray<Spec> }
  | { readonly rec: Readonly<Record<string, Spec>> }

const arbShape = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 })

/** Random tree structures of 1–6 leaves: arrays and records of small shapes. */
export const arbSpec: fc.Arbitrary<Spec> = fc.letrec<{ node: Spec }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbShape,
    fc.record({ list: fc.array(tie("node"), { minLength: 0, maxLength: 3 }) }),
    fc.record({
      rec: fc.dictionary(fc.constantFrom("w", "b", "gamma", "k"), tie("node"), { maxKeys: 3 }),
    }),
  ),
})).node

const leafCount = (s: Spec): number =>
  Array.isArray(s)
    ? 1
    : "list" in s
      ? (s as { list: ReadonlyArray<Spec> }).list.reduce((n: number, c) => n + leafCount(c), 0)
      : Object.values((s as { rec: Record<string, Spec> }).rec).reduce(
          (n: number, c) => n + leafCount(c),
          0,
        )

/** The tree of `spec` with leaves made by `leaf(shape)` in order. */
export const build = (spec: Spec, leaf: (shape: ReadonlyArray<number>) => Tensor): Params => {
  if (Array.isArray(spec)) return leaf(spec as ReadonlyArray<number>)
  if ("list" in spec) return (spec as { list: ReadonlyArray<Spec> }).list.map((c) => build(c, leaf))
  const rec = (spec as { rec: Record<string, Spec> }).rec
  const out: Record<string, Params> = {}
  for (const k of Object.keys(rec)) out[k] = build(rec[k]!, leaf)
  return out
}

/** `count` float64 trees of one random structure with values in [-3, 3], at least one leaf. */
export const arbTrees = (count: number): fc.Arbitrary<Params[]> =>
  arbSpec
    .filter((s) => leafCount(s) > 0)
    .chain((spec) =>
      fc
        .array(fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }), {
          minLength: 200,
          maxLength: 200,
        })
        .map((pool) => {
          const trees: Params[] = []
          let k = 0
          for (let i = 0; i < count; i++)
            trees.push(
              build(spec, (shape) => {
                const n = shape.reduce((a, b) => a * b, 1)
                const data = new Float64Array(n)
                for (let j = 0; j < n; j++) data[j] = pool[k++ % pool.length]! + (i + j) * 1e-3
                return new T.Tensor("float64", [...shape], data)
              }),
            )
          return trees
        }),
    )

/** Close within a relative and absolute tolerance. */
export const close = (a: number, b: number, rtol = 1e-9, atol = 1e-12): boolean =>
  Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b))

/** Elementwise `close` over nested number arrays of the same lengths. */
export const allClose = (a: number[][], b: number[][], rtol = 1e-9, atol = 1e-12): boolean =>
  a.length === b.length &&
  a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => close(v, b[i]![j]!, rtol, atol)))

/** Float64 matrix `[rows, cols]` from a deterministic sequence, for reference computations. */
export const sequence = (
  shape: ReadonlyArray<number>,
  seed: number,
  dtype: "float32" | "float64" = "float64",
): Tensor => T.random.uniform(T.random.key(seed), shape, { min: -1, max: 1, dtype })

/**
 * A 64-bit hash of bytes (two multiplicative streams, then an avalanche of each) as 16 hex
 * digits, for pinning outputs. Not cryptographic; any changed byte changes it with near certainty.
 */
export const hashBytes = (bytes: Uint8Array): string => {
  let h1 = 0xdeadbeef ^ bytes.length
  let h2 = 0x41c6ce57 ^ bytes.length
  for (const b of bytes) {
    h1 = Math.imul(h1 ^ b, 2654435761)
    h2 = Math.imul(h2 ^ b, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  const hex = (w: number): string => (w >>> 0).toString(16).padStart(8, "0")
  return hex(h1) + hex(h2)
}

/** `hashBytes` of a tensor's dtype and shape (as ASCII) followed by its little-endian bytes. */
export const hashTensor = (x: Tensor): string => {
  const head = Uint8Array.from(`${x.dtype}[${x.shape.join(",")}]`, (c) => c.charCodeAt(0))
  const body = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength)
  const bytes = new Uint8Array(head.length + body.length)
  bytes.set(head)
  bytes.set(body, head.length)
  return hashBytes(bytes)
}
