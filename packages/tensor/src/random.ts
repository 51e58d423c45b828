/**
 * Explicit, splittable randomness (JAX's model). A `Key` is a tensor holding a pair of 32-bit
 * words; every sampler is a pure function of a key and a shape, so the same key gives
 * bit-identical numbers on every machine, whatever was drawn before. There is no hidden state: to
 * draw twice, `split` the key and use each child once.
 *
 * Deriving keys and drawing from them are primitives (`threefry2x32` and `sample`) that go
 * through `bind` like every op, so a transformation sees them: a function traced by `jit` with a
 * key argument draws fresh numbers from each key it is called with, and `vmap` over a batch of
 * keys draws one sample per key. Gradients through them are zero: keys are integers.
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
import { TensorError } from "./errors.ts"
import { bind } from "./dispatch.ts"
import { checkOptions } from "./options.ts"
import type { Shape } from "./shape.ts"
import { checkShape, normalizeAxis, showShape, sizeOf } from "./shape.ts"
import type { FloatDType, Sampler } from "./random/samplers.ts"
import { prepareSampler } from "./random/samplers.ts"

/** The float dtypes a float sampler draws. */
export type { FloatDType } from "./random/samplers.ts"

const TWO_32 = 4294967296

declare const keyBrand: unique symbol

/**
 * A PRNG key: an int32 tensor of shape `[2]` holding two unsigned 32-bit words (as their bit
 * patterns), or `[...batch, 2]` for a batch of keys. Make one with `key(seed)`, derive more with
 * `split` and `foldIn`, and save or restore it with `keyData` / `keyFromData`. Being a tensor, a key
 * passes through transformations like any argument: a jitted or vmapped function that takes one
 * draws from the key it is given on each call.
 */
export type Key = Tensor & { readonly [keyBrand]: true }

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

/** The two's-complement 64-bit words `[high, low]` of a safe integer. */
const words64 = (n: number): [number, number] => {
  const hi = Math.floor(n / TWO_32)
  return [hi >>> 0, n - hi * TWO_32]
}

/** An int32 `[2]` tensor of two words. */
const pair = (w0: number, w1: number): Tensor => new Tensor("int32", [2], Int32Array.of(w0, w1))

const describe = (x: unknown): string =>
  x instanceof Tensor
    ? `a ${x.dtype} tensor of shape ${showShape(x.shape)}`
    : Array.isArray(x)
      ? "an array"
      : x === null
        ? "null"
        : typeof x

const keyShape = (x: Tensor): boolean =>
  x.dtype === "int32" && x.rank >= 1 && x.shape[x.rank - 1] === 2

/** Checks that `k` is a key, or a batch of keys unless `single`. */
const checkKey = (op: string, k: unknown, single = false): Key => {
  if (!(k instanceof Tensor) || !keyShape(k) || (single && k.rank !== 1))
    throw new TensorError(
      op,
      `expected a PRNG key (from random.key, split or foldIn): an int32 tensor of shape [2]${single ? "" : " or [..., 2]"}, got ${describe(k)}`,
    )
  return k as Key
}

const checkSafeInteger = (op: string, arg: string, n: unknown): number => {
  if (typeof n !== "number" || !Number.isSafeInteger(n))
    throw new TensorError(op, `${arg} must be an integer with |${arg}| < 2^53, got ${String(n)}`)
  return n
}

/** The key that `key` makes of the counter `(hi, lo)`: one Threefry block, through `bind`. */
const derive = (key: Key, hi: number, lo: number): Key =>
  bind("threefry2x32", [key, pair(hi, lo)], {}) as Key

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
  return pair(hi, lo) as Key
}

/**
 * `n` new keys derived from `key` (default 2): child `i` encrypts the counter `(0, i)`. Children
 * differ from each other and from the parent; use the parent no further. A batch of keys gives
 * `n` batches, child `i` of each key in batch `i`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const [initKey, dropoutKey] = T.random.split(T.random.key(0))
 * T.random.keyData(initKey) // [1797259609, 2579123966] (as in JAX)
 */
export const split = (key: Key, n = 2): Key[] => {
  const k = checkKey("random.split", key)
  if (!Number.isInteger(n) || n < 1 || n >= TWO_32)
    throw new TensorError("random.split", `n must be an integer in [1, 2^32), got ${n}`)
  return Array.from({ length: n }, (_, i) => derive(k, 0, i))
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
  const k = checkKey("random.foldIn", key)
  const [hi, lo] = words64(checkSafeInteger("random.foldIn", "data", data))
  return derive(k, hi, lo)
}

/**
 * The key's two unsigned 32-bit words, for saving PRNG state (e.g. in a checkpoint). Reads the
 * key's value, so it needs a concrete key (not one being traced by `jit`).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.random.keyData(T.random.key(2 ** 32 + 5)) // [1, 5]
 */
export const keyData = (key: Key): [number, number] => {
  const d = checkKey("random.keyData", key, true).data
  return [d[0]! >>> 0, d[1]! >>> 0]
}

/**
 * Whether `x` is a pair of integers in [0, 2^32), i.e. something `keyFromData` accepts.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.random.isKeyData(JSON.parse("[0, 42]")) // true
 */
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
  return pair(data[0], data[1]) as Key
}

