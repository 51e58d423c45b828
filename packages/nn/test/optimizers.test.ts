import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { GradientTransformation, OptState, Params } from "../src/index.ts"
import { allClose, arbTrees, leafValues, treesBitsEqual } from "./helpers.ts"

// Plain-JS references over the leaves (as number arrays, in tree order), one formula per
// optimizer, written from the papers' update rules.
type Leaves = number[][]

const mapL = (xs: Leaves, f: (v: number, i: number, j: number) => number): Leaves =>
  xs.map((x, i) => x.map((v, j) => f(v, i, j)))

/** Runs `steps` updates of `opt` with gradient trees `grads[k]`, applying them to `params`. */
const run = (
  opt: GradientTransformation,
  params: Params,
  grads: ReadonlyArray<Params>,
): { params: Params; updates: Params[] } => {
  let state: OptState = opt.init(params)
  let p = params
  const updates: Params[] = []
  for (const g of grads) {
    const [u, s] = opt.update(g, state, p)
    updates.push(u)
    p = nn.applyUpdates(p, u)
    state = s
  }
  return { params: p, updates }
}

/**
 * Adam's bias-corrected direction `m̂/(√v̂ + eps)` after each of the gradients `gs` (leaves shaped
 * like `like`): `m ← b1·m + (1 − b1)·g`, `v ← b2·v + (1 − b2)·g²`, `m̂ = m/(1 − b1ᵗ)`,
 * `v̂ = v/(1 − b2ᵗ)`. The moments do not depend on the parameters, so Adam and AdamW share them.
 */
const adamDirections = (
  like: Leaves,
  gs: ReadonlyArray<Leaves>,
  b1: number,
  b2: number,
  eps: number,
): Leaves[] => {
  let m = mapL(like, () => 0)
  let v = mapL(like, () => 0)
  return gs.map((g, k) => {
    const t = k + 1
    m = mapL(m, (x, i, j) => b1 * x + (1 - b1) * g[i]![j]!)
    v = mapL(v, (x, i, j) => b2 * x + (1 - b2) * g[i]![j]! ** 2)
    return mapL(m, (x, i, j) => x / (1 - b1 ** t) / (Math.sqrt(v[i]![j]! / (1 - b2 ** t)) + eps))
  })
}

const arbLr = fc.double({ min: 1e-3, max: 1, noNaN: true })
const numRuns = 40

describe("optimizer updates equal their formulas", () => {
  it("sgd: p ← p − lr·g", () => {
    fc.assert(
      fc.property(arbTrees(3), arbLr, ([p, g1, g2], lr) => {
        const { params } = run(nn.sgd(lr), p!, [g1!, g2!])
        const [P, G1, G2] = [p!, g1!, g2!].map(leafValues)
        const expected = mapL(P!, (v, i, j) => v - lr * G1![i]![j]! - lr * G2![i]![j]!)
        expect(allClose(leafValues(params), expected)).toBe(true)
      }),
      { numRuns },
    )
  })

  it("momentum and nesterov: t ← g + β·t; p ← p − lr·t (nesterov: p ← p − lr·(g + β·t))", () => {
    fc.assert(
      fc.property(
        arbTrees(4),
        arbLr,
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.boolean(),
        ([p, ...gs], lr, beta, nesterov) => {
          const { params } = run(nn.momentum(lr, { beta, nesterov }), p!, gs)
          let P = leafValues(p!)
          let t = mapL(P, () => 0)
          for (const g of gs.map(leafValues)) {
            t = mapL(t, (v, i, j) => g[i]![j]! + beta * v)
            const step = nesterov ? mapL(t, (v, i, j) => g[i]![j]! + beta * v) : t
            P = mapL(P, (v, i, j) => v - lr * step[i]![j]!)
          }
          expect(allClose(leafValues(params), P)).toBe(true)
        },
      ),
      { numRuns },
    )
  })

  it("adam with bias correction: p ← p − lr·m̂/(√v̂ + eps)", () => {
    fc.assert(
      fc.property(
        arbTrees(4),
        arbLr,
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
        ([p, ...gs], lr, b1, b2) => {
          const eps = 1e-8
          const { params } = run(nn.adam(lr, { b1, b2, eps }), p!, gs)
          let P = leafValues(p!)
          for (const d of adamDirections(P, gs.map(leafValues), b1, b2, eps))
            P = mapL(P, (x, i, j) => x - lr * d[i]![j]!)
          expect(allClose(leafValues(params), P, 1e-8, 1e-10)).toBe(true)
        },
      ),
      { numRuns },
    )
  })

  it("adamw: p ← p − lr·(m̂/(√v̂ + eps) + wd·p)", () => {
    fc.assert(
      fc.property(
        arbTrees(3),
        arbLr,
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        ([p, ...gs], lr, wd) => {
          const [b1, b2, eps] = [0.9, 0.999, 1e-8]
          const { params } = run(nn.adamw(lr, { weightDecay: wd }), p!, gs)
          let P = leafValues(p!)
          for (const d of adamDirections(P, gs.map(leafValues), b1, b2, eps))
            P = mapL(P, (x, i, j) => x - lr * (d[i]![j]! + wd * x))
          expect(allClose(leafValues(params), P, 1e-8, 1e-10)).toBe(true)
        },
      ),
      { numRuns },
    )
  })

  it("weight decay before momentum is PyTorch's SGD weight_decay: g ← g + wd·p", () => {
    fc.assert(
      fc.property(
        arbTrees(3),
        arbLr,
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        ([p, ...gs], lr, wd) => {
          const beta = 0.9
          const opt = nn.chain(nn.weightDecay(wd), nn.momentum(lr, { beta }))
          const { params } = run(opt, p!, gs)
          let P = leafValues(p!)
          let t = mapL(P, () => 0)
          for (const g of gs.map(leafValues)) {
            const d = mapL(g, (x, i, j) => x + wd * P[i]![j]!)
            t = mapL(t, (x, i, j) => d[i]![j]! + beta * x)
            P = mapL(P, (x, i, j) => x - lr * t[i]![j]!)
          }
          expect(allClose(leafValues(params), P)).toBe(true)
        },
      ),
      { numRuns },
    )
  })

  it("clipByGlobalNorm scales every update by min(1, max / ‖g‖)", () => {
    fc.assert(
      fc.property(arbTrees(1), fc.double({ min: 0.01, max: 20, noNaN: true }), ([g], maxNorm) => {
        const [u] = nn.clipByGlobalNorm(maxNorm).update(g!, {})
        const G = leafValues(g!)
        const norm = Math.sqrt(G.flat().reduce((s, x) => s + x * x, 0))
        const factor = norm > maxNorm ? maxNorm / norm : 1
        const U = leafValues(u)
        expect(
          allClose(
            U,
            mapL(G, (x) => x * factor),
            1e-9,
            1e-12,
          ),
        ).toBe(true)
        const clippedNorm = Math.sqrt(U.flat().reduce((s, x) => s + x * x, 0))
        expect(clippedNorm).toBeLessThanOrEqual(maxNorm * (1 + 1e-9))
      }),
      { numRuns },
    )
  })

  it("clipByGlobalNorm leaves zero gradients at zero", () => {
    const g = { w: T.zeros([3], { dtype: "float64" }) }
    const [u] = nn.clipByGlobalNorm(1).update(g, {})
    expect(leafValues(u)).toEqual([[0, 0, 0]])
  })

  it("chain(a, b) feeds a's updates to b and keeps both states", () => {
    fc.assert(
      fc.property(arbTrees(3), arbLr, ([p, g1, g2], lr) => {
        const a = nn.clipByGlobalNorm(1)
        const b = nn.adam(lr)
        const chained = nn.chain(a, b)
        let s = chained.init(p!)
        let sb = b.init(p!)
        for (const g of [g1!, g2!]) {
          const [u, s2] = chained.update(g, s, p)
          const [ua] = a.update(g, {}, p)
          const [ub, sb2] = b.update(ua, sb, p)
          expect(treesBitsEqual(u, ub)).toBe(true)
          s = s2
          sb = sb2
        }
        expect(s[0]).toEqual({})
      }),
      { numRuns: 20 },
    )
  })

  it("a schedule as learning rate is read at the update count 0, 1, 2 …", () => {
    const seen: number[] = []
    const opt = nn.sgd((step) => {
      seen.push(step)
      return 0.1 * (step + 1)
    })
    const p = { w: T.tensor([1], { dtype: "float64" }) }
    const g = { w: T.tensor([1], { dtype: "float64" }) }
    const { params } = run(opt, p, [g, g, g])
    expect(seen).toEqual([0, 1, 2])
    expect(leafValues(params)[0]![0]).toBeCloseTo(1 - 0.1 - 0.2 - 0.3, 12)
  })
})

