import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import type { Aval } from "@fnn/tensor/internal"
import {
  eliminateCommonSubexpressions,
  eliminateDeadCode,
  foldConstants,
  foldTransposes,
  makeJaxpr,
  planMemory,
  Program,
} from "../src/index.ts"
import type { Equation } from "../src/index.ts"

const f32 = (...shape: number[]): Aval => ({ dtype: "float32", shape })
const eq = (prim: Equation["prim"], inputs: number[], output: number, params: object = {}) =>
  ({ prim, inputs, output, params }) as Equation

describe("foldConstants", () => {
  it("computes equations of constants once, with the kernels, and keeps large broadcasts", () => {
    const p = new Program({
      avals: [f32(3), f32(), f32(), f32(), f32(3), f32(2000)],
      inputs: [0],
      constants: [
        { variable: 1, value: T.tensor(2) },
        { variable: 2, value: T.tensor(3) },
      ],
      equations: [
        eq("mul", [1, 2], 3),
        eq("add", [0, 3], 4),
        eq("broadcastTo", [3], 5, { shape: [2000] }),
      ],
      outputs: [4, 5],
    })
    const q = foldConstants(p)
    expect(q.equations.map((e) => e.prim)).toEqual(["add", "broadcastTo"])
    const six = q.constants.find((c) => c.variable === 3)
    expect(six && T.item(six.value)).toBe(6)
  })
})

describe("eliminateCommonSubexpressions", () => {
  it("merges repeated equations and equal small constants, and renames outputs", () => {
    const p = new Program({
      avals: [f32(3), f32(), f32(), f32(3), f32(3), f32(3)],
      inputs: [0],
      constants: [
        { variable: 1, value: T.tensor(2) },
        { variable: 2, value: T.tensor(2) },
      ],
      equations: [eq("mul", [0, 1], 3), eq("mul", [0, 2], 4), eq("add", [3, 4], 5)],
      outputs: [5, 4],
    })
    const q = eliminateCommonSubexpressions(p)
    expect(q.constants.map((c) => c.variable)).toEqual([1])
    expect(q.equations).toEqual([eq("mul", [0, 1], 3), eq("add", [3, 3], 5)])
    expect(q.outputs).toEqual([5, 3])
  })

  it("keeps equations whose params differ", () => {
    const p = new Program({
      avals: [f32(2, 2), f32(2), f32(2)],
      inputs: [0],
      constants: [],
      equations: [eq("sum", [0], 1, { axes: [0] }), eq("sum", [0], 2, { axes: [1] })],
      outputs: [1, 2],
    })
    expect(eliminateCommonSubexpressions(p)).toBe(p)
  })
})

describe("eliminateDeadCode", () => {
  it("removes what no output depends on", () => {
    const p = new Program({
      avals: [f32(3), f32(), f32(3), f32(3)],
      inputs: [0],
      constants: [{ variable: 1, value: T.tensor(2) }],
      equations: [eq("mul", [0, 1], 2), eq("exp", [0], 3)],
      outputs: [3],
    })
    const q = eliminateDeadCode(p)
    expect(q.equations).toEqual([eq("exp", [0], 3)])
    expect(q.constants).toEqual([])
  })
})

