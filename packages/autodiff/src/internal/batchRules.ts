/**
 * Batching rules: one per primitive, in one table whose type makes a missing rule a compile
 * error. A rule receives the batched values (each with its batch axis somewhere, or `null` for a
 * value every example shares) and returns the batched output and where its batch axis is. Rules
 * move a batch axis only when they must: elementwise ops, reductions, slices and pads keep it
 * where it is, and a matrix product with one batched operand is one larger product.
 *
 * Adding a primitive: pick a helper below (`elementwise`, `reduction`, `alongAxis`, …) or write
 * the rule with `moveAxis` and `toFront`; a rule that ends with the batch axis first returns 0.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Params, Primitive } from "@fnn/tensor/internal"
import { bind, isConcrete, showShape } from "@fnn/tensor/internal"

/** Where a value's batch axis is, or `null` when the value is the same for every example. */
export type BatchDim = number | null

/**
 * The batched output of primitive `P` and its batch axis, from the batched inputs `x` (their
 * batch axes in `dims`, at least one not `null`), the params of one example, and the batch size.
 */
export type BatchRule<P extends Primitive> = (
  x: ReadonlyArray<T.Tensor>,
  dims: ReadonlyArray<BatchDim>,
  params: Params[P],
  size: number,
) => readonly [T.Tensor, BatchDim]

// -------------------------------------------------------------------------------------------------
// axis helpers
// -------------------------------------------------------------------------------------------------

/** `x` with axis `from` moved to position `to` (the others keep their order). */
export const moveAxis = (x: T.Tensor, from: number, to: number): T.Tensor => {
  if (from === to) return x
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from)
  perm.splice(to, 0, from)
  return bind("transpose", [x], { perm })
}

/** `x` with its batch axis first; a shared value is broadcast to `size` examples. */
export const toFront = (x: T.Tensor, dim: BatchDim, size: number): T.Tensor =>
  dim === null ? T.broadcastTo(T.expandDims(x, 0), [size, ...x.shape]) : moveAxis(x, dim, 0)

/** The axis of the batched value that is axis `a` of one example, when the batch axis is `dim`. */
export const valueAxis = (a: number, dim: number): number => (a < dim ? a : a + 1)

/** `xs` with `v` inserted at position `at`. */
const insert = <V>(xs: ReadonlyArray<V>, at: number, v: V): V[] => {
  const out = xs.slice()
  out.splice(at, 0, v)
  return out
}

const ones = (n: number): number[] => new Array<number>(n).fill(1)

/** The batch axes of a two-input primitive's inputs. */
const pair = (dims: ReadonlyArray<BatchDim>): [BatchDim, BatchDim] => [
  dims[0] ?? null,
  dims[1] ?? null,
]

/** The batch axis of the only input of a one-input primitive (it is batched, or no rule runs). */
const only = (dims: ReadonlyArray<BatchDim>): number => dims[0]!

/** Throws unless every batched index lies in `[0, n)` (checked when the values can be read). */
const checkRange = (op: string, indices: T.Tensor, n: number): void => {
  if (!isConcrete(indices)) return
  const d = indices.data
  for (let i = 0; i < d.length; i++)
    if (d[i]! < 0 || d[i]! >= n)
      throw new T.TensorError(
        op,
        `index ${d[i]} (among the batched indices of shape ${showShape(indices.shape)}) is out of range for an axis of size ${n}`,
      )
}

// -------------------------------------------------------------------------------------------------
// rule families
// -------------------------------------------------------------------------------------------------

/**
 * Elementwise primitives with NumPy broadcasting (any number of inputs). When every batched input
 * has the batch axis at the same place and the shared inputs broadcast past it, the primitive runs
 * as it is; otherwise batch axes move to the front and batched inputs of lower rank get size-1
 * axes after it, so that broadcasting lines up the examples' axes as it would for one example.
 */
export const elementwise =
  <P extends Primitive>(prim: P): BatchRule<P> =>
  (x, dims, params) => {
    const ranks = x.map((v, i) => (dims[i] === null ? v.rank : v.rank - 1))
    const rank = Math.max(...ranks)
    const first = dims.find((d) => d !== null)!
    const inPlace = x.every((v, i) =>
      dims[i] === null ? v.rank <= rank - first : dims[i] === first && ranks[i] === rank,
    )
    if (inPlace) return [bind(prim, x, params), first]
    const lined = x.map((v, i) => {
      const d = dims[i] ?? null
      if (d === null) return v
      const f = moveAxis(v, d, 0)
      const r = ranks[i]!
      return r === rank ? f : T.reshape(f, [f.shape[0]!, ...ones(rank - r), ...f.shape.slice(1)])
    })
    return [bind(prim, lined, params), 0]
  }