/**
 * Whether `x` can be used as a key: an int32 tensor whose last axis has two words (`[2]` for one
 * key, `[...batch, 2]` for a batch).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.random.isKey(T.random.key(0)) // true
 * T.random.isKey(T.zeros([2])) // false: float32
 */
export const isKey = (x: unknown): x is Key => x instanceof Tensor && keyShape(x)

// ---------------------------------------------------------------------------------------------
// samplers
// ---------------------------------------------------------------------------------------------

/**
 * Draws `shape` values from each key of `key` through the `sample` primitive, after checking the
 * key, the shape and the sampler (so bad arguments throw where the sampler is called, also when
 * a transformation traces it).
 */
const draw = (op: string, key: Key, shape: Shape, sampler: Sampler): Tensor => {
  const k = checkKey(op, key)
  const n = sizeOf(checkShape(op, "shape", shape))
  if (n >= TWO_32) throw new TensorError(op, `shape ${showShape(shape)} has 2^32 elements or more`)
  prepareSampler(op, sampler)
  return bind("sample", [k], { sampler, shape: [...shape] })
}

/** Options of `uniform`. */
export interface UniformOptions {
  readonly dtype?: FloatDType
  /** Inclusive lower bound (default 0). */
  readonly min?: number
  /** Exclusive upper bound (default 1). */
  readonly max?: number
}

/**
 * Uniform floats in [min, max) (default [0, 1)). A float32 in [0, 1) is the top 23 bits of a
 * 32-bit draw over 2^23 (JAX's construction: a float in [1, 2) minus 1); a float64 uses 52 bits.
 * Other ranges are `min + u·(max − min)` rounded to the dtype and kept below `max`; the bounds
 * are read as values of the dtype (`Math.fround(min)` for float32). A batch of keys
 * `[...batch, 2]` draws `[...batch, ...shape]`, each key's values as it alone would give them.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const x = T.random.uniform(T.random.key(0), [2, 3], { min: -1, max: 1 })
 */
export const uniform = (key: Key, shape: Shape = [], given?: UniformOptions): Tensor => {
  const op = "random.uniform"
  const options = checkOptions(op, given, { dtype: "dtype", min: "number", max: "number" })
  return draw(op, key, shape, {
    kind: "uniform",
    dtype: options.dtype ?? "float32",
    min: options.min ?? 0,
    max: options.max ?? 1,
  })
}

/** Options of `normal`. */
export interface NormalOptions {
  readonly dtype?: FloatDType
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
  const op = "random.normal"
  const options = checkOptions(op, given, { dtype: "dtype", mean: "number", std: "number" })
  return draw(op, key, shape, {
    kind: "normal",
    dtype: options.dtype ?? "float32",
    mean: options.mean ?? 0,
    std: options.std ?? 1,
  })
}

/** Options of `truncatedNormal`. */
export interface TruncatedNormalOptions {
  readonly dtype?: FloatDType
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
  return draw(op, key, shape, {
    kind: "truncatedNormal",
    dtype: options.dtype ?? "float32",
    lower: options.lower ?? -2,
    upper: options.upper ?? 2,
  })
}

/**
 * 0/1 samples (int32) that are 1 with probability `p` (exactly ⌈p·2^32⌉/2^32: a 32-bit draw
 * below p·2^32).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const keep = T.random.bernoulli(T.random.key(3), 0.9, [32, 16]) // a dropout mask
 */
export const bernoulli = (key: Key, p: number, shape: Shape = []): Tensor =>
  draw("random.bernoulli", key, shape, { kind: "bernoulli", p })

/**
 * Uniform int32 integers in [min, max), exactly unbiased (rejection sampling on 32-bit draws).
 * `min` and `max` are integers with −2^31 ≤ min < max ≤ 2^31.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const digits = T.random.randint(T.random.key(4), [8], 0, 10)
 */
export const randint = (key: Key, shape: Shape, min: number, max: number): Tensor =>
  draw("random.randint", key, shape, { kind: "randint", min, max })

/**
 * A uniformly random permutation of 0, 1, …, n−1 (int32, shape [n]): Fisher–Yates with exactly
 * uniform swaps, so every order has probability 1/n!.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const order = T.random.permutation(T.random.key(5), 60000) // the order of an epoch
 */
export const permutation = (key: Key, n: number): Tensor => {
  const op = "random.permutation"
  checkKey(op, key)
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31)
    throw new TensorError(op, `n must be an integer in [0, 2^31), got ${n}`)
  return draw(op, key, [n], { kind: "permutation" })
}

/**
 * `x` with its slices along `axis` (default 0) in a random order: slice i of the result is slice
 * `permutation(key, x.shape[axis])[i]` of `x` (a `gather`, so it works inside transformations).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const rows = T.random.shuffle(T.random.key(6), T.tensor([[1, 2], [3, 4], [5, 6]]))
 */
export const shuffle = (key: Key, x: Tensor, axis = 0): Tensor => {
  const op = "random.shuffle"
  const k = checkKey(op, key, true)
  if (!(x instanceof Tensor)) throw new TensorError(op, `x must be a tensor, got ${describe(x)}`)
  if (x.rank === 0) throw new TensorError(op, "x must have at least one axis, got a scalar")
  const ax = normalizeAxis(op, axis, x.rank)
  return bind("gather", [x, permutation(k, x.shape[ax]!)], { axis: ax })
}
