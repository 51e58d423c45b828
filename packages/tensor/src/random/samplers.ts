/**
 * The samplers as number-level loops: what the `sample` primitive draws from one key. Each
 * sampler is plain data (`Sampler`, the primitive's parameter); `prepareSampler` checks it and
 * returns a function that fills `n` values from a key's two words. Floats are built from the bits
 * exactly (see `special.ts`), so a sample is a pure function of its key on any machine.
 *
 * Layout (as JAX with `jax_threefry_partitionable`): element `i` comes from the block that key
 * `(k0, k1)` makes of the counter `(0, i)`; samplers that reject draws read the blocks 0, 1, 2, …
 * as one stream of words instead.
 * @module
 */
import type { DType, TypedArray } from "../dtype.ts"
import { TensorError } from "../errors.ts"
import { threefry2x32 } from "./threefry.ts"
import { nextAfter, normalCdf, normalQuantile } from "./special.ts"

const TWO_32 = 4294967296
const TWO_M23 = 2 ** -23
const TWO_M32 = 2 ** -32
const TWO_M52 = 2 ** -52

/** The float dtypes a float sampler draws. */
export type FloatDType = "float32" | "float64"

/**
 * What to draw, as the `sample` primitive's parameter. Bounds are as the user gave them;
 * `prepareSampler` says which values are accepted.
 */
export type Sampler =
  | {
      readonly kind: "uniform"
      readonly dtype: FloatDType
      readonly min: number
      readonly max: number
    }
  | {
      readonly kind: "normal"
      readonly dtype: FloatDType
      readonly mean: number
      readonly std: number
    }
  | {
      readonly kind: "truncatedNormal"
      readonly dtype: FloatDType
      readonly lower: number
      readonly upper: number
    }
  | { readonly kind: "bernoulli"; readonly p: number }
  | { readonly kind: "randint"; readonly min: number; readonly max: number }
  | { readonly kind: "permutation" }

/** The dtype of a sampler's values. */
export const samplerDType = (s: Sampler): DType =>
  s.kind === "uniform" || s.kind === "normal" || s.kind === "truncatedNormal" ? s.dtype : "int32"

/** Fills `out[offset .. offset + n)` with the sampler's values for the key `(k0, k1)`. */
export type Fill = (k0: number, k1: number, out: TypedArray, offset: number, n: number) => void

// ---------------------------------------------------------------------------------------------
// bits
// ---------------------------------------------------------------------------------------------

/** 32 bits per element: the xor of the two words of block `(0, i)` (as JAX). */
const bits32 = (k0: number, k1: number, n: number): Uint32Array => {
  const bits = new Uint32Array(n)
  const out = new Uint32Array(2)
  for (let i = 0; i < n; i++) {
    threefry2x32(k0, k1, 0, i, out)
    bits[i] = out[0]! ^ out[1]!
  }
  return bits
}

/** The top 52 of the 64 bits `(y0 << 32) | y1` of block `(0, i)`, as an integer-valued double. */
const bits52 = (k0: number, k1: number, n: number): Float64Array => {
  const bits = new Float64Array(n)
  const out = new Uint32Array(2)
  for (let i = 0; i < n; i++) {
    threefry2x32(k0, k1, 0, i, out)
    bits[i] = out[0]! * 1048576 + (out[1]! >>> 12)
  }
  return bits
}

/**
 * An unbounded stream of words (block `(hi, lo)` = `c` gives words `2c` and `2c + 1`), for
 * samplers that reject draws and so need a variable number of them.
 */
class WordStream {
  readonly #k0: number
  readonly #k1: number
  readonly #buf = new Uint32Array(2)
  #block = 0
  #pos = 2

  constructor(k0: number, k1: number) {
    this.#k0 = k0
    this.#k1 = k1
  }

