import * as T from "@fnn/tensor"
import { describe, expect, it } from "vitest"
import * as nn from "../src/index.ts"

describe("defaults and edges pinned", () => {
  it("adamw's default weight decay is 1e-4, decoupled from the moments", () => {
    const p = { w: T.tensor([2], { dtype: "float64" }) }
    const g = { w: T.tensor([0.5], { dtype: "float64" }) }
    const opt = nn.adamw(0.1)
    const [u] = opt.update(g, opt.init(p), p)
    // step 1: m̂ = g, v̂ = g², direction g/(|g| + 1e-8) + 1e-4·p
    const expected = -0.1 * (0.5 / (0.5 + 1e-8) + 1e-4 * 2)
    expect(T.item(u.w)).toBeCloseTo(expected, 15)
    const [explicit] = nn.adamw(0.1, { weightDecay: 1e-4 }).update(g, opt.init(p), p)
    expect(T.item(explicit.w)).toBe(T.item(u.w))
  })

  it("oneCycle with a fractional peak step follows PyTorch's float phase ends", () => {
    // 10 steps, pctStart 0.25: the peak at 0.25·10 − 1 = 1.5, the end at 9
    const s = nn.oneCycle(10, 1, { pctStart: 0.25 })
    const cos = (from: number, to: number, pct: number): number =>
      to + ((from - to) / 2) * (1 + Math.cos(Math.PI * pct))
    const initial = 1 / 25
    const min = initial / 1e4
    expect(s(0)).toBeCloseTo(initial, 15)
    expect(s(1)).toBeCloseTo(cos(initial, 1, 1 / 1.5), 15)
    expect(s(2)).toBeCloseTo(cos(1, min, (2 - 1.5) / (9 - 1.5)), 15)
    expect(s(9)).toBeCloseTo(min, 15)
    expect(Math.max(...Array.from({ length: 10 }, (_, i) => s(i)))).toBeLessThan(1)
  })
})
