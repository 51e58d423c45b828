/**
 * Explicit, splittable randomness (JAX's model). A `Key` is an immutable pair of 32-bit words;
 * every sampler is a pure function of a key and a shape, so the same key gives bit-identical
 * numbers on every machine, whatever was drawn before. There is no hidden state: to draw twice,
 * `split` the key and use each child once.
 *
 * The generator is Threefry-2x32 (20 rounds) in counter mode, laid out as JAX does with
 * `jax_threefry_partitionable` (its default since 0.5): key `(k0, k1)` encrypts the counter
 * `(0, i)` to give element `i`, so `split(k, n)[i]` is `foldIn(k, i)`, and keys and raw bits
 * agree with JAX's. Floats are built from those bits exactly; the normal quantile and CDF use only
 * correctly rounded arithmetic (see `random/special.ts`), never the engine's `Math.log`.
 *
 * Use each key once: either split or fold it, or draw from it. Drawing from a key that was also
 * split gives numbers related to the children.
 * @module
 */
import { Tensor } from "./tensor.ts"
import { allocate } from "./dtype.ts"
import { TensorError } from "./errors.ts"
import { checkOptions } from "./options.ts"
import type { Shape } from "./shape.ts"
import { checkShape, normalizeAxis, sizeOf } from "./shape.ts"
import { threefry2x32 } from "./random/threefry.ts"
import { nextAfter, normalCdf, normalQuantile } from "./random/special.ts"

const TWO_32 = 4294967296
const TWO_M23 = 2 ** -23
const TWO_M32 = 2 ** -32
const TWO_M52 = 2 ** -52

/**
 * A PRNG key: an immutable pair of unsigned 32-bit words. Make one with `key(seed)`, derive more
 * with `split` and `foldIn`, and save or restore it with `keyData` / `keyFromData`.
 * `JSON.stringify` writes it as its two words.
 */
class Key {
  readonly #k0: number
  readonly #k1: number

  constructor(k0: number, k1: number) {
    this.#k0 = k0
    this.#k1 = k1
  }

