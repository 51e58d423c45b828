/**
 * Independent naive references and arbitraries for the tensor property tests.
 *
 * Everything here works on plain JavaScript arrays with explicit index arithmetic (unravel a flat
 * position into a multi-index, map it, ravel it back). It deliberately shares no code with the
 * library's strided helpers, so a bug there cannot hide in both the kernel and its reference.
 * @module
 */
import fc from "fast-check"
import type { DType } from "../src/index.ts"
import { Tensor } from "../src/index.ts"

// ---------------------------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------------------------

/** A tensor's contents as plain arrays: dtype, shape and C-order values. */
export interface Ref {
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

/** Number of elements of a shape. */
export const count = (shape: ReadonlyArray<number>): number => {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** The multi-index of C-order position `flat` in `shape`. */
export const unravel = (flat: number, shape: ReadonlyArray<number>): number[] => {
  const idx = new Array<number>(shape.length).fill(0)
  let rest = flat
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!
    idx[i] = rest % d
    rest = Math.floor(rest / d)
  }
  return idx
}

/** The C-order position of multi-index `idx` in `shape`. */
export const ravel = (idx: ReadonlyArray<number>, shape: ReadonlyArray<number>): number => {
  let flat = 0
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + idx[i]!
  return flat
}

/** Rounds a double to what storage of dtype `d` holds (int32 wraps as a typed array store does). */
export const roundTo = (d: DType, v: number): number =>
  d === "float32" ? Math.fround(v) : d === "int32" ? v | 0 : v

/** The storage of `values` in dtype `d`. */
export const typedOf = (
  d: DType,
  values: ReadonlyArray<number>,
): Float32Array | Float64Array | Int32Array =>
  d === "float32"
    ? new Float32Array(values)
    : d === "float64"
      ? new Float64Array(values)
      : new Int32Array(values)

/** A tensor holding `values` (C order) without going through the library's creation ops. */
export const make = (
  dtype: DType,
  shape: ReadonlyArray<number>,
  values: ReadonlyArray<number>,
): Tensor => new Tensor(dtype, shape.slice(), typedOf(dtype, values))

/** The contents of a tensor as plain arrays. */
export const refOf = (t: Tensor): Ref => ({
  dtype: t.dtype,
  shape: [...t.shape],
  values: Array.from(t.data),
})

/** Nested arrays of a Ref, built by recursion on the shape (an independent `toArray`). */
export const nested = (r: Ref): unknown => {
  const go = (axis: number, offset: number): unknown => {
    if (axis === r.shape.length) return r.values[offset]
    const inner = count(r.shape.slice(axis + 1))
    return Array.from({ length: r.shape[axis]! }, (_, i) => go(axis + 1, offset + i * inner))
  }
  return go(0, 0)
}

/** JAX-style promotion of two tensor dtypes, written out by cases. */
export const promoteRef = (a: DType, b: DType): DType =>
  a === "float64" || b === "float64"
    ? "float64"
    : a === "float32" || b === "float32"
      ? "float32"
      : "int32"

// ---------------------------------------------------------------------------------------------
// comparison helpers
// ---------------------------------------------------------------------------------------------

/** Bitwise equality of numbers as stored: NaN equals NaN, +0 differs from -0. */
export const sameBits = (a: number, b: number): boolean => Object.is(a, b)

/** Equality that treats NaN as equal to NaN and +0 as equal to -0. */
export const sameValueZero = (a: number, b: number): boolean => a === b || (a !== a && b !== b)

/** `|a - b| <= atol + rtol * |b|`, with NaN matching NaN and infinities matching exactly. */
export const close = (a: number, b: number, rtol: number, atol = rtol): boolean => {
  if (a !== a || b !== b) return a !== a && b !== b
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b
  return Math.abs(a - b) <= atol + rtol * Math.abs(b)
}

/** The first position where two value lists disagree, or -1. */
export const firstMismatch = (
  actual: ArrayLike<number>,
  expected: ReadonlyArray<number>,
  eq: (a: number, b: number) => boolean,
): number => {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++) if (!eq(actual[i]!, expected[i]!)) return i
  return -1
}

