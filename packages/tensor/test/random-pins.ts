/**
 * The outputs of every key function and sampler on many seeds, shapes, dtypes and options, each
 * reduced to a short hash of its dtype, shape and bytes. `random-pinned.test.ts` holds the hashes
 * these cases gave when they were pinned: a sample is a pure function of its key, and saved models,
 * dropout masks and epoch orders depend on it staying so.
 * @module
 */
import * as random from "../src/random.ts"
import type { Key } from "../src/random.ts"
import { Tensor } from "../src/tensor.ts"

/**
 * A 64-bit hash of bytes (two multiplicative streams over the bytes, then an avalanche of each),
 * as 16 hex digits. Not cryptographic; any change of a byte changes it with near certainty.
 */
const hash64 = (bytes: Uint8Array): string => {
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

/** The bytes of an ASCII string. */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

/** The hash of a tensor's dtype, shape and little-endian bytes, or of a list of key words. */
export const digest = (x: Tensor | ReadonlyArray<readonly [number, number]>): string => {
  if (!(x instanceof Tensor)) return hash64(ascii(JSON.stringify(x)))
  const head = ascii(`${x.dtype}[${x.shape.join(",")}]`)
  const body = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength)
  const bytes = new Uint8Array(head.length + body.length)
  bytes.set(head)
  bytes.set(body, head.length)
  return hash64(bytes)
}

const seeds = [0, 1, 42, 7777, -1, -123456789, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, -(2 ** 40)]
const shapes: ReadonlyArray<ReadonlyArray<number>> = [[], [1], [7], [3, 5], [2, 3, 4], [1000]]
const dtypes = ["float32", "float64"] as const

/** A few keys from each seed: the seed's key, a split child and a folded key. */
const keysOf = (seed: number): ReadonlyArray<readonly [string, Key]> => {
  const k = random.key(seed)
  return [
    [`key(${seed})`, k],
    [`split(key(${seed}), 3)[2]`, random.split(k, 3)[2]!],
    [`foldIn(key(${seed}), 99)`, random.foldIn(k, 99)],
  ]
}

/** Every case: a name and the value it produces now. */
export const cases = (): ReadonlyArray<readonly [string, () => string]> => {
  const out: Array<readonly [string, () => string]> = []
  const add = (name: string, f: () => Tensor | ReadonlyArray<readonly [number, number]>): void => {
    out.push([name, () => digest(f())])
  }

  for (const seed of seeds) {
    const k = random.key(seed)
    add(`keyData key(${seed})`, () => [random.keyData(k)])
    for (const n of [1, 2, 3, 7, 64])
      add(`split(key(${seed}), ${n})`, () => random.split(k, n).map(random.keyData))
    for (const d of [0, 1, 2, 63, 2 ** 31, 2 ** 32 + 3, -1, -(2 ** 50), Number.MAX_SAFE_INTEGER])
      add(`foldIn(key(${seed}), ${d})`, () => [random.keyData(random.foldIn(k, d))])
    add(`split(split(key(${seed}))[1], 4)`, () =>
      random.split(random.split(k)[1]!, 4).map(random.keyData),
    )
  }

  for (const seed of seeds)
    for (const [kn, k] of keysOf(seed)) {
      for (const shape of shapes) {
        const s = `[${shape.join(",")}]`
        for (const dtype of dtypes) {
          add(`uniform ${kn} ${s} ${dtype}`, () => random.uniform(k, shape, { dtype }))
          add(`normal ${kn} ${s} ${dtype}`, () => random.normal(k, shape, { dtype }))
          add(`truncatedNormal ${kn} ${s} ${dtype}`, () =>
            random.truncatedNormal(k, shape, { dtype }),
          )
        }
        add(`bernoulli ${kn} 0.5 ${s}`, () => random.bernoulli(k, 0.5, shape))
        add(`randint ${kn} ${s} [0, 10)`, () => random.randint(k, shape, 0, 10))
      }
      for (const dtype of dtypes) {
        const shape = [40, 25]
        for (const [min, max] of [
          [-1, 1],
          [0.25, 0.5],
          [-3.4e38, 3.4e38],
          [1e-30, 2e-30],
          [-100, -99.5],
        ] as const)
          add(`uniform ${kn} [40,25] ${dtype} [${min}, ${max})`, () =>
            random.uniform(k, shape, { dtype, min, max }),
          )
        for (const [mean, std] of [
          [0, 0.05],
          [3, 2],
          [-1e6, 1e-3],
          [1, 0],
        ] as const)
          add(`normal ${kn} [40,25] ${dtype} mean ${mean} std ${std}`, () =>
            random.normal(k, shape, { dtype, mean, std }),
          )
        for (const [lower, upper] of [
          [-1, 1],
          [0.5, 3],
          [3, 8],
          [-9, -4],
          [-Infinity, 0],
          [1, Infinity],
          [-Infinity, Infinity],
          [-0.001, 0.001],
        ] as const)
          add(`truncatedNormal ${kn} [40,25] ${dtype} (${lower}, ${upper})`, () =>
            random.truncatedNormal(k, shape, { dtype, lower, upper }),
          )
      }
      for (const p of [0, 1e-9, 0.1, 1 / 3, 0.9, 0.999, 1])
        add(`bernoulli ${kn} ${p} [40,25]`, () => random.bernoulli(k, p, [40, 25]))
      for (const [min, max] of [
        [0, 1],
        [-5, 5],
        [0, 3],
        [-(2 ** 31), 2 ** 31],
        [0, 2 ** 31],
        [-7, 2 ** 30 + 1],
      ] as const)
        add(`randint ${kn} [40,25] [${min}, ${max})`, () => random.randint(k, [40, 25], min, max))
      for (const n of [0, 1, 2, 3, 10, 257, 60000])
        add(`permutation ${kn} ${n}`, () => random.permutation(k, n))
      const x = new Tensor(
        "float64",
        [4, 5, 3],
        Float64Array.from({ length: 60 }, (_, i) => i * 1.5 - 7),
      )
      for (const axis of [0, 1, 2, -1])
        add(`shuffle ${kn} [4,5,3] axis ${axis}`, () => random.shuffle(k, x, axis))
    }
  return out
}
