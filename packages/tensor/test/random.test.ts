import fc from "fast-check"
import { describe, expect, expectTypeOf, it } from "vitest"
import * as random from "../src/random.ts"
import type { Key } from "../src/random.ts"
import { threefry2x32 } from "../src/random/threefry.ts"
import { exp, log, nextAfter, normalCdf, normalQuantile } from "../src/random/special.ts"
import { Tensor } from "../src/tensor.ts"
import { TensorError } from "../src/errors.ts"
import { threefryRef } from "./reference.ts"
import * as T from "../src/index.ts"

// ---------------------------------------------------------------------------------------------
// independent references
// ---------------------------------------------------------------------------------------------

const threefry = (key: [number, number], ctr: [number, number]): [number, number] => {
  const out = new Uint32Array(2)
  threefry2x32(key[0], key[1], ctr[0], ctr[1], out)
  return [out[0]!, out[1]!]
}

/** The float32 in [1, 2) whose mantissa is the top 23 bits of `bits`, minus 1 (JAX's recipe). */
const uniformFromBits = (bits: number): number => {
  const view = new DataView(new ArrayBuffer(4))
  view.setUint32(0, 0x3f800000 | (bits >>> 9))
  return view.getFloat32(0) - 1
}

/** Φ by Simpson's rule on the density (Math.exp), independent of `special.ts`. */
const cdfRef = (x: number): number => {
  // Integrate the smaller tail so small values keep their precision; the density falls like
  // e^(−|x|·t) past x, so a width of 40/|x| leaves out a relative e^−40.
  const lower = x <= 0
  const b = lower ? x : -x
  const a = b - 40 / Math.max(1, Math.abs(x))
  const steps = 20000
  const h = (b - a) / steps
  const pdf = (t: number): number => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI)
  let s = pdf(a) + pdf(b)
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * pdf(a + i * h)
  const tail = (s * h) / 3
  return lower ? tail : 1 - tail
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i]!
  return s / xs.length
}

const variance = (xs: ArrayLike<number>): number => {
  const m = mean(xs)
  let s = 0
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2
  return s / (xs.length - 1)
}

const correlation = (xs: ArrayLike<number>, ys: ArrayLike<number>): number => {
  const mx = mean(xs)
  const my = mean(ys)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my)
    sxx += (xs[i]! - mx) ** 2
    syy += (ys[i]! - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
const chiSquare = (counts: ReadonlyArray<number>): number => {
  const total = counts.reduce((a, b) => a + b, 0)
  const expected = total / counts.length
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
}

const words = fc.integer({ min: 0, max: 0xffffffff })
const keyArb: fc.Arbitrary<Key> = fc.tuple(words, words).map((w) => random.keyFromData(w))
const smallShape = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 })

const throwsTensorError = (f: () => unknown, op: string): void => {
  expect(f).toThrow(TensorError)
  expect(f).toThrow(op)
}

// ---------------------------------------------------------------------------------------------
// threefry
// ---------------------------------------------------------------------------------------------