  next(): number {
    if (this.#pos === 2) {
      const c = this.#block++
      threefry2x32(this.#k0, this.#k1, Math.floor(c / TWO_32), c >>> 0, this.#buf)
      this.#pos = 0
    }
    return this.#buf[this.#pos++]!
  }

  /** A uniform integer in [0, s) for an integer s in [1, 2^32], exactly unbiased (rejection). */
  below(s: number): number {
    if (s === TWO_32) return this.next()
    const limit = TWO_32 - (TWO_32 % s)
    for (;;) {
      const w = this.next()
      if (w < limit) return w % s
    }
  }
}

/**
 * Uniform numbers strictly inside (0, 1) for the inverse-CDF samplers: (b + ½)/2^32 from 32 bits
 * (float32) or (b + ½)/2^52 from 52 bits (float64). Never 0 or 1, so no quantile is infinite.
 */
const openUnit = (k0: number, k1: number, n: number, single: boolean): Float64Array => {
  if (single) {
    const bits = bits32(k0, k1, n)
    const u = new Float64Array(n)
    for (let i = 0; i < n; i++) u[i] = (bits[i]! + 0.5) * TWO_M32
    return u
  }
  const u = bits52(k0, k1, n)
  for (let i = 0; i < n; i++) u[i] = (u[i]! + 0.5) * TWO_M52
  return u
}

// ---------------------------------------------------------------------------------------------
// samplers
// ---------------------------------------------------------------------------------------------

const checkFloatDType = (op: string, dtype: unknown): FloatDType => {
  if (dtype !== "float32" && dtype !== "float64")
    throw new TensorError(op, `dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}`)
  return dtype
}

const checkFinite = (op: string, arg: string, x: unknown): number => {
  if (typeof x !== "number" || !Number.isFinite(x))
    throw new TensorError(op, `${arg} must be a finite number, got ${String(x)}`)
  return x
}

/**
 * Float32 in [0, 1): the top 23 bits of a 32-bit draw over 2^23 (JAX's construction: a float in
 * [1, 2) minus 1); float64: 52 bits. Then `min + u·(max − min)` rounded to the dtype and kept below
 * `max`, the bounds read as values of the dtype.
 */
const uniform = (op: string, s: Sampler & { kind: "uniform" }): Fill => {
  const dtype = checkFloatDType(op, s.dtype)
  const single = dtype === "float32"
  const round = single ? Math.fround : (x: number): number => x
  const lo = round(checkFinite(op, "min", s.min))
  const hi = round(checkFinite(op, "max", s.max))
  if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi))
    throw new TensorError(op, `needs finite min < max in ${dtype}, got min ${lo} and max ${hi}`)
  const top = nextAfter(hi, -1, single)
  // Halve the bounds when max − min overflows, so the affine map stays finite.
  const scale = Number.isFinite(hi - lo) ? 1 : 2
  const a = lo / scale
  const w = hi / scale - a
  if (single)
    return (k0, k1, out, offset, n) => {
      const bits = bits32(k0, k1, n)
      for (let i = 0; i < n; i++) {
        const u = (bits[i]! >>> 9) * TWO_M23
        out[offset + i] = Math.min(round((a + u * w) * scale), top)
      }
    }
  return (k0, k1, out, offset, n) => {
    const bits = bits52(k0, k1, n)
    for (let i = 0; i < n; i++) {
      const u = bits[i]! * TWO_M52
      out[offset + i] = Math.min((a + u * w) * scale, top)
    }
  }
}

/** `mean + std·Φ⁻¹(u)` with u from `openUnit`. */
const normal = (op: string, s: Sampler & { kind: "normal" }): Fill => {
  const single = checkFloatDType(op, s.dtype) === "float32"
  const mean = checkFinite(op, "mean", s.mean)
  const std = checkFinite(op, "std", s.std)
  if (std < 0) throw new TensorError(op, `std must be ≥ 0, got ${std}`)
  return (k0, k1, out, offset, n) => {
    const u = openUnit(k0, k1, n, single)
    for (let i = 0; i < n; i++) out[offset + i] = mean + std * normalQuantile(u[i]!)
  }
}

/**
 * z = Φ⁻¹(Φ(lower) + u·(Φ(upper) − Φ(lower))), clamped to the dtype's values strictly inside the
 * bounds; an interval in the upper tail is sampled by symmetry from the lower one.
 */
