import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { Key, Tensor } from "../src/index.ts"
import type { Params, Primitive, Trace } from "../src/internal.ts"
import { bind, referenceKernels, Tracer } from "../src/internal.ts"
import { count, threefryRef, unravel } from "./reference.ts"

const { random } = T

const words = fc.integer({ min: 0, max: 0xffffffff })
const keyArb: fc.Arbitrary<Key> = fc.tuple(words, words).map((w) => random.keyFromData(w))

/** A batch of keys `[...shape, 2]` from one key per entry. */
const stackKeys = (keys: ReadonlyArray<Key>, shape: ReadonlyArray<number>): Key =>
  T.reshape(T.stack(keys), [...shape, 2]) as Key

// ---------------------------------------------------------------------------------------------
// the threefry2x32 primitive
// ---------------------------------------------------------------------------------------------

/** `out` with some leading axes dropped and some axes set to 1: a shape that broadcasts to it. */
const fitting = (out: ReadonlyArray<number>): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop))

/** Leading shapes of keys and counters that broadcast together, and a shape they fit. */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 })
  .chain((out) => fc.tuple(fc.constant(out), fitting(out), fitting(out)))

const wordsTensor = (lead: ReadonlyArray<number>, seed: number): Tensor => {
  const n = 2 * count(lead)
  const data = Int32Array.from({ length: n }, (_, i) => Math.imul(seed + i, 0x9e3779b1))
  return new T.Tensor("int32", [...lead, 2], data)
}

describe("the threefry2x32 primitive", () => {
  it("encrypts each counter under its key, the leading axes broadcasting", () => {
    fc.assert(
      fc.property(broadcastPair, fc.integer(), ([full, ks, cs], seed) => {
        // as long as the longer operand; where both have 1 (or nothing), the result has 1
        const rank = Math.max(ks.length, cs.length)
        const out = full.slice(full.length - rank).map((_, i) => {
          const dim = (lead: ReadonlyArray<number>): number => lead[i - (rank - lead.length)] ?? 1
          return Math.max(dim(ks), dim(cs))
        })
        const keys = wordsTensor(ks, seed)
        const counters = wordsTensor(cs, seed + 1000)
        const y = bind("threefry2x32", [keys, counters], {})
        expect(y.dtype).toBe("int32")
        expect(y.shape).toEqual([...out, 2])
        for (let i = 0; i < count(out); i++) {
          const idx = unravel(i, out)
          const at = (lead: ReadonlyArray<number>): number => {
            const own = idx.slice(idx.length - lead.length).map((v, a) => (lead[a] === 1 ? 0 : v))
            return own.reduce((acc, v, a) => acc * lead[a]! + v, 0)
          }
          const k = at(ks)
          const c = at(cs)
          const w = (t: Tensor, j: number): number => t.data[j]! >>> 0
          const expected = threefryRef(
            [w(keys, 2 * k), w(keys, 2 * k + 1)],
            [w(counters, 2 * c), w(counters, 2 * c + 1)],
          )
          expect([y.data[2 * i]! >>> 0, y.data[2 * i + 1]! >>> 0]).toEqual(expected)
        }
      }),
      { numRuns: 100 },
    )
  })

  it("refuses leading axes that do not broadcast, naming the primitive", () => {
    expect(() => bind("threefry2x32", [wordsTensor([3], 0), wordsTensor([2], 0)], {})).toThrow(
      /^threefry2x32: shapes \[3\] and \[2\] do not broadcast/,
    )
  })
})

// ---------------------------------------------------------------------------------------------
// batches of keys
// ---------------------------------------------------------------------------------------------

/** Every sampler, drawing `shape` from `key`. */
const samplers: ReadonlyArray<readonly [string, (k: Key, shape: ReadonlyArray<number>) => Tensor]> =
  [
    ["uniform float32", (k, s) => random.uniform(k, s, { min: -2, max: 3 })],
    ["uniform float64", (k, s) => random.uniform(k, s, { dtype: "float64" })],
    ["normal float32", (k, s) => random.normal(k, s, { mean: 1, std: 2 })],
    ["normal float64", (k, s) => random.normal(k, s, { dtype: "float64" })],
    ["truncatedNormal", (k, s) => random.truncatedNormal(k, s, { lower: 0.5, upper: 4 })],
    ["bernoulli", (k, s) => random.bernoulli(k, 0.3, s)],
    ["randint", (k, s) => random.randint(k, s, -3, 7)],
    ["permutation", (k, s) => random.permutation(k, count(s))],
  ]

const batchShape = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 })
const sampleShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 })