describe("threefry-2x32", () => {
  it("matches the Random123 known-answer vectors", () => {
    expect(threefry([0, 0], [0, 0])).toEqual([0x6b200159, 0x99ba4efe])
    expect(threefry([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([
      0x1cb996fc, 0xbb002be7,
    ])
    expect(threefry([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])).toEqual([
      0xc4923a9c, 0x483df7a0,
    ])
  })

  it("agrees with a loop-and-BigInt transcription of the algorithm", () => {
    fc.assert(
      fc.property(words, words, words, words, (k0, k1, x0, x1) => {
        expect(threefry([k0, k1], [x0, x1])).toEqual(threefryRef([k0, k1], [x0, x1]))
      }),
      { numRuns: 200 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

describe("keys", () => {
  it("read a seed as a 64-bit integer's high and low words, like JAX", () => {
    expect(random.keyData(random.key(0))).toEqual([0, 0])
    expect(random.keyData(random.key(42))).toEqual([0, 42])
    expect(random.keyData(random.key(2 ** 32 + 5))).toEqual([1, 5])
    expect(random.keyData(random.key(-1))).toEqual([0xffffffff, 0xffffffff])
    expect(random.keyData(random.key(-(2 ** 32)))).toEqual([0xffffffff, 0])
    expect(random.keyData(random.key(Number.MAX_SAFE_INTEGER))).toEqual([0x1fffff, 0xffffffff])
  })

  it("split like JAX's partitionable threefry: child i encrypts the counter (0, i)", () => {
    // jax.random.split(jax.random.key(0)) with jax_threefry_partitionable (JAX ≥ 0.5)
    expect(random.split(random.key(0)).map(random.keyData)).toEqual([
      [1797259609, 2579123966],
      [928981903, 3453687069],
    ])
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 1, max: 6 }), (k, n) => {
        const children = random.split(k, n).map(random.keyData)
        expect(children).toHaveLength(n)
        children.forEach((c, i) => expect(c).toEqual(threefryRef(random.keyData(k), [0, i])))
      }),
      { numRuns: 50 },
    )
  })

  it("fold in data as split would: foldIn(k, i) is split(k, n)[i]", () => {
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 1, max: 8 }), (k, n) => {
        const children = random.split(k, n)
        for (let i = 0; i < n; i++)
          expect(random.keyData(random.foldIn(k, i))).toEqual(random.keyData(children[i]!))
      }),
      { numRuns: 30 },
    )
    // large and negative data are 64-bit integers, like seeds
    const k = random.key(7)
    expect(random.keyData(random.foldIn(k, 2 ** 40 + 3))).toEqual(
      threefryRef(random.keyData(k), [256, 3]),
    )
    expect(random.keyData(random.foldIn(k, -1))).toEqual(
      threefryRef(random.keyData(k), [0xffffffff, 0xffffffff]),
    )
  })

  it("give children that differ from the parent and from each other", () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const all = [k, ...random.split(k, 8)].map((c) => random.keyData(c).join(","))
        expect(new Set(all).size).toBe(9)
      }),
      { numRuns: 100 },
    )
  })

  it("round-trip through keyData, keyFromData and JSON of their words", () => {
    fc.assert(
      fc.property(words, words, (a, b) => {
        const k = random.keyFromData([a, b])
        expect(random.keyData(k)).toEqual([a, b])
        expect(random.isKey(k)).toBe(true)
        const restored: unknown = JSON.parse(JSON.stringify({ rng: random.keyData(k) }))
        const data = (restored as { rng: unknown }).rng
        expect(random.isKeyData(data)).toBe(true)
        if (random.isKeyData(data))
          expect(random.uniform(random.keyFromData(data), [4]).data).toEqual(
            random.uniform(k, [4]).data,
          )
      }),
      { numRuns: 50 },
    )
  })

  it("are int32 tensors of shape [2] holding the words' bit patterns", () => {
    expectTypeOf<Key>().toExtend<Tensor>()
    expectTypeOf<Tensor>().not.toExtend<Key>()
    expectTypeOf<{ readonly [k: string]: unknown }>().not.toExtend<Key>()
    fc.assert(
      fc.property(words, words, (a, b) => {
        const k = random.keyFromData([a, b])
        expect(k).toBeInstanceOf(Tensor)
        expect(k.dtype).toBe("int32")
        expect(k.shape).toEqual([2])
        expect(Array.from(k.data)).toEqual([a | 0, b | 0])
      }),
      { numRuns: 50 },
    )
    expect(random.isKey(random.key(1))).toBe(true)
    expect(random.isKey(new Tensor("int32", [3, 2], new Int32Array(6)))).toBe(true)
    expect(random.isKey(new Tensor("float32", [2], new Float32Array(2)))).toBe(false)
    expect(random.isKey(new Tensor("int32", [3], new Int32Array(3)))).toBe(false)
    expect(random.isKey(new Tensor("int32", [], new Int32Array(1)))).toBe(false)
    expect(random.isKey({})).toBe(false)
    expect(random.isKey([0, 1])).toBe(false)
    expect(random.isKeyData([0, 2 ** 32])).toBe(false)
    expect(random.isKeyData([0.5, 1])).toBe(false)
    expect(random.isKeyData([1])).toBe(false)
    expect(random.isKeyData("0,1")).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// determinism
// ---------------------------------------------------------------------------------------------

describe("determinism", () => {
  it("gives bit-identical samples for the same key, whatever was drawn in between", () => {
    fc.assert(
      fc.property(keyArb, smallShape, (k, shape) => {
        const a = random.normal(k, shape)
        random.uniform(random.key(123), [100])
        random.permutation(k, 10)
        const b = random.normal(k, shape)
        expect(b.data).toEqual(a.data)
        expect(b.shape).toEqual(shape)
      }),
      { numRuns: 50 },
    )
  })

  it("computes element i from the key and i only (shape does not matter)", () => {
    const k = random.key(11)
    expect(random.uniform(k, [2, 3]).data).toEqual(random.uniform(k, [6]).data)
    expect(random.normal(k, [10]).data.slice(0, 4)).toEqual(random.normal(k, [4]).data)
  })

  it("builds float32 uniforms from the top 23 bits of y0 ^ y1 of block (0, i)", () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const u = random.uniform(k, [5]).data
        for (let i = 0; i < 5; i++) {
          const [y0, y1] = threefryRef(random.keyData(k), [0, i])
          expect(u[i]).toBe(uniformFromBits((y0 ^ y1) >>> 0))
        }
      }),
      { numRuns: 30 },
    )
    // key(0): block (0, 0) is the first known-answer vector
    expect(random.uniform(random.key(0), []).data[0]).toBe(
      uniformFromBits((0x6b200159 ^ 0x99ba4efe) >>> 0),
    )
  })

  it("builds float64 uniforms from the top 52 of the 64 bits y0·2^32 + y1", () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const u = random.uniform(k, [3], { dtype: "float64" }).data
        for (let i = 0; i < 3; i++) {
          const [y0, y1] = threefryRef(random.keyData(k), [0, i])
          const top52 = ((BigInt(y0) << 32n) | BigInt(y1)) >> 12n
          expect(u[i]).toBe(Number(top52) / 2 ** 52)
        }
      }),
      { numRuns: 30 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// distributions
// ---------------------------------------------------------------------------------------------

describe("uniform", () => {
  it("has the moments of U[0, 1) within 5 sigma, in [0, 1)", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const n = 100_000
      const x = random.uniform(random.key(1), [n], { dtype })
      expect(x.dtype).toBe(dtype)
      expect(x.data).toBeInstanceOf(dtype === "float32" ? Float32Array : Float64Array)
      expect(x.data.every((v) => v >= 0 && v < 1)).toBe(true)
      expect(Math.abs(mean(x.data) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n))
      // Var(sample variance) ≈ (μ4 − σ⁴)/n with μ4 = 1/80, σ² = 1/12
      expect(Math.abs(variance(x.data) - 1 / 12)).toBeLessThan(
        5 * Math.sqrt((1 / 80 - 1 / 144) / n),
      )
    }
  })

  it("stays in [min, max) for any range, including the edges of float32", () => {
    fc.assert(
      fc.property(
        keyArb,
        fc.double({ min: -1e30, max: 1e30, noNaN: true }),
        fc.double({ min: -1e30, max: 1e30, noNaN: true }),
        (k, p, q) => {
          const [lo, hi] = [Math.fround(Math.min(p, q)), Math.fround(Math.max(p, q))]
          fc.pre(lo < hi)
          const x = random.uniform(k, [50], { min: lo, max: hi }).data
          expect(x.every((v) => v >= lo && v < hi)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
    // a range one float32 wide can only give its lower end
    const lo = 1
    const hi = nextAfter(1, 1, true)
    expect(new Set(random.uniform(random.key(2), [100], { min: lo, max: hi }).data)).toEqual(
      new Set([1]),
    )
    // a range wider than the largest double
    const wide = random.uniform(random.key(3), [1000], {
      dtype: "float64",
      min: -1.7e308,
      max: 1.7e308,
    }).data
    expect(wide.every((v) => Number.isFinite(v) && v >= -1.7e308 && v < 1.7e308)).toBe(true)
  })

  it("draws uncorrelated streams from split keys", () => {
    const n = 20_000
    const [a, b, c] = random.split(random.key(5), 3)
    const xa = random.uniform(a!, [n]).data
    const xb = random.uniform(b!, [n]).data
    const xc = random.uniform(c!, [n]).data
    // the sample correlation of independent draws has standard deviation ≈ 1/√n
    for (const [x, y] of [
      [xa, xb],
      [xa, xc],
      [xb, xc],
    ] as const)
      expect(Math.abs(correlation(x, y))).toBeLessThan(5 / Math.sqrt(n))
    // and neighbouring elements of one stream are uncorrelated too
    expect(Math.abs(correlation(xa.subarray(1), xa.subarray(0, n - 1)))).toBeLessThan(
      5 / Math.sqrt(n),
    )
  })
})

describe("normal", () => {
  it("has mean 0, variance 1 and normal quantiles within 5 sigma", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const n = 100_000
      const z = random.normal(random.key(2), [n], { dtype }).data
      expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(n))
      // Var(sample variance) = 2σ⁴/(n − 1) for a normal sample
      expect(Math.abs(variance(z) - 1)).toBeLessThan(5 * Math.sqrt(2 / n))
      for (const [q, p] of [
        [-1.959963984540054, 0.025],
        [0, 0.5],
        [1, 0.8413447460685429],
      ] as const) {
        const below = z.filter((v) => v < q).length / n
        expect(Math.abs(below - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n))
      }
      expect(z.every((v) => Number.isFinite(v))).toBe(true)
    }
  })

  it("shifts and scales by mean and std", () => {
    const n = 50_000
    const z = random.normal(random.key(3), [n], { mean: 3, std: 2 }).data
    expect(Math.abs(mean(z) - 3)).toBeLessThan((5 * 2) / Math.sqrt(n))
    expect(Math.abs(variance(z) - 4)).toBeLessThan(5 * 4 * Math.sqrt(2 / n))
    const fixed = random.normal(random.key(3), [10], { mean: -1, std: 0 }).data
    expect([...fixed]).toEqual(new Array(10).fill(-1))
  })

  it("is finite even at the most extreme draws", () => {
    // the extreme 32-bit draws 0 and 2^32 − 1 map to (b + ½)/2^32, never 0 or 1
    expect(normalQuantile(0.5 * 2 ** -32)).toBeGreaterThan(-6.5)
    expect(normalQuantile(1 - 0.5 * 2 ** -32)).toBeLessThan(6.5)
    expect(normalQuantile(0.5 * 2 ** -52)).toBeGreaterThan(-8.5)
    expect(normalQuantile(1 - 0.5 * 2 ** -52)).toBeLessThan(8.5)
  })
})