/**
 * Throws a readable error unless `actual` has the dtype, shape and values of `expected`.
 * `eq` compares single values (bitwise by default).
 */
export const expectMatches = (
  actual: Tensor,
  expected: Ref,
  eq: (a: number, b: number) => boolean = sameBits,
): void => {
  if (actual.dtype !== expected.dtype)
    throw new Error(`dtype ${actual.dtype}, expected ${expected.dtype}`)
  if (
    actual.shape.length !== expected.shape.length ||
    actual.shape.some((d, i) => d !== expected.shape[i])
  )
    throw new Error(`shape [${actual.shape.join(", ")}], expected [${expected.shape.join(", ")}]`)
  const i = firstMismatch(actual.data, expected.values, eq)
  if (i >= 0)
    throw new Error(
      `value at ${i} (index [${unravel(i, expected.shape).join(", ")}]) is ${actual.data[i]}, expected ${expected.values[i]}`,
    )
}

// ---------------------------------------------------------------------------------------------
// broadcasting and elementwise
// ---------------------------------------------------------------------------------------------

/** The NumPy broadcast of shapes, or `undefined` when they do not broadcast. */
export const broadcastShapeRef = (
  ...shapes: ReadonlyArray<ReadonlyArray<number>>
): number[] | undefined => {
  const rank = Math.max(0, ...shapes.map((s) => s.length))
  const out: number[] = []
  for (let k = 0; k < rank; k++) {
    // k-th axis counted from the right
    let d = 1
    for (const s of shapes) {
      const e = s[s.length - rank + k] ?? 1
      if (e === 1) continue
      if (d !== 1 && d !== e) return undefined
      d = e
    }
    out.push(d)
  }
  return out
}

/** The position in a tensor of `shape` that an output multi-index `outIdx` reads when broadcast. */
export const broadcastSource = (
  outIdx: ReadonlyArray<number>,
  shape: ReadonlyArray<number>,
): number => {
  const lead = outIdx.length - shape.length
  const idx = shape.map((d, i) => (d === 1 ? 0 : outIdx[lead + i]!))
  return ravel(idx, shape)
}

/** `x` stretched to `shape`, a broadcast of its shape. */
export const broadcastToRef = (x: Ref, shape: ReadonlyArray<number>): Ref => {
  const values: number[] = []
  for (let i = 0; i < count(shape); i++)
    values.push(x.values[broadcastSource(unravel(i, shape), x.shape)]!)
  return { dtype: x.dtype, shape: shape.slice(), values }
}

/** Applies `f` elementwise to broadcast operands; results are rounded to `dtype`. */
export const elementwiseRef = (
  dtype: DType,
  operands: ReadonlyArray<Ref>,
  f: (...xs: number[]) => number,
): Ref => {
  const shape = broadcastShapeRef(...operands.map((o) => o.shape))
  if (shape === undefined) throw new Error("reference: shapes do not broadcast")
  const n = count(shape)
  const values: number[] = []
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape)
    const xs = operands.map((o) => o.values[broadcastSource(idx, o.shape)]!)
    values.push(roundTo(dtype, f(...xs)))
  }
  return { dtype, shape, values }
}

/** A Ref's values converted to dtype `d` (the tests keep values exactly representable). */
export const castRef = (r: Ref, d: DType): Ref => ({
  dtype: d,
  shape: r.shape,
  values: r.values.map((v) =>
    d === "int32"
      ? Number.isNaN(v)
        ? 0
        : Math.max(-2147483648, Math.min(2147483647, Math.trunc(v))) | 0
      : roundTo(d, v),
  ),
})

// ---------------------------------------------------------------------------------------------
// reductions
// ---------------------------------------------------------------------------------------------