describe("optimizer state transitions are pure", () => {
  it("update returns equal results when called twice and leaves its inputs alone", () => {
    fc.assert(
      fc.property(arbTrees(2), ([p, g]) => {
        const opt = nn.chain(nn.clipByGlobalNorm(1), nn.weightDecay(0.01), nn.adam(0.1))
        const s0 = opt.init(p!)
        const before = JSON.stringify(leafValues(s0[2][0].mu))
        const [u1, s1] = opt.update(g!, s0, p)
        const [u2, s2] = opt.update(g!, s0, p)
        expect(treesBitsEqual(u1, u2)).toBe(true)
        expect(treesBitsEqual(s1[2][0].nu, s2[2][0].nu)).toBe(true)
        expect(s0[2][0].count).toBe(0)
        expect(s1[2][0].count).toBe(1)
        expect(JSON.stringify(leafValues(s0[2][0].mu))).toBe(before)
      }),
      { numRuns: 20 },
    )
  })

  it("applyUpdates keeps each parameter's dtype", () => {
    const p = { w: T.tensor([1, 2]) }
    const u = { w: T.tensor([0.5, 0.5], { dtype: "float64" }) }
    const out = nn.applyUpdates(p, u)
    expect(out.w.dtype).toBe("float32")
    expect(T.toArray(out.w)).toEqual([1.5, 2.5])
  })

  it("weightDecay without params and mismatched trees are errors", () => {
    const g = { w: T.tensor([1]) }
    expect(() => nn.weightDecay(0.1).update(g, {})).toThrow(/weightDecay/)
    expect(() =>
      nn.sgd(0.1).update({ w: T.tensor([1]) }, { count: 0 }, { w: T.tensor([1]) }),
    ).not.toThrow()
    expect(() =>
      nn.applyUpdates({ w: T.tensor([1]) }, { b: T.tensor([1]) } as Params as { w: Tensor }),
    ).toThrow("applyUpdates: updates must have the structure of params: it has no tensor at w")
  })

  it("bad hyperparameters are refused when the optimizer is made", () => {
    expect(() => nn.adam(0.1, { b1: 1 })).toThrow(/b1/)
    expect(() => nn.sgd(-1)).toThrow(/lr/)
    expect(() => nn.clipByGlobalNorm(0)).toThrow(/maxNorm/)
    expect(() => nn.momentum(0.1, { beta: -0.5 })).toThrow(/decay/)
  })
})
