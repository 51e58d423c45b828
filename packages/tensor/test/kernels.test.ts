import fc from "fast-check"
import { afterEach, describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { Tensor } from "../src/index.ts"
import type { Params, Primitive, Trace } from "../src/internal.ts"
import {
  bind,
  currentKernels,
  primitives,
  referenceKernels,
  Tracer,
  useKernels,
} from "../src/internal.ts"
import type { Ref } from "./reference.ts"
import {
  count,
  dtypeArb,
  expectMatches,
  make,
  ravel,
  refOf,
  roundTo,
  shapeArb,
  tensorArb,
  unravel,
} from "./reference.ts"

afterEach(() => {
  // every test leaves the reference kernels in place
  expect(currentKernels()).toBe(referenceKernels)
})

describe("the kernel table", () => {
  it("has a reference kernel for every primitive, and nothing else", () => {
    expect(new Set(primitives).size).toBe(primitives.length)
    for (const p of primitives) expect(typeof referenceKernels[p]).toBe("function")
    expect(Object.keys(referenceKernels).sort()).toEqual([...primitives].sort())
  })

  it("starts as the reference kernels", () => {
    expect(currentKernels()).toBe(referenceKernels)
  })
})

describe("useKernels", () => {
  const a = make("float32", [2], [1, 2])
  const b = make("float32", [2], [10, 20])
  const marker = make("float32", [1], [42])

  it("overrides the given kernels, keeps the others, and restores the previous table", () => {
    const calls: string[] = []
    const restore = useKernels({
      add: (inputs) => {
        calls.push(`add ${inputs.length}`)
        return marker
      },
    })
    try {
      expect(T.add(a, b)).toBe(marker)
      expect(calls).toEqual(["add 2"])
      expect(Array.from(T.mul(a, b).data)).toEqual([10, 40])
      expect(currentKernels().mul).toBe(referenceKernels.mul)
    } finally {
      restore()
    }
    expect(Array.from(T.add(a, b).data)).toEqual([11, 22])
    expect(calls).toEqual(["add 2"])
  })

  it("restores nested overrides one at a time", () => {
    const outer = useKernels({ neg: () => marker })
    const inner = useKernels({ exp: () => marker })
    expect(T.neg(a)).toBe(marker)
    expect(T.exp(a)).toBe(marker)
    inner()
    expect(T.neg(a)).toBe(marker)
    expect(T.exp(a)).not.toBe(marker)
    outer()
    expect(Array.from(T.neg(a).data)).toEqual([-1, -2])
  })

  it("takes back only its own overrides, in whatever order, once", () => {
    const first = make("float32", [1], [1])
    const second = make("float32", [1], [2])
    const older = useKernels({ neg: () => first, exp: () => first })
    const newer = useKernels({ neg: () => second })
    older()
    // the newer override of neg stays; the older one's exp is gone with it
    expect(T.neg(a)).toBe(second)
    expect(Array.from(T.exp(make("float32", [1], [0])).data)).toEqual([1])
    older()
    expect(T.neg(a)).toBe(second)
    newer()
    expect(Array.from(T.neg(a).data)).toEqual([-1, -2])
    expect(currentKernels()).toBe(referenceKernels)
  })

  it("kernels receive the normalised params the primitive table promises", () => {
    const seen: unknown[] = []
    const restore = useKernels({
      sum: (inputs, params) => {
        seen.push(params)
        return referenceKernels.sum(inputs, params)
      },
      transpose: (inputs, params) => {
        seen.push(params)
        return referenceKernels.transpose(inputs, params)
      },
    })
    try {
      const x = make("float32", [2, 3, 4], new Array<number>(24).fill(1))
      // sum: sorted, distinct, non-negative axes; transpose: non-negative perm
      expectMatches(T.sum(x, { axis: [-1, 0] }), {
        dtype: "float32",
        shape: [3],
        values: [8, 8, 8],
      })
      T.transpose(x, [-1, 0, 1])
    } finally {
      restore()
    }
    expect(seen).toEqual([{ axes: [0, 2] }, { perm: [2, 0, 1] }])
  })
})

describe("bind hands primitives to the innermost active trace", () => {
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

  /** A trace that records what it sees and evaluates with the reference kernels. */
  const recording = (level: number, log: string[], active = true): Trace => ({
    level,
    active,
    process<P extends Primitive>(
      prim: P,
      inputs: ReadonlyArray<Tensor>,
      params: Params[P],
    ): Tensor {
      log.push(`${level}:${prim}`)
      const concrete = inputs.map((x) => (x instanceof Tracer ? x.primal : x))
      const out = referenceKernels[prim](concrete, params)
      return new TestTracer(out, this)
    },
  })

  it("routes every primitive of an op through the trace, and the values stay right", () => {
    const log: string[] = []
    const x = new TestTracer(make("float32", [2], [1, -2]), recording(1, log))
    const y = T.relu(x)
    expect(y).toBeInstanceOf(Tracer)
    expect(Array.from(y.data)).toEqual([1, 0])
    expect(log.length).toBeGreaterThan(0)
    expect(log.every((l) => l.startsWith("1:"))).toBe(true)
  })

  it("prefers the highest level", () => {
    const log: string[] = []
    const low = new TestTracer(make("float32", [1], [1]), recording(1, log))
    const high = new TestTracer(make("float32", [1], [2]), recording(2, log))
    const z = bind("add", [low, high], {})
    expect(log).toEqual(["2:add"])
    expect(Array.from(z.data)).toEqual([3])
  })

  it("refuses a tracer whose transformation has finished, naming the primitive", () => {
    const x = new TestTracer(make("float32", [1], [1]), recording(1, [], false))
    expect(() => T.exp(x)).toThrow(/^exp: a tracer from a finished transformation/)
  })
})

describe("reference kernels of primitives no public op exposes directly", () => {
  /** Zero padding: out[i + lo] = x[i] on every axis. */
  const padRef = (x: Ref, lo: ReadonlyArray<number>, hi: ReadonlyArray<number>): Ref => {
    const shape = x.shape.map((d, i) => d + lo[i]! + hi[i]!)
    const values = new Array<number>(count(shape)).fill(0)
    for (let i = 0; i < x.values.length; i++) {
      const idx = unravel(i, x.shape).map((v, k) => v + lo[k]!)
      values[ravel(idx, shape)] = x.values[i]!
    }
    return { dtype: x.dtype, shape, values }
  }

  it("pad agrees with the naive reference and slice undoes it", () => {
    fc.assert(
      fc.property(
        shapeArb(3, 3).chain((s) =>
          fc.tuple(
            dtypeArb.chain((d) => tensorArb(s, d)),
            fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length }),
            fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length }),
          ),
        ),
        ([x, lo, hi]) => {
          const padded = bind("pad", [x], { lo, hi })
          expectMatches(padded, padRef(refOf(x), lo, hi))
          expectMatches(bind("slice", [padded], { starts: lo, sizes: x.shape }), refOf(x))
        },
      ),
    )
  })

  /** Adds each slice of updates into zeros at its index along `axis`, accumulating in double. */
  const scatterAddRef = (
    updates: Ref,
    indices: Ref,
    axis: number,
    shape: ReadonlyArray<number>,
  ): Ref => {
    const acc = new Array<number>(count(shape)).fill(0)
    const ir = indices.shape.length
    for (let u = 0; u < updates.values.length; u++) {
      const idx = unravel(u, updates.shape)
      const at = indices.values[ravel(idx.slice(axis, axis + ir), indices.shape)]!
      const dst = [...idx.slice(0, axis), at, ...idx.slice(axis + ir)]
      acc[ravel(dst, shape)]! += updates.values[u]!
    }
    return { dtype: updates.dtype, shape, values: acc.map((v) => roundTo(updates.dtype, v)) }
  }

  it("scatterAdd agrees with the naive reference (repeated indices add up)", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(
            fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
            fc.nat(),
            fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
          )
          .chain(([shape, a, idxShape]) => {
            const axis = a % shape.length
            const n = shape[axis]!
            const uShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)]
            return fc.tuple(
              fc.constant(shape),
              fc.constant(axis),
              fc
                .array(fc.integer({ min: 0, max: n - 1 }), {
                  minLength: count(idxShape),
                  maxLength: count(idxShape),
                })
                .map((vs) => make("int32", idxShape, vs)),
              dtypeArb.chain((d) =>
                tensorArb(uShape, d, () =>
                  d === "int32" ? fc.integer({ min: -9, max: 9 }) : fc.constantFrom(0.5, -1, 3),
                ),
              ),
            )
          }),
        ([shape, axis, indices, updates]) => {
          const out = bind("scatterAdd", [updates, indices], { axis, shape })
          expectMatches(out, scatterAddRef(refOf(updates), refOf(indices), axis, shape))
        },
      ),
    )
  })
})