/** Normalises an axis option the obvious way (no validation: the tests only pass valid ones). */
export const axesOf = (
  axis: number | ReadonlyArray<number> | undefined,
  rank: number,
): number[] => {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i)
  const list = typeof axis === "number" ? [axis] : axis
  return list.map((a) => (a < 0 ? a + rank : a))
}

/**
 * Folds `x` over `axes`: each output element starts at `init` and meets the reduced elements in
 * C order. `step(acc, value, posAlongAxes)` gives the next accumulator; `finish` maps the result.
 */
export const foldRef = <A>(
  x: Ref,
  axes: ReadonlyArray<number>,
  keepDims: boolean,
  init: () => A,
  step: (acc: A, v: number, pos: number) => A,
  finish: (acc: A) => number,
  dtype: DType,
): Ref => {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
  const reducedShape = axes
    .slice()
    .sort((a, b) => a - b)
    .map((a) => x.shape[a]!)
  const sortedAxes = axes.slice().sort((a, b) => a - b)
  const accs: A[] = Array.from({ length: count(kept) }, init)
  const n = count(x.shape)
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, x.shape)
    const o = ravel(
      idx.map((v, ax) => (axes.includes(ax) ? 0 : v)),
      kept,
    )
    const pos = ravel(
      sortedAxes.map((a) => idx[a]!),
      reducedShape,
    )
    accs[o] = step(accs[o]!, x.values[i]!, pos)
  }
  const shape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i))
  return { dtype, shape, values: accs.map((a) => roundTo(dtype, finish(a))) }
}

// ---------------------------------------------------------------------------------------------
// movement
// ---------------------------------------------------------------------------------------------

/** Output axis i is input axis `perm[i]`. */
export const transposeRef = (x: Ref, perm: ReadonlyArray<number>): Ref => {
  const shape = perm.map((p) => x.shape[p]!)
  const values: number[] = []
  for (let o = 0; o < count(shape); o++) {
    const oidx = unravel(o, shape)
    const iidx = new Array<number>(x.shape.length).fill(0)
    perm.forEach((p, i) => (iidx[p] = oidx[i]!))
    values.push(x.values[ravel(iidx, x.shape)]!)
  }
  return { dtype: x.dtype, shape, values }
}

/** Python's `x[a:b]` bounds on one axis of size `d` (negative from the end, then clamped). */
export const pyBounds = (
  start: number | null | undefined,
  end: number | null | undefined,
  d: number,
): [number, number] => {
  const fix = (p: number): number => {
    const q = p < 0 ? p + d : p
    return q < 0 ? 0 : q > d ? d : q
  }
  const s = start === null || start === undefined ? 0 : fix(start)
  const e = end === null || end === undefined ? d : fix(end)
  return [s, Math.max(s, e)]
}

/** `x[s0:e0, s1:e1, …]` with Python's rules. */
export const sliceRef = (
  x: Ref,
  starts: ReadonlyArray<number | null>,
  ends: ReadonlyArray<number | null>,
): Ref => {
  const bounds = x.shape.map((d, i) => pyBounds(starts[i], ends[i], d))
  const shape = bounds.map(([s, e]) => e - s)
  const values: number[] = []
  for (let o = 0; o < count(shape); o++) {
    const idx = unravel(o, shape).map((v, i) => v + bounds[i]![0])
    values.push(x.values[ravel(idx, x.shape)]!)
  }
  return { dtype: x.dtype, shape, values }
}

/** Joins along `axis` (already non-negative) by finding which input each output index reads. */
export const concatRef = (xs: ReadonlyArray<Ref>, axis: number, dtype: DType): Ref => {
  const shape = xs[0]!.shape.slice()
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0)
  const values: number[] = []
  for (let o = 0; o < count(shape); o++) {
    const idx = unravel(o, shape)
    let along = idx[axis]!
    let k = 0
    while (along >= xs[k]!.shape[axis]!) {
      along -= xs[k]!.shape[axis]!
      k++
    }
    const src = xs[k]!
    const sidx = idx.slice()
    sidx[axis] = along
    values.push(roundTo(dtype, src.values[ravel(sidx, src.shape)]!))
  }
  return { dtype, shape, values }
}