describe("planMemory", () => {
  const chain = (n: number): Program =>
    new Program({
      avals: Array.from({ length: n + 1 }, () => f32(1000)),
      inputs: [0],
      constants: [],
      equations: Array.from({ length: n }, (_, i) => eq(i % 2 === 0 ? "exp" : "neg", [i], i + 1)),
      outputs: [n],
    })

  it("reuses memory along a chain: two slots, whatever its length", () => {
    const plan = planMemory(chain(10), new Set())
    expect(plan.slotBytes).toEqual([4000, 4000])
    expect(plan.placements[9]).toEqual({ kind: "fresh" })
  })

  it("never gives one slot to two values alive at once", () => {
    // a: input; b = exp a; c = neg a; d = add b c; e = exp d; f = neg e
    const p = new Program({
      avals: [f32(8), f32(8), f32(8), f32(8), f32(8), f32(8)],
      inputs: [0],
      constants: [],
      equations: [
        eq("exp", [0], 1),
        eq("neg", [0], 2),
        eq("add", [1, 2], 3),
        eq("exp", [3], 4),
        eq("neg", [4], 5),
      ],
      outputs: [5],
    })
    const plan = planMemory(p, new Set())
    const slot = (i: number) => (plan.placements[i] as { slot: number }).slot
    // b and c are alive together, and d is written while both are read
    expect(new Set([slot(0), slot(1), slot(2)]).size).toBe(3)
    // e is written once b and c are dead
    expect([slot(0), slot(1)]).toContain(slot(3))
    expect(plan.freedAfter[2]).toEqual(expect.arrayContaining([slot(0), slot(1)]))
  })

  it("writes an output into a donated input once nothing else reads it", () => {
    const p = new Program({
      avals: [f32(8), f32(8), f32(8)],
      inputs: [0, 1],
      constants: [],
      equations: [eq("sub", [0, 1], 2)],
      outputs: [2],
    })
    expect(planMemory(p, new Set([0])).placements).toEqual([{ kind: "donated", input: 0 }])
    expect(planMemory(p, new Set()).placements).toEqual([{ kind: "fresh" }])
    // a matmul reads its inputs while it writes: it may not write into one of them
    const m = new Program({
      avals: [f32(2, 2), f32(2, 2), f32(2, 2)],
      inputs: [0, 1],
      constants: [],
      equations: [eq("matmul", [0, 1], 2, { transposeA: false, transposeB: false })],
      outputs: [2],
    })
    expect(planMemory(m, new Set([0, 1])).placements).toEqual([{ kind: "fresh" }])
  })
})

describe("foldTransposes", () => {
  it("reads a swapped operand through matmul's transpose flags, and drops the transpose", () => {
    const f = (a: T.Tensor, b: T.Tensor) =>
      T.matmul(T.transpose(a, [0, 2, 1]), T.transpose(b, [0, 2, 1]))
    const p = makeJaxpr(f)(T.zeros([4, 3, 2]), T.zeros([4, 5, 3]))
    expect(p.counts()).toEqual({ matmul: 1 })
    expect(String(p)).toContain("matmul[transposeA=true transposeB=true] a b")
    const q = makeJaxpr((x: T.Tensor, y: T.Tensor) => T.matmul(T.transpose(x), y))(
      T.zeros([3, 2]),
      T.zeros([3, 4]),
    )
    expect(q.counts()).toEqual({ matmul: 1 })
    expect(String(q)).toMatch(/= matmul\[transposeA=true\] a b/)
  })

  it("is a pass over a program, leaving a program without transposes as it is", () => {
    const p = makeJaxpr((x: T.Tensor, y: T.Tensor) => T.matmul(x, y), { optimize: false })(
      T.zeros([2, 3]),
      T.zeros([3, 4]),
    )
    expect(foldTransposes(p)).toBe(p)
    const q = makeJaxpr((x: T.Tensor, y: T.Tensor) => T.matmul(x, T.transpose(y)), {
      optimize: false,
    })(T.zeros([2, 3]), T.zeros([4, 3]))
    const folded = foldTransposes(q)
    expect(folded.equations.map((e) => e.prim)).toEqual(["transpose", "matmul"])
    expect(folded.equations[1]!.inputs).toEqual([0, 1])
    expect(eliminateDeadCode(folded).counts()).toEqual({ matmul: 1 })
  })

  it("keeps a transpose that another equation reads, and other permutations", () => {
    const f = (x: T.Tensor) => {
      const t = T.transpose(x)
      return [T.matmul(t, x), T.exp(t)]
    }
    expect(makeJaxpr(f)(T.zeros([3, 3])).counts()).toEqual({ transpose: 1, matmul: 1, exp: 1 })
    const g = (x: T.Tensor, y: T.Tensor) => T.matmul(T.transpose(x, [1, 0, 2]), y)
    expect(makeJaxpr(g)(T.zeros([2, 2, 3]), T.zeros([2, 3, 4])).counts()).toEqual({
      transpose: 1,
      matmul: 1,
    })
  })
})