/** Reductions over sorted `axes`: the axes shift past the batch axis, which stays in the output. */
export const reduction =
  <P extends "sum" | "max">(prim: P): BatchRule<P> =>
  (x, dims, { axes }) => {
    const d = only(dims)
    const moved = axes.map((a) => valueAxis(a, d))
    const removedBefore = moved.filter((a) => a < d).length
    return [bind(prim, [x[0]!], { axes: moved }), d - removedBefore]
  }

/**
 * A one-input primitive whose params give one entry per axis (`slice`, `pad`): `extend` inserts,
 * at the batch axis `at`, the entry that leaves an axis whole; the batch axis stays in place.
 */
export const perAxis =
  <P extends Primitive>(
    prim: P,
    extend: (params: Params[P], at: number, size: number) => Params[P],
  ): BatchRule<P> =>
  (x, dims, params, size) => {
    const d = only(dims)
    return [bind(prim, [x[0]!], extend(params, d, size)), d]
  }

/** A one-input primitive that works on the batch axis as it would on any other: it stays put. */
export const sameAxis =
  <P extends Primitive>(prim: P): BatchRule<P> =>
  (x, dims, params) => [bind(prim, [x[0]!], params), only(dims)]

// -------------------------------------------------------------------------------------------------
// gather, scatterAdd, matmul
// -------------------------------------------------------------------------------------------------

/**
 * A gather with batched indices picks, for example b, among example b's entries only: with the
 * batch first and the gathered axis second, `[B, n, …]` is read as `B·n` rows and example b's
 * index i becomes `b·n + i`, so one gather along axis 0 serves every example.
 */
const gatherRule: BatchRule<"gather"> = ([x, idx], dims, { axis }, size) => {
  const [dx, di] = pair(dims)
  if (di === null) {
    // shared indices: gather along the moved axis; the batch axis moves past the index axes
    const d = dx!
    const a = valueAxis(axis, d)
    return [bind("gather", [x!, idx!], { axis: a }), d < a ? d : d - 1 + idx!.rank]
  }
  const q = idx!.rank - 1
  if (dx === null) {
    // shared x: every example's indices pick from the same x
    checkRange("gather", idx!, x!.shape[axis]!)
    return [bind("gather", [x!, idx!], { axis }), axis + di]
  }
  const xf = moveAxis(moveAxis(x!, dx, 0), axis + 1, 1) // [B, n, …pre, …post]
  const n = xf.shape[1]!
  checkRange("gather", idx!, n)
  const rows = T.reshape(xf, [size * n, ...xf.shape.slice(2)])
  const picked = bind("gather", [rows, rowIndices(idx!, di, size, n)], { axis: 0 }) // [B, …q, …pre, …post]
  // back to one example's layout [B, …pre, …q, …post]
  const pre = axis
  const perm = [0]
  for (let i = 0; i < pre; i++) perm.push(1 + q + i)
  for (let i = 0; i < q; i++) perm.push(1 + i)
  for (let i = 1 + q + pre; i < picked.rank; i++) perm.push(i)
  return [bind("transpose", [picked], { perm }), 0]
}

/** Batched indices `[B, …q]` into rows `b·n + i` of a `[B·n, …]` tensor. */
const rowIndices = (idx: T.Tensor, dim: number, size: number, n: number): T.Tensor => {
  const front = moveAxis(idx, dim, 0)
  if (n === 0 || size === 0) return front
  const offsets = T.arange(0, size * n, n, { dtype: "int32" })
  return T.add(front, T.reshape(offsets, [size, ...ones(front.rank - 1)]))
}

/** scatterAdd is gather's transpose, and batches the same way (rows `b·n + i` when indices vary). */
const scatterAddRule: BatchRule<"scatterAdd"> = ([u, idx], dims, { axis, shape }, size) => {
  const [du, di] = pair(dims)
  if (di === null) {
    const uf = moveAxis(u!, du!, 0)
    return [bind("scatterAdd", [uf, idx!], { axis: axis + 1, shape: [size, ...shape] }), 0]
  }
  const n = shape[axis]!
  checkRange("scatterAdd", idx!, n)
  const q = idx!.rank - 1
  const uf = toFront(u!, du, size) // [B, …pre, …q, …post]
  // to the rows' layout [B, …q, …pre, …post]
  const perm = [0]
  for (let i = 0; i < q; i++) perm.push(1 + axis + i)
  for (let i = 0; i < axis; i++) perm.push(1 + i)
  for (let i = 1 + axis + q; i < uf.rank; i++) perm.push(i)
  const rest = [...shape.slice(0, axis), ...shape.slice(axis + 1)]
  const rows = bind(
    "scatterAdd",
    [bind("transpose", [uf], { perm }), rowIndices(idx!, di, size, n)],
    {
      axis: 0,
      shape: [size * n, ...rest],
    },
  )
  const split = T.reshape(rows, [size, n, ...rest]) // [B, n, …pre, …post]
  return [moveAxis(split, 1, 1 + axis), 0]
}