describe("special functions", () => {
  it("the quantile inverts an independent Φ to about 1e-13", () => {
    for (const p of [1e-300, 1e-100, 1e-20, 1e-9, 0.001, 0.02, 0.2, 0.5, 0.7, 0.97, 0.9999]) {
      const z = normalQuantile(p)
      expect(Math.abs(cdfRef(z) / p - 1)).toBeLessThan(p < 1e-30 ? 1e-9 : 1e-11)
    }
  })

  it("Φ agrees with an independent integral, relatively, down to x = −37", () => {
    fc.assert(
      fc.property(fc.double({ min: -37, max: 8, noNaN: true }), (x) => {
        const ref = cdfRef(x)
        expect(Math.abs(normalCdf(x) - ref) / ref).toBeLessThan(1e-9)
      }),
      { numRuns: 100 },
    )
    expect(normalCdf(0)).toBe(0.5)
    expect(normalQuantile(0.5)).toBe(0)
  })

  it("the quantile is exactly symmetric on the sampled grid, and increasing", () => {
    // the samplers' u = (b + ½)/2^32, for which 1 − u is exact
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (b) => {
        const u = (b + 0.5) * 2 ** -32
        expect(normalQuantile(1 - u)).toBe(-normalQuantile(u))
      }),
    )
    fc.assert(
      fc.property(
        fc.double({ min: 1e-300, max: 1, noNaN: true, maxExcluded: true }),
        fc.double({ min: 1e-300, max: 1, noNaN: true, maxExcluded: true }),
        (p, q) => {
          if (p < q) expect(normalQuantile(p)).toBeLessThanOrEqual(normalQuantile(q))
        },
      ),
    )
  })

  it("log and exp are within a few ulps of Math.log and Math.exp", () => {
    const ulps = (a: number, b: number): number => Math.abs(a - b) / (Math.abs(b) * 2 ** -52)
    fc.assert(
      fc.property(fc.double({ min: 1e-320, max: 1e300, noNaN: true }), (x) => {
        if (x !== 1) expect(ulps(log(x), Math.log(x))).toBeLessThan(4)
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (x) => {
        expect(ulps(exp(x), Math.exp(x))).toBeLessThan(4)
      }),
      { numRuns: 300 },
    )
    expect(log(1)).toBe(0)
    expect(exp(0)).toBe(1)
    expect(log(0)).toBe(-Infinity)
    expect(exp(-800)).toBe(0)
    expect(exp(800)).toBe(Infinity)
  })

  it("nextAfter steps to the adjacent float32 or float64", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (x, up) => {
        const y = nextAfter(x, up ? 1 : -1, true)
        expect(Math.fround(y)).toBe(y)
        expect(up ? y > x : y < x).toBe(true)
        // nothing representable in between: the midpoint rounds to one of the two
        const mid = Math.fround((x + y) / 2)
        expect(mid === x || mid === y).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (x, up) => {
        const y = nextAfter(x, up ? 1 : -1, false)
        expect(up ? y > x : y < x).toBe(true)
        const mid = x + (y - x) / 2
        expect(mid === x || mid === y).toBe(true)
      }),
    )
  })
})