  /** The two words, high first. */
  static words(k: Key): [number, number] {
    return [k.#k0, k.#k1]
  }

  toString(): string {
    return `Key(${this.#k0}, ${this.#k1})`
  }

  toJSON(): [number, number] {
    return [this.#k0, this.#k1]
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString()
  }
}

export type { Key }

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

/** The two's-complement 64-bit words `[high, low]` of a safe integer. */
const words64 = (n: number): [number, number] => {
  const hi = Math.floor(n / TWO_32)
  return [hi >>> 0, n - hi * TWO_32]
}

const checkKey = (op: string, k: unknown): [number, number] => {
  if (!(k instanceof Key))
    throw new TensorError(
      op,
      `expected a PRNG key (from random.key, split or foldIn), got ${describe(k)}`,
    )
  return Key.words(k)
}

const describe = (x: unknown): string =>
  x instanceof Tensor
    ? `a tensor of shape [${x.shape.join(", ")}]`
    : Array.isArray(x)
      ? "an array"
      : x === null
        ? "null"
        : typeof x

const checkSafeInteger = (op: string, arg: string, n: unknown): number => {
  if (typeof n !== "number" || !Number.isSafeInteger(n))
    throw new TensorError(op, `${arg} must be an integer with |${arg}| < 2^53, got ${String(n)}`)
  return n
}

/**
 * A key from an integer seed. Like JAX, the seed is read as a 64-bit two's-complement integer
 * whose high and low words become the key: `key(42)` is `(0, 42)`, `key(-1)` is
 * `(0xffffffff, 0xffffffff)`. Throws for non-integers, NaN and |seed| ≥ 2^53.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const k = T.random.key(0)
 * T.random.keyData(k) // [0, 0]
 */
export const key = (seed: number): Key => {
  const [hi, lo] = words64(checkSafeInteger("random.key", "seed", seed))
  return new Key(hi, lo)
}

/**
 * `n` new keys derived from `key` (default 2): child `i` encrypts the counter `(0, i)`. Children
 * differ from each other and from the parent; use the parent no further.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const [initKey, dropoutKey] = T.random.split(T.random.key(0))
 * T.random.keyData(initKey) // [1797259609, 2579123966] (as in JAX)
 */
export const split = (key: Key, n = 2): Key[] => {
  const [k0, k1] = checkKey("random.split", key)
  if (!Number.isInteger(n) || n < 1 || n >= TWO_32)
    throw new TensorError("random.split", `n must be an integer in [1, 2^32), got ${n}`)
  const out = new Uint32Array(2)
  const keys = new Array<Key>(n)
  for (let i = 0; i < n; i++) {
    threefry2x32(k0, k1, 0, i, out)
    keys[i] = new Key(out[0]!, out[1]!)
  }
  return keys
}

/**
 * A key derived from `key` and an integer (an epoch, a step, a layer index), without splitting:
 * `foldIn(k, i)` equals `split(k, n)[i]` for `0 ≤ i < n`. `data` is read as a 64-bit integer like
 * a seed.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const epochKey = T.random.foldIn(T.random.key(0), 3)
 */
export const foldIn = (key: Key, data: number): Key => {
  const [k0, k1] = checkKey("random.foldIn", key)
  const [hi, lo] = words64(checkSafeInteger("random.foldIn", "data", data))
  const out = new Uint32Array(2)
  threefry2x32(k0, k1, hi, lo, out)
  return new Key(out[0]!, out[1]!)
}

/**
 * The key's two unsigned 32-bit words, for saving PRNG state (e.g. in a checkpoint).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.random.keyData(T.random.key(2 ** 32 + 5)) // [1, 5]
 */
export const keyData = (key: Key): [number, number] => checkKey("random.keyData", key)

/** Whether `x` is a pair of integers in [0, 2^32), i.e. something `keyFromData` accepts. */
export const isKeyData = (x: unknown): x is readonly [number, number] =>
  Array.isArray(x) &&
  x.length === 2 &&
  x.every((w) => typeof w === "number" && Number.isInteger(w) && w >= 0 && w < TWO_32)

/**
 * The key whose words are `data` (the inverse of `keyData`). Throws unless both are integers in
 * [0, 2^32); check untrusted input with `isKeyData` first.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const k = T.random.keyFromData([0, 42]) // the same key as T.random.key(42)
 */
export const keyFromData = (data: readonly [number, number]): Key => {
  if (!isKeyData(data))
    throw new TensorError(
      "random.keyFromData",
      `expected two integers in [0, 2^32), got ${JSON.stringify(data)}`,
    )
  return new Key(data[0], data[1])
}

/** Whether `x` is a PRNG key. */
export const isKey = (x: unknown): x is Key => x instanceof Key

// ---------------------------------------------------------------------------------------------
// bits
// ---------------------------------------------------------------------------------------------

const checkSize = (op: string, shape: Shape): number => {
  const n = sizeOf(checkShape(op, "shape", shape))
  if (n >= TWO_32)
    throw new TensorError(op, `shape [${shape.join(", ")}] has 2^32 elements or more`)
  return n
}

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

// ---------------------------------------------------------------------------------------------
// samplers
// ---------------------------------------------------------------------------------------------

type FloatDType = "float32" | "float64"

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

/** Options of `uniform`. */
export interface UniformOptions {
  readonly dtype?: "float32" | "float64"
  /** Inclusive lower bound (default 0). */
  readonly min?: number
  /** Exclusive upper bound (default 1). */
  readonly max?: number
}

/**
 * Uniform floats in [min, max) (default [0, 1)). A float32 in [0, 1) is the top 23 bits of a
 * 32-bit draw over 2^23 (JAX's construction: a float in [1, 2) minus 1); a float64 uses 52 bits.
 * Other ranges are `min + u·(max − min)` rounded to the dtype and kept below `max`; the bounds
 * are read as values of the dtype (`Math.fround(min)` for float32).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const x = T.random.uniform(T.random.key(0), [2, 3], { min: -1, max: 1 })
 */
export const uniform = (key: Key, shape: Shape = [], given?: UniformOptions): Tensor => {
  const op = "random.uniform"
  const options = checkOptions(op, given, { dtype: "dtype", min: "number", max: "number" })
  const [k0, k1] = checkKey(op, key)
  const n = checkSize(op, shape)
  const dtype = checkFloatDType(op, options.dtype ?? "float32")
  const single = dtype === "float32"
  const round = single ? Math.fround : (x: number): number => x
  const lo = round(checkFinite(op, "min", options.min ?? 0))
  const hi = round(checkFinite(op, "max", options.max ?? 1))
  if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi))
    throw new TensorError(op, `needs finite min < max in ${dtype}, got min ${lo} and max ${hi}`)
  const top = nextAfter(hi, -1, single)
  // Halve the bounds when max − min overflows, so the affine map stays finite.
  const scale = Number.isFinite(hi - lo) ? 1 : 2
  const a = lo / scale
  const w = hi / scale - a
  if (single) {
    const bits = bits32(k0, k1, n)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const u = (bits[i]! >>> 9) * TWO_M23
      data[i] = Math.min(round((a + u * w) * scale), top)
    }
    return new Tensor(dtype, [...shape], data)
  }
  const bits = bits52(k0, k1, n)
  const data = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const u = bits[i]! * TWO_M52
    data[i] = Math.min((a + u * w) * scale, top)
  }
  return new Tensor(dtype, [...shape], data)
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