describe("a batch of keys [...batch, 2]", () => {
  it("draws [...batch, ...shape]: each key's values as that key alone gives them", () => {
    fc.assert(
      fc.property(
        batchShape,
        sampleShape,
        fc.array(keyArb, { minLength: 12, maxLength: 12 }),
        (batch, shape, pool) => {
          const keys = pool.slice(0, count(batch))
          const stacked = count(batch) === 0 ? emptyKeys(batch) : stackKeys(keys, batch)
          for (const [name, draw] of samplers) {
            const y = draw(stacked, shape)
            const one = keys.map((k) => draw(k, shape))
            const each = name === "permutation" ? [count(shape)] : shape
            expect(y.shape, name).toEqual([...batch, ...each])
            expect(y.dtype, name).toBe(draw(random.key(0), shape).dtype)
            expect(Array.from(y.data), name).toEqual(one.flatMap((t) => Array.from(t.data)))
          }
        },
      ),
      { numRuns: 40 },
    )
  })

  it("splits and folds each key as it alone would be", () => {
    fc.assert(
      fc.property(
        fc.array(keyArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.maxSafeInteger(),
        (keys, n, data) => {
          const batch = stackKeys(keys, [keys.length])
          const children = random.split(batch, n)
          expect(children).toHaveLength(n)
          children.forEach((c, i) => {
            expect(c.shape).toEqual([keys.length, 2])
            expect(Array.from(c.data)).toEqual(
              keys.flatMap((k) => Array.from(random.split(k, n)[i]!.data)),
            )
          })
          expect(Array.from(random.foldIn(batch, data).data)).toEqual(
            keys.flatMap((k) => Array.from(random.foldIn(k, data).data)),
          )
        },
      ),
      { numRuns: 50 },
    )
  })
})

const emptyKeys = (batch: ReadonlyArray<number>): Key =>
  new T.Tensor("int32", [...batch, 2], new Int32Array(0)) as Key

// ---------------------------------------------------------------------------------------------
// transformations see randomness
// ---------------------------------------------------------------------------------------------

class TestTracer extends Tracer {
  readonly #primal: Tensor
  readonly #trace: Trace
  constructor(primal: Tensor, trace: Trace) {
    super(primal)
    this.#primal = primal
    this.#trace = trace
  }
  override get trace(): Trace {
    return this.#trace
  }
  get primal(): Tensor {
    return this.#primal
  }
}

/** A trace that records the primitives it sees and evaluates them with the reference kernels. */
const recording = (log: Primitive[]): Trace => ({
  level: 1,
  active: true,
  process<P extends Primitive>(prim: P, inputs: ReadonlyArray<Tensor>, params: Params[P]): Tensor {
    log.push(prim)
    const concrete = inputs.map((x) => (x instanceof Tracer ? x.primal : x))
    return new TestTracer(referenceKernels[prim](concrete, params), this)
  },
})

describe("a transformation", () => {
  it("sees every key derivation and every draw, and gets the eager values", () => {
    fc.assert(
      fc.property(keyArb, fc.nat({ max: 1000 }), (k, data) => {
        const log: Primitive[] = []
        const traced = new TestTracer(k, recording(log)) as unknown as Key
        const derived: ReadonlyArray<readonly [Tensor, Tensor]> = [
          [random.split(traced, 3)[2]!, random.split(k, 3)[2]!],
          [random.foldIn(traced, data), random.foldIn(k, data)],
        ]
        for (const [t, e] of derived) {
          expect(t).toBeInstanceOf(Tracer)
          expect(Array.from(t.data)).toEqual(Array.from(e.data))
        }
        expect(log).toEqual(["threefry2x32", "threefry2x32", "threefry2x32", "threefry2x32"])
        for (const [name, draw] of samplers) {
          log.length = 0
          const t = draw(traced, [3, 2])
          expect(t, name).toBeInstanceOf(Tracer)
          expect(log, name).toEqual(["sample"])
          expect(Array.from(t.data), name).toEqual(Array.from(draw(k, [3, 2]).data))
        }
      }),
      { numRuns: 20 },
    )
  })

  it("sees shuffle as a draw and a gather, for a traced key or a traced x", () => {
    const x = new T.Tensor(
      "float32",
      [4, 3],
      Float32Array.from({ length: 12 }, (_, i) => i),
    )
    const k = random.key(9)
    const eager = random.shuffle(k, x, 0)
    const log: Primitive[] = []
    const byKey = random.shuffle(new TestTracer(k, recording(log)) as unknown as Key, x, 0)
    const byX = random.shuffle(k, new TestTracer(x, recording(log)), 0)
    expect(log).toEqual(["sample", "gather", "gather"])
    expect(Array.from(byKey.data)).toEqual(Array.from(eager.data))
    expect(Array.from(byX.data)).toEqual(Array.from(eager.data))
  })
})