/** `x` with axes `at` and `at + 1` merged into one. */
const mergeAxes = (x: T.Tensor, at: number): T.Tensor =>
  T.reshape(x, [...x.shape.slice(0, at), x.shape[at]! * x.shape[at + 1]!, ...x.shape.slice(at + 2)])

/**
 * With one operand batched, the batch joins that operand's rows (`m`, left) or columns (`n`,
 * right): `[B·m, k] × [k, n]` is one larger product, not B small ones. With both batched, the
 * batch becomes a leading batch axis of the product.
 */
const matmulRule: BatchRule<"matmul"> = ([a, b], dims, params, size) => {
  const [da, db] = pair(dims)
  if (da !== null && db !== null)
    return [bind("matmul", [moveAxis(a!, da, 0), moveAxis(b!, db, 0)], params), 0]
  if (da !== null) {
    const r = a!.rank - 1
    const lead = r - 2
    const m = params.transposeA ? r - 1 : r - 2
    const moved = moveAxis(a!, da, m)
    const out = bind("matmul", [mergeAxes(moved, m), b!], params)
    const s = out.shape
    return [T.reshape(out, [...s.slice(0, lead), size, moved.shape[m + 1]!, s[lead + 1]!]), lead]
  }
  const r = b!.rank - 1
  const lead = r - 2
  const n = params.transposeB ? r - 2 : r - 1
  const moved = moveAxis(b!, db!, n)
  const out = bind("matmul", [a!, mergeAxes(moved, n)], params)
  const s = out.shape
  return [T.reshape(out, [...s.slice(0, lead), s[lead]!, size, moved.shape[n + 1]!]), lead + 1]
}

/** `x` with its batch axis `dim` folded into its first axis: `[size · n, …]`. */
const foldIntoFirst = (x: T.Tensor, dim: number, size: number): T.Tensor => {
  const f = moveAxis(x, dim, 0)
  return T.reshape(f, [size * f.shape[1]!, ...f.shape.slice(2)])
}

/** `y` of `[size · n, …]` with the batch split out in front again. */
const unfoldFirst = (y: T.Tensor, size: number): T.Tensor =>
  T.reshape(y, [size, y.shape[0]! / size, ...y.shape.slice(1)])

/**
 * A batched input `[B, n, …spatial, c]` is one convolution over `B · n` images. A batched kernel
 * `[…window, c/g, o]` joins the output channels: with a shared input, `B` kernels side by side in
 * each group are one convolution with `B · o` outputs; with both batched, each example's channels
 * become `g` more groups, so example `b` sees only its own input and kernel.
 */
const convRule: BatchRule<"conv"> = ([x, w], dims, params, size) => {
  const [dx, dw] = pair(dims)
  if (dw === null)
    return [unfoldFirst(bind("conv", [foldIntoFirst(x!, dx!, size), w!], params), size), 0]
  const wf = moveAxis(w!, dw, 0) // [B, …window, c/g, o]
  const r = wf.rank - 1 // one kernel's rank
  const d = r - 2
  const o = wf.shape[r]!
  const g = params.groups
  if (dx === null) {
    // [B, …window, c/g, g, o/g] → [...window, c/g, g, B, o/g]: group-major output channels
    const split = T.reshape(wf, [...wf.shape.slice(0, r), g, o / g])
    const perm = [...range(r - 1).map((i) => i + 1), r, 0, r + 1]
    const k = T.reshape(bind("transpose", [split], { perm }), [...wf.shape.slice(1, r), size * o])
    const y = bind("conv", [x!, k], params) // [n, …out, g · B · o/g]
    const s = y.shape.slice(0, -1)
    const ys = T.reshape(y, [...s, g, size, o / g])
    const front = moveAxis(ys, s.length + 1, 0) // [B, n, …out, g, o/g]
    return [T.reshape(front, [size, ...s, o]), 0]
  }
  // both batched: channels b·c + j, groups b·g + i; kernel outputs b·o + j
  const xf = moveAxis(x!, dx, x!.rank - 2) // [n, …spatial, B, c]
  const c = xf.shape[xf.rank - 1]!
  const xs = T.reshape(xf, [...xf.shape.slice(0, -2), size * c])
  const wm = moveAxis(wf, 0, r - 1) // […window, c/g, B, o]
  const k = T.reshape(wm, [...wm.shape.slice(0, -2), size * o])
  const y = bind("conv", [xs, k], { ...params, groups: size * g })
  return [T.reshape(y, [...y.shape.slice(0, -1), size, o]), 1 + d]
}