const truncatedNormal = (op: string, s: Sampler & { kind: "truncatedNormal" }): Fill => {
  const dtype = checkFloatDType(op, s.dtype)
  const single = dtype === "float32"
  const { lower, upper } = s
  if (typeof lower !== "number" || typeof upper !== "number" || !(lower < upper))
    throw new TensorError(op, `needs lower < upper, got lower ${lower} and upper ${upper}`)
  // The dtype's values just inside the bounds.
  const round = single ? Math.fround : (x: number): number => x
  const rl = round(lower)
  const ru = round(upper)
  const first = rl > lower ? rl : nextAfter(rl, 1, single)
  const last = ru < upper ? ru : nextAfter(ru, -1, single)
  if (!(first <= last))
    throw new TensorError(op, `no ${dtype} value lies strictly between ${lower} and ${upper}`)
  const mirror = lower > 0
  const a = mirror ? -upper : lower
  const b = mirror ? -lower : upper
  const pa = normalCdf(a)
  const pb = normalCdf(b)
  if (!(pb > pa))
    throw new TensorError(
      op,
      `the probability of (${lower}, ${upper}) is too small to sample by inversion in float64`,
    )
  const width = pb - pa
  return (k0, k1, out, offset, n) => {
    const u = openUnit(k0, k1, n, single)
    for (let i = 0; i < n; i++) {
      const z = normalQuantile(pa + u[i]! * width)
      const r = round(mirror ? -z : z)
      out[offset + i] = r < first ? first : r > last ? last : r
    }
  }
}

/** 1 where a 32-bit draw is below p·2^32: probability exactly ⌈p·2^32⌉/2^32. */
const bernoulli = (op: string, s: Sampler & { kind: "bernoulli" }): Fill => {
  const { p } = s
  if (typeof p !== "number" || !(p >= 0 && p <= 1))
    throw new TensorError(op, `p must be a number in [0, 1], got ${String(p)}`)
  const threshold = p * TWO_32
  return (k0, k1, out, offset, n) => {
    const bits = bits32(k0, k1, n)
    for (let i = 0; i < n; i++) out[offset + i] = bits[i]! < threshold ? 1 : 0
  }
}

/** Integers in [min, max) by rejection on the word stream, exactly unbiased. */
const randint = (op: string, s: Sampler & { kind: "randint" }): Fill => {
  const { min, max } = s
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < -(2 ** 31) || max > 2 ** 31)
    throw new TensorError(
      op,
      `min and max must be integers in [-2^31, 2^31], got ${min} and ${max}`,
    )
  if (!(min < max)) throw new TensorError(op, `needs min < max, got min ${min} and max ${max}`)
  const span = max - min
  return (k0, k1, out, offset, n) => {
    const stream = new WordStream(k0, k1)
    for (let i = 0; i < n; i++) out[offset + i] = min + stream.below(span)
  }
}

/** Fisher–Yates on 0..n−1 with exactly uniform swaps: every order has probability 1/n!. */
const permutation = (): Fill => (k0, k1, out, offset, n) => {
  for (let i = 0; i < n; i++) out[offset + i] = i
  const stream = new WordStream(k0, k1)
  for (let i = n - 1; i > 0; i--) {
    const j = stream.below(i + 1)
    const t = out[offset + i]!
    out[offset + i] = out[offset + j]!
    out[offset + j] = t
  }
}

/**
 * Checks a sampler (throwing a `TensorError` for `op` that names the bad argument) and returns
 * what fills values from a key.
 */
export const prepareSampler = (op: string, s: Sampler): Fill => {
  switch (s.kind) {
    case "uniform":
      return uniform(op, s)
    case "normal":
      return normal(op, s)
    case "truncatedNormal":
      return truncatedNormal(op, s)
    case "bernoulli":
      return bernoulli(op, s)
    case "randint":
      return randint(op, s)
    case "permutation":
      return permutation()
  }
}