/** Options of `normal`. */
export interface NormalOptions {
  readonly dtype?: "float32" | "float64"
  /** Default 0. */
  readonly mean?: number
  /** Standard deviation, ≥ 0 (default 1). */
  readonly std?: number
}

/**
 * Normal samples `mean + std·Φ⁻¹(u)`, with u uniform in (0, 1) from 32 bits (float32) or 52 bits
 * (float64) and Φ⁻¹ Wichura's AS 241 quantile (about 16 digits). Always finite: |Φ⁻¹(u)| stays
 * below 6.4 for float32 and 8.3 for float64.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const w = T.random.normal(T.random.key(1), [784, 16], { std: 0.05 })
 */
export const normal = (key: Key, shape: Shape = [], given?: NormalOptions): Tensor => {
  const options = checkOptions("random.normal", given, {
    dtype: "dtype",
    mean: "number",
    std: "number",
  })
  const op = "random.normal"
  const [k0, k1] = checkKey(op, key)
  const n = checkSize(op, shape)
  const dtype = checkFloatDType(op, options.dtype ?? "float32")
  const mean = checkFinite(op, "mean", options.mean ?? 0)
  const std = checkFinite(op, "std", options.std ?? 1)
  if (std < 0) throw new TensorError(op, `std must be ≥ 0, got ${std}`)
  const u = openUnit(k0, k1, n, dtype === "float32")
  const data = dtype === "float32" ? new Float32Array(n) : new Float64Array(n)
  for (let i = 0; i < n; i++) data[i] = mean + std * normalQuantile(u[i]!)
  return new Tensor(dtype, [...shape], data)
}

/** Options of `truncatedNormal`. */
export interface TruncatedNormalOptions {
  readonly dtype?: "float32" | "float64"
  /** Default −2; may be −Infinity. */
  readonly lower?: number
  /** Default 2; may be Infinity. */
  readonly upper?: number
}

/**
 * Standard normal samples conditioned on lower < z < upper (default (−2, 2)), by inversion:
 * z = Φ⁻¹(Φ(lower) + u·(Φ(upper) − Φ(lower))). Intervals in the upper tail are sampled by symmetry
 * from the lower one, where Φ keeps its relative precision. Every value is a value of the dtype
 * strictly between the bounds. Throws when the interval's probability does not register in
 * float64 (Φ(upper) = Φ(lower), e.g. (−50, −49) or (0, 1e−30)).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const w = T.random.truncatedNormal(T.random.key(2), [256, 128], { lower: -2, upper: 2 })
 */
export const truncatedNormal = (
  key: Key,
  shape: Shape = [],
  given?: TruncatedNormalOptions,
): Tensor => {
  const op = "random.truncatedNormal"
  const options = checkOptions(op, given, { dtype: "dtype", lower: "number", upper: "number" })
  const [k0, k1] = checkKey(op, key)
  const n = checkSize(op, shape)
  const dtype = checkFloatDType(op, options.dtype ?? "float32")
  const single = dtype === "float32"
  const lower = options.lower ?? -2
  const upper = options.upper ?? 2
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
  const u = openUnit(k0, k1, n, single)
  const data = single ? new Float32Array(n) : new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const z = normalQuantile(pa + u[i]! * width)
    const r = round(mirror ? -z : z)
    data[i] = r < first ? first : r > last ? last : r
  }
  return new Tensor(dtype, [...shape], data)
}