/** `windows` and `addWindows` see one more image in the first axis. */
const windowsRule: BatchRule<"windows"> = ([x], dims, params, size) => [
  unfoldFirst(bind("windows", [foldIntoFirst(x!, only(dims), size)], params), size),
  0,
]

const addWindowsRule: BatchRule<"addWindows"> = ([g], dims, params, size) => {
  const shape = [size * params.shape[0]!, ...params.shape.slice(1)]
  const y = bind("addWindows", [foldIntoFirst(g!, only(dims), size)], { ...params, shape })
  return [unfoldFirst(y, size), 0]
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

// -------------------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------------------

/**
 * Primitives that broadcast over leading axes and read a fixed last axis (`threefry2x32`'s two
 * words): the batch axes go first, where they cannot be taken for the last axis, and then the
 * elementwise rule lines the inputs up.
 */
const leadingBroadcast =
  <P extends Primitive>(prim: P): BatchRule<P> =>
  (x, dims, params, size) =>
    elementwise(prim)(
      x.map((v, i) => (dims[i] === null ? v : moveAxis(v, dims[i]!, 0))),
      dims.map((d) => (d === null ? null : 0)),
      params,
      size,
    )

/** Every primitive's batching rule. */
export const batchRules: { readonly [P in Primitive]: BatchRule<P> } = {
  neg: elementwise("neg"),
  abs: elementwise("abs"),
  sign: elementwise("sign"),
  exp: elementwise("exp"),
  log: elementwise("log"),
  log1p: elementwise("log1p"),
  sqrt: elementwise("sqrt"),
  sin: elementwise("sin"),
  cos: elementwise("cos"),
  tanh: elementwise("tanh"),
  sigmoid: elementwise("sigmoid"),
  add: elementwise("add"),
  sub: elementwise("sub"),
  mul: elementwise("mul"),
  div: elementwise("div"),
  pow: elementwise("pow"),
  maximum: elementwise("maximum"),
  minimum: elementwise("minimum"),
  equal: elementwise("equal"),
  greater: elementwise("greater"),
  greaterEqual: elementwise("greaterEqual"),
  where: elementwise("where"),
  cast: sameAxis("cast"),
  sum: reduction("sum"),
  max: reduction("max"),
  argmax: (x, dims, { axis }) => {
    const d = only(dims)
    const a = valueAxis(axis, d)
    return [bind("argmax", [x[0]!], { axis: a }), a < d ? d - 1 : d]
  },
  // one example's C order is kept by reshaping with the batch first
  reshape: (x, dims, { shape }, size) => [
    bind("reshape", [moveAxis(x[0]!, only(dims), 0)], { shape: [size, ...shape] }),
    0,
  ],
  // the batch goes first, then size-1 axes for those broadcasting adds in front of one example
  broadcastTo: (x, dims, { shape }, size) => {
    const f = moveAxis(x[0]!, only(dims), 0)
    const added = shape.length - (f.rank - 1)
    const lined = added === 0 ? f : T.reshape(f, [size, ...ones(added), ...f.shape.slice(1)])
    return [bind("broadcastTo", [lined], { shape: [size, ...shape] }), 0]
  },
  // one permutation that also brings the batch axis first
  transpose: (x, dims, { perm }) => {
    const d = only(dims)
    return [bind("transpose", [x[0]!], { perm: [d, ...perm.map((a) => valueAxis(a, d))] }), 0]
  },
  slice: perAxis("slice", ({ starts, sizes }, at, size) => ({
    starts: insert(starts, at, 0),
    sizes: insert(sizes, at, size),
  })),
  pad: perAxis("pad", ({ lo, hi }, at) => ({ lo: insert(lo, at, 0), hi: insert(hi, at, 0) })),
  concat: (x, dims, { axis }, size) => {
    const d = dims[0]
    if (d !== null && d !== undefined && dims.every((e) => e === d))
      return [bind("concat", x, { axis: valueAxis(axis, d) }), d]
    return [
      bind(
        "concat",
        x.map((v, i) => toFront(v, dims[i] ?? null, size)),
        { axis: axis + 1 },
      ),
      0,
    ]
  },
  gather: gatherRule,
  scatterAdd: scatterAddRule,
  matmul: matmulRule,
  threefry2x32: leadingBroadcast("threefry2x32"),
  // keys [...batch, 2] give [...batch, ...shape]: with the batch axis first it is one more batch
  sample: (x, dims, params) => [bind("sample", [moveAxis(x[0]!, only(dims), 0)], params), 0],
  conv: convRule,
  windows: windowsRule,
  addWindows: addWindowsRule,
}
