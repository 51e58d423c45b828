import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as nn from "../src/index.ts"

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))

describe("oneCycle follows PyTorch's OneCycleLR", () => {
  it("starts at max/25, peaks at 30 % of the steps, ends at max/(25·1e4)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 100_000 }).filter((n) => Number.isInteger(0.3 * n)),
        fc.double({ min: 1e-4, max: 10, noNaN: true }),
        (total, maxLr) => {
          const s = nn.oneCycle(total, maxLr)
          expect(close(s(0), maxLr / 25)).toBe(true)
          expect(close(s(0.3 * total - 1), maxLr)).toBe(true)
          expect(close(s(total - 1), maxLr / 25 / 1e4)).toBe(true)
          // rises, then falls, never above the peak
          for (let i = 1; i < 0.3 * total; i = Math.ceil(i * 1.7))
            expect(s(i)).toBeGreaterThanOrEqual(s(i - 1))
          for (let i = Math.ceil(0.3 * total); i < total; i = Math.ceil(i * 1.3))
            expect(s(i)).toBeLessThanOrEqual(s(i - 1))
        },
      ),
      { numRuns: 50 },
    )
  })

  it("matches values computed by hand from PyTorch's formula", () => {
    // total 100, max 1: phase 1 ends at step 29, phase 2 at 99; cos anneal
    const s = nn.oneCycle(100, 1)
    const cos = (from: number, to: number, pct: number) =>
      to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1)
    expect(s(10)).toBeCloseTo(cos(0.04, 1, 10 / 29), 14)
    expect(s(60)).toBeCloseTo(cos(1, 0.04 / 1e4, (60 - 29) / 70), 14)
    const lin = nn.oneCycle(100, 1, {
      anneal: "linear",
      pctStart: 0.5,
      divFactor: 10,
      finalDivFactor: 100,
    })
    expect(lin(0)).toBeCloseTo(0.1, 14)
    expect(lin(49)).toBeCloseTo(1, 14)
    expect(lin(99)).toBeCloseTo(0.001, 14)
    expect(lin(200)).toBeCloseTo(0.001, 14)
  })
})

describe("other schedules hit their stated values", () => {
  it("cosine: linear warmup to the peak, half a cosine down to the final value", () => {
    const s = nn.cosine(0.1, 1000, { warmupSteps: 100, initial: 0.01, final: 0.001 })
    expect(s(0)).toBeCloseTo(0.01, 14)
    expect(s(50)).toBeCloseTo(0.055, 14)
    expect(s(100)).toBeCloseTo(0.1, 14)
    expect(s(550)).toBeCloseTo((0.1 + 0.001) / 2, 14)
    expect(s(1000)).toBeCloseTo(0.001, 14)
    expect(s(5000)).toBeCloseTo(0.001, 14)
    expect(nn.cosine(1, 10)(0)).toBe(1)
  })

  it("step, exponential, piecewise and constant", () => {
    const st = nn.step(0.1, { every: 10, factor: 0.5 })
    expect([st(0), st(9), st(10), st(25)]).toEqual([0.1, 0.1, 0.05, 0.025])
    const ex = nn.exponential(1, { rate: 0.5, every: 2 })
    expect(ex(1)).toBeCloseTo(Math.SQRT1_2, 14)
    expect(ex(4)).toBeCloseTo(0.25, 14)
    const pw = nn.piecewise(1, [
      [10, 0.1],
      [20, 0.01],
    ])
    expect([pw(0), pw(9), pw(10), pw(19), pw(20), pw(1e6)]).toEqual([1, 1, 0.1, 0.1, 0.01, 0.01])
    expect(nn.constant(0.3)(12345)).toBe(0.3)
  })

  it("refuses schedules that make no sense", () => {
    expect(() => nn.oneCycle(0, 1)).toThrow(/totalSteps/)
    expect(() => nn.oneCycle(100, 1, { pctStart: 1 })).toThrow(/pctStart/)
    expect(() => nn.cosine(0.1, 100, { warmupSteps: 100 })).toThrow(/warmupSteps/)
    expect(() => nn.step(0.1, { every: 0, factor: 0.5 })).toThrow(/every/)
    expect(() =>
      nn.piecewise(1, [
        [10, 0.1],
        [5, 0.01],
      ]),
    ).toThrow(/increase/)
    expect(() => nn.constant(Number.NaN)).toThrow(/lr/)
  })
})