/** `x` indexed along `axis` by `indices` (negative from the end): NumPy's `take` with an axis. */
export const gatherRef = (x: Ref, indices: Ref, axis: number): Ref => {
  const before = x.shape.slice(0, axis)
  const after = x.shape.slice(axis + 1)
  const n = x.shape[axis]!
  const shape = [...before, ...indices.shape, ...after]
  const values: number[] = []
  for (let o = 0; o < count(shape); o++) {
    const idx = unravel(o, shape)
    const iidx = idx.slice(before.length, before.length + indices.shape.length)
    let j = indices.values[ravel(iidx, indices.shape)]!
    if (j < 0) j += n
    const src = [
      ...idx.slice(0, before.length),
      j,
      ...idx.slice(before.length + indices.shape.length),
    ]
    values.push(x.values[ravel(src, x.shape)]!)
  }
  return { dtype: x.dtype, shape, values }
}

// ---------------------------------------------------------------------------------------------
// matmul
// ---------------------------------------------------------------------------------------------

/** One matrix product by the textbook triple loop, accumulating in double. */
const matmul2d = (
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>,
  m: number,
  k: number,
  n: number,
): number[] => {
  const out: number[] = []
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!
      out.push(s)
    }
  return out
}

/** NumPy's matmul: 1-D operands become a row (left) or column (right); batch axes broadcast. */
export const matmulRef = (a: Ref, b: Ref): Ref => {
  const dtype = promoteRef(a.dtype, b.dtype)
  const aShape = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape.slice()
  const bShape = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape.slice()
  const m = aShape[aShape.length - 2]!
  const k = aShape[aShape.length - 1]!
  const n = bShape[bShape.length - 1]!
  const aBatch = aShape.slice(0, -2)
  const bBatch = bShape.slice(0, -2)
  const batch = broadcastShapeRef(aBatch, bBatch)
  if (batch === undefined) throw new Error("reference: batch shapes do not broadcast")
  const values: number[] = []
  for (let t = 0; t < count(batch); t++) {
    const bidx = unravel(t, batch)
    const ao = broadcastSource(bidx, aBatch) * m * k
    const bo = broadcastSource(bidx, bBatch) * k * n
    const prod = matmul2d(a.values.slice(ao, ao + m * k), b.values.slice(bo, bo + k * n), m, k, n)
    for (const v of prod) values.push(roundTo(dtype, v))
  }
  const shape = [
    ...batch,
    ...(a.shape.length === 1 ? [] : [m]),
    ...(b.shape.length === 1 ? [] : [n]),
  ]
  return { dtype, shape, values }
}

// ---------------------------------------------------------------------------------------------
// arbitraries
// ---------------------------------------------------------------------------------------------

export const dtypeArb: fc.Arbitrary<DType> = fc.constantFrom<DType>("int32", "float32", "float64")

/** Axis sizes: mostly 1–4, sometimes 0 (empty tensors must work too). */
export const dimArb = (max = 4): fc.Arbitrary<number> =>
  fc.oneof(
    { arbitrary: fc.integer({ min: 1, max }), weight: 9 },
    { arbitrary: fc.constant(0), weight: 1 },
  )

/** A shape of rank 0–`maxRank`. */
export const shapeArb = (maxRank = 4, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(dimArb(maxDim), { maxLength: maxRank })

/** A shape with no zero-size axis. */
export const nonEmptyShapeArb = (minRank = 0, maxRank = 4, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank })

/**
 * A shape that broadcasts with `s`: some leading axes dropped and some axes set to 1.
 */
export const compatibleShapeArb = (s: ReadonlyArray<number>): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: s.length }),
      fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
    )
    .map(([drop, ones]) => s.slice(drop).map((d, i) => (ones[i + drop]! ? 1 : d)))