describe("truncatedNormal", () => {
  it("stays strictly inside its bounds, in any part of the line", () => {
    const bounds: Array<[number, number]> = [
      [-2, 2],
      [3, 4],
      [-10, -9],
      [5, Infinity],
      [-Infinity, -30],
      [0, 1e-6],
      [1, nextAfter(nextAfter(1, 1, true), 1, true)],
    ]
    for (const dtype of ["float32", "float64"] as const)
      for (const [lower, upper] of bounds) {
        const x = random.truncatedNormal(random.key(4), [2000], { lower, upper, dtype }).data
        expect(x.every((v) => v > lower && v < upper && Number.isFinite(v))).toBe(true)
      }
    fc.assert(
      fc.property(
        keyArb,
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: 1e-4, max: 10, noNaN: true }),
        fc.constantFrom("float32" as const, "float64" as const),
        (k, lower, width, dtype) => {
          const upper = lower + width
          const x = random.truncatedNormal(k, [20], { lower, upper, dtype }).data
          expect(x.every((v) => v > lower && v < upper)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })

  it("has the truncated normal's mean and variance within 5 sigma", () => {
    const n = 50_000
    const pdf = (t: number): number => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI)
    for (const [a, b] of [
      [-2, 2],
      [3, 4],
      [-1, 0.5],
    ] as const) {
      const z = cdfRef(b) - cdfRef(a)
      const m = (pdf(a) - pdf(b)) / z
      const v = 1 + (a * pdf(a) - b * pdf(b)) / z - m * m
      const x = random.truncatedNormal(random.key(5), [n], { lower: a, upper: b }).data
      expect(Math.abs(mean(x) - m)).toBeLessThan(5 * Math.sqrt(v / n))
      // a truncated normal has kurtosis below 3, so Var(s²) < 2σ⁴/n
      expect(Math.abs(variance(x) - v)).toBeLessThan(5 * v * Math.sqrt(2 / n))
    }
  })
})

describe("bernoulli", () => {
  it("is 1 with probability p (int32 zeros and ones)", () => {
    const n = 50_000
    for (const p of [0, 0.1, 0.5, 0.9, 1]) {
      const x = random.bernoulli(random.key(6), p, [n])
      expect(x.dtype).toBe("int32")
      expect(x.data.every((v) => v === 0 || v === 1)).toBe(true)
      if (p === 0 || p === 1) expect(mean(x.data)).toBe(p)
      else expect(Math.abs(mean(x.data) - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n))
    }
  })
})

describe("randint", () => {
  it("draws each integer of [min, max) equally often", () => {
    const n = 70_000
    const x = random.randint(random.key(7), [n], -3, 4)
    expect(x.dtype).toBe("int32")
    const counts = new Array<number>(7).fill(0)
    expect(x.data.every((v) => v >= -3 && v < 4)).toBe(true)
    for (const v of x.data) counts[v + 3]!++
    // chi-square with 6 degrees of freedom: P(χ² > 35) ≈ 4e-6
    expect(chiSquare(counts)).toBeLessThan(35)
  })

  it("handles the full int32 range and a range of one", () => {
    const full = random.randint(random.key(8), [1000], -(2 ** 31), 2 ** 31).data
    expect(full.some((v) => v < 0) && full.some((v) => v > 0)).toBe(true)
    expect([...random.randint(random.key(8), [5], 9, 10).data]).toEqual([9, 9, 9, 9, 9])
    fc.assert(
      fc.property(
        keyArb,
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (k, min, span) => {
          const max = Math.min(min + span, 2 ** 31)
          const x = random.randint(k, [20], min, max).data
          expect(x.every((v) => v >= min && v < max)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe("permutation", () => {
  it("is a permutation of 0..n−1", () => {
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 0, max: 300 }), (k, n) => {
        const p = random.permutation(k, n)
        expect(p.dtype).toBe("int32")
        expect(p.shape).toEqual([n])
        expect([...p.data].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
      }),
      { numRuns: 100 },
    )
  })

  it("gives all 3! orders with equal frequency", () => {
    const counts = new Map<string, number>()
    const base = random.key(9)
    const trials = 12_000
    for (let i = 0; i < trials; i++) {
      const order = [...random.permutation(random.foldIn(base, i), 3).data].join("")
      counts.set(order, (counts.get(order) ?? 0) + 1)
    }
    expect([...counts.keys()].sort()).toEqual(["012", "021", "102", "120", "201", "210"])
    // chi-square with 5 degrees of freedom: P(χ² > 30) ≈ 1.5e-5
    expect(chiSquare([...counts.values()])).toBeLessThan(30)
  })

  it("puts every value in every position equally often", () => {
    const n = 5
    const trials = 10_000
    const counts = Array.from({ length: n * n }, () => 0)
    const base = random.key(10)
    for (let t = 0; t < trials; t++) {
      const p = random.permutation(random.foldIn(base, t), n).data
      for (let i = 0; i < n; i++) counts[i * n + p[i]!]!++
    }
    // 25 cells, 16 degrees of freedom (rows and columns sum to the trials): P(χ² > 50) ≈ 2e-5
    expect(chiSquare(counts)).toBeLessThan(50)
  })
})

describe("shuffle", () => {
  const tensorArb = fc
    .tuple(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([shape, f64]) => {
      const size = shape.reduce((a, b) => a * b, 1)
      const values = Array.from({ length: size }, (_, i) => i * 1.5 - 3)
      return f64
        ? new Tensor("float64", shape, Float64Array.from(values))
        : new Tensor("int32", shape, Int32Array.from(values, Math.round))
    })

  it("takes slice perm[i] of x as slice i, with perm = permutation(key, n)", () => {
    fc.assert(
      fc.property(keyArb, tensorArb, fc.nat(), (k, x, a) => {
        const axis = a % x.rank
        const before = x.data.slice()
        const y = random.shuffle(k, x, axis)
        const perm = random.permutation(k, x.shape[axis]!).data
        expect(y).not.toBe(x)
        expect(y.dtype).toBe(x.dtype)
        expect(y.shape).toEqual(x.shape)
        expect(x.data).toEqual(before)
        // naive reference: walk every multi-index of y
        const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((p, d) => p * d, 1))
        const expected = Array.from({ length: y.size }, (_, flat) => {
          const idx = strides.map((s, i) => Math.floor(flat / s) % x.shape[i]!)
          idx[axis] = perm[idx[axis]!]!
          return x.data[idx.reduce((acc, v, i) => acc + v * strides[i]!, 0)]
        })
        expect([...y.data]).toEqual(expected)
      }),
      { numRuns: 100 },
    )
  })

  it("accepts a negative axis", () => {
    const x = new Tensor("int32", [2, 3], Int32Array.of(0, 1, 2, 3, 4, 5))
    expect(random.shuffle(random.key(1), x, -1).data).toEqual(
      random.shuffle(random.key(1), x, 1).data,
    )
  })
})

// ---------------------------------------------------------------------------------------------
// bad inputs
// ---------------------------------------------------------------------------------------------

describe("bad inputs", () => {
  const k = random.key(0)
  const notAKey = { hi: 0, lo: 0 } as unknown as Key

  it("throw a TensorError naming the function", () => {
    throwsTensorError(() => random.key(1.5), "random.key")
    throwsTensorError(() => random.key(NaN), "random.key")
    throwsTensorError(() => random.key(2 ** 53), "random.key")
    throwsTensorError(() => random.key(Infinity), "random.key")
    throwsTensorError(() => random.split(k, 0), "random.split")
    throwsTensorError(() => random.split(k, 1.5), "random.split")
    throwsTensorError(() => random.split(notAKey), "random.split")
    throwsTensorError(() => random.foldIn(k, 0.5), "random.foldIn")
    throwsTensorError(() => random.keyFromData([2 ** 32, 0]), "random.keyFromData")
    throwsTensorError(() => random.keyFromData([-1, 0]), "random.keyFromData")
    throwsTensorError(
      () => random.keyFromData([1] as unknown as [number, number]),
      "random.keyFromData",
    )
    throwsTensorError(() => random.keyData(notAKey), "random.keyData")
    const floatPair = new Tensor("float32", [2], new Float32Array(2)) as Key
    const triple = new Tensor("int32", [3], new Int32Array(3)) as Key
    const batch = new Tensor("int32", [2, 2], new Int32Array(4)) as Key
    for (const bad of [floatPair, triple]) {
      throwsTensorError(() => random.split(bad), "random.split")
      throwsTensorError(() => random.foldIn(bad, 1), "random.foldIn")
      throwsTensorError(() => random.normal(bad, [2]), "random.normal")
      throwsTensorError(() => random.permutation(bad, 3), "random.permutation")
    }
    expect(() => random.uniform(floatPair)).toThrow(/a float32 tensor of shape \[2\]/)
    // one key's words only; a batch of keys is refused where one key is needed
    throwsTensorError(() => random.keyData(batch), "random.keyData")
    throwsTensorError(() => random.shuffle(batch, T.zeros([3])), "random.shuffle")
    throwsTensorError(() => random.uniform(k, [-1]), "random.uniform")
    throwsTensorError(() => random.uniform(k, [2.5]), "random.uniform")
    throwsTensorError(() => random.uniform(k, [2], { min: 1, max: 1 }), "random.uniform")
    throwsTensorError(() => random.uniform(k, [2], { min: 2, max: 1 }), "random.uniform")
    throwsTensorError(() => random.uniform(k, [2], { min: NaN }), "random.uniform")
    throwsTensorError(() => random.uniform(k, [2], { max: Infinity }), "random.uniform")
    // 1e39 overflows float32
    throwsTensorError(() => random.uniform(k, [2], { max: 1e39 }), "random.uniform")
    throwsTensorError(
      () => random.uniform(k, [2], { dtype: "int32" as "float32" }),
      "random.uniform",
    )
    throwsTensorError(() => random.uniform(notAKey, [2]), "random.uniform")
    throwsTensorError(() => random.normal(k, [2], { std: -1 }), "random.normal")
    throwsTensorError(() => random.normal(k, [2], { mean: NaN }), "random.normal")
    throwsTensorError(() => random.normal(k, [-3]), "random.normal")
    throwsTensorError(
      () => random.truncatedNormal(k, [2], { lower: 1, upper: 1 }),
      "random.truncatedNormal",
    )
    throwsTensorError(
      () => random.truncatedNormal(k, [2], { lower: 1, upper: nextAfter(1, 1, true) }),
      "random.truncatedNormal",
    )
    throwsTensorError(
      () => random.truncatedNormal(k, [2], { lower: -50, upper: -49 }),
      "random.truncatedNormal",
    )
    throwsTensorError(
      () => random.truncatedNormal(k, [2], { lower: 0, upper: 1e-30 }),
      "random.truncatedNormal",
    )
    throwsTensorError(
      () => random.truncatedNormal(k, [2], { lower: NaN }),
      "random.truncatedNormal",
    )
    throwsTensorError(() => random.bernoulli(k, -0.1, [2]), "random.bernoulli")
    throwsTensorError(() => random.bernoulli(k, 1.1, [2]), "random.bernoulli")
    throwsTensorError(() => random.bernoulli(k, NaN, [2]), "random.bernoulli")
    throwsTensorError(() => random.randint(k, [2], 3, 3), "random.randint")
    throwsTensorError(() => random.randint(k, [2], 0, 1.5), "random.randint")
    throwsTensorError(() => random.randint(k, [2], 0, 2 ** 31 + 1), "random.randint")
    throwsTensorError(() => random.permutation(k, -1), "random.permutation")
    throwsTensorError(() => random.permutation(k, 2.5), "random.permutation")
    const x = new Tensor("float32", [2, 2], new Float32Array(4))
    throwsTensorError(() => random.shuffle(k, x, 2), "random.shuffle")
    throwsTensorError(
      () => random.shuffle(k, new Tensor("float32", [], new Float32Array(1))),
      "random.shuffle",
    )
  })
})