/**
 * 0/1 samples (int32) that are 1 with probability `p` (exactly ⌈p·2^32⌉/2^32: a 32-bit draw
 * below p·2^32).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const keep = T.random.bernoulli(T.random.key(3), 0.9, [32, 16]) // a dropout mask
 */
export const bernoulli = (key: Key, p: number, shape: Shape = []): Tensor => {
  const op = "random.bernoulli"
  const [k0, k1] = checkKey(op, key)
  const n = checkSize(op, shape)
  if (typeof p !== "number" || !(p >= 0 && p <= 1))
    throw new TensorError(op, `p must be a number in [0, 1], got ${String(p)}`)
  const threshold = p * TWO_32
  const bits = bits32(k0, k1, n)
  const data = new Int32Array(n)
  for (let i = 0; i < n; i++) data[i] = bits[i]! < threshold ? 1 : 0
  return new Tensor("int32", [...shape], data)
}

/**
 * Uniform int32 integers in [min, max), exactly unbiased (rejection sampling on 32-bit draws).
 * `min` and `max` are integers with −2^31 ≤ min < max ≤ 2^31.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const digits = T.random.randint(T.random.key(4), [8], 0, 10)
 */
export const randint = (key: Key, shape: Shape, min: number, max: number): Tensor => {
  const op = "random.randint"
  const [k0, k1] = checkKey(op, key)
  const n = checkSize(op, shape)
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < -(2 ** 31) || max > 2 ** 31)
    throw new TensorError(
      op,
      `min and max must be integers in [-2^31, 2^31], got ${min} and ${max}`,
    )
  if (!(min < max)) throw new TensorError(op, `needs min < max, got min ${min} and max ${max}`)
  const span = max - min
  const stream = new WordStream(k0, k1)
  const data = new Int32Array(n)
  for (let i = 0; i < n; i++) data[i] = min + stream.below(span)
  return new Tensor("int32", [...shape], data)
}

/** Fisher–Yates on 0..n−1 with exactly uniform swaps: every order has probability 1/n!. */
const shuffled = (k0: number, k1: number, n: number): Int32Array => {
  const perm = new Int32Array(n)
  for (let i = 0; i < n; i++) perm[i] = i
  const stream = new WordStream(k0, k1)
  for (let i = n - 1; i > 0; i--) {
    const j = stream.below(i + 1)
    const t = perm[i]!
    perm[i] = perm[j]!
    perm[j] = t
  }
  return perm
}

/**
 * A uniformly random permutation of 0, 1, …, n−1 (int32, shape [n]).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const order = T.random.permutation(T.random.key(5), 60000) // the order of an epoch
 */
export const permutation = (key: Key, n: number): Tensor => {
  const op = "random.permutation"
  const [k0, k1] = checkKey(op, key)
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31)
    throw new TensorError(op, `n must be an integer in [0, 2^31), got ${n}`)
  return new Tensor("int32", [n], shuffled(k0, k1, n))
}

/**
 * `x` with its slices along `axis` (default 0) in a random order: slice i of the result is slice
 * `permutation(key, x.shape[axis])[i]` of `x`. Works on concrete tensors only; inside a
 * transformation use `take(x, permutation(key, n), axis)`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const rows = T.random.shuffle(T.random.key(6), T.tensor([[1, 2], [3, 4], [5, 6]]))
 */
export const shuffle = (key: Key, x: Tensor, axis = 0): Tensor => {
  const op = "random.shuffle"
  const [k0, k1] = checkKey(op, key)
  if (!(x instanceof Tensor)) throw new TensorError(op, `x must be a tensor, got ${describe(x)}`)
  if (x.trace !== undefined)
    throw new TensorError(
      op,
      "x belongs to a transformation; use take(x, permutation(key, n), axis) there",
    )
  if (x.rank === 0) throw new TensorError(op, "x must have at least one axis, got a scalar")
  const ax = normalizeAxis(op, axis, x.rank)
  const n = x.shape[ax]!
  const perm = shuffled(k0, k1, n)
  const outer = sizeOf(x.shape.slice(0, ax))
  const inner = sizeOf(x.shape.slice(ax + 1))
  const src = x.data
  const data = allocate(x.dtype, src.length)
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner
    for (let i = 0; i < n; i++) {
      const from = base + perm[i]! * inner
      const to = base + i * inner
      for (let j = 0; j < inner; j++) data[to + j] = src[from + j]!
    }
  }
  return new Tensor(x.dtype, [...x.shape], data)
}