/** Two shapes that broadcast together, in either order. */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = shapeArb().chain((s) =>
  fc
    .tuple(compatibleShapeArb(s), fc.boolean())
    .map(([t, swap]): [number[], number[]] => (swap ? [t, s] : [s, t])),
)

/** Finite values of a dtype; small integers for int32 so sums never overflow. */
export const finiteValueArb = (d: DType): fc.Arbitrary<number> =>
  d === "int32"
    ? fc.integer({ min: -50, max: 50 })
    : d === "float32"
      ? fc.float({ min: -100, max: 100, noNaN: true })
      : fc.double({ min: -100, max: 100, noNaN: true })

/** Values of a dtype including, for floats, NaN, ±∞ and -0 now and then. */
export const valueArb = (d: DType): fc.Arbitrary<number> =>
  d === "int32"
    ? finiteValueArb(d)
    : fc.oneof(
        { arbitrary: finiteValueArb(d), weight: 12 },
        { arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0), weight: 1 },
      )

/** A tensor of `shape` and dtype `d` with values from `values`. */
export const tensorArb = (
  shape: ReadonlyArray<number>,
  d: DType,
  values: (d: DType) => fc.Arbitrary<number> = valueArb,
): fc.Arbitrary<Tensor> =>
  fc
    .array(values(d), { minLength: count(shape), maxLength: count(shape) })
    .map((vs) => make(d, shape, vs))

/** An axis option for rank `r`: undefined, one axis, or a list of distinct axes (any sign, any order). */
export const axisOptionArb = (r: number): fc.Arbitrary<number | number[] | undefined> => {
  const axes = Array.from({ length: r }, (_, i) => i)
  const signed = (a: number): fc.Arbitrary<number> => fc.constantFrom(a, a - r)
  const none: fc.Arbitrary<number | number[] | undefined> = fc.constant(undefined)
  const one: fc.Arbitrary<number | number[] | undefined> =
    r === 0 ? fc.constant<number[]>([]) : fc.integer({ min: -r, max: r - 1 })
  const list: fc.Arbitrary<number | number[] | undefined> = fc
    .shuffledSubarray(axes)
    .chain((sub): fc.Arbitrary<number[]> =>
      sub.length === 0 ? fc.constant<number[]>([]) : fc.tuple(...sub.map(signed)),
    )
  return fc.oneof(none, one, list)
}

/** A permutation of `0..r-1`. */
export const permArb = (r: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(
    Array.from({ length: r }, (_, i) => i),
    { minLength: r, maxLength: r },
  )

/** The inverse of a permutation. */
export const invertPerm = (perm: ReadonlyArray<number>): number[] => {
  const inv = new Array<number>(perm.length).fill(0)
  perm.forEach((p, i) => (inv[p] = i))
  return inv
}

// ---------------------------------------------------------------------------------------------
// randomness
// ---------------------------------------------------------------------------------------------

const M32 = (1n << 32n) - 1n
const rotlBig = (x: bigint, r: number): bigint => ((x << BigInt(r)) | (x >> BigInt(32 - r))) & M32

/** Threefry-2x32-20 as the paper describes it, in BigInt arithmetic with loops. */
export const threefryRef = (key: [number, number], ctr: [number, number]): [number, number] => {
  const rot = [13, 15, 26, 6, 17, 29, 16, 24]
  const ks = [BigInt(key[0]), BigInt(key[1])]
  ks.push(ks[0]! ^ ks[1]! ^ 0x1bd11bdan)
  let x0 = (BigInt(ctr[0]) + ks[0]!) & M32
  let x1 = (BigInt(ctr[1]) + ks[1]!) & M32
  for (let round = 0; round < 20; round++) {
    x0 = (x0 + x1) & M32
    x1 = rotlBig(x1, rot[round % 8]!) ^ x0
    if (round % 4 === 3) {
      const s = (round + 1) / 4
      x0 = (x0 + ks[s % 3]!) & M32
      x1 = (x1 + ks[(s + 1) % 3]! + BigInt(s)) & M32
    }
  }
  return [Number(x0), Number(x1)]
}
