import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import type { Kernel, Kernels, Primitive } from "@fnn/tensor/internal"
import { primitives, referenceKernels, useKernels } from "@fnn/tensor/internal"
import { jit, makeJaxpr } from "../src/index.ts"
import { expectSameTensor, snapshot } from "./support.ts"

const x3 = () => T.tensor([1, 2, 3])

describe("the cache", () => {
  it("traces once per signature: structure, dtypes and shapes", () => {
    const f = jit((p: { a: T.Tensor; b: T.Tensor }) => T.add(p.a, p.b))
    f({ a: x3(), b: x3() })
    f({ a: T.tensor([4, 5, 6]), b: T.tensor([0, 0, 0]) })
    expect(f.traceCount).toBe(1)
    f({ a: T.tensor([1, 2]), b: T.tensor([1, 2]) })
    expect(f.traceCount).toBe(2)
    f({ a: T.tensor([1, 2], { dtype: "float64" }), b: T.tensor([1, 2], { dtype: "float64" }) })
    expect(f.traceCount).toBe(3)
    // a different structure: the same keys in an array
    const g = jit((p: ReadonlyArray<T.Tensor>) => T.add(p[0]!, p[p.length - 1]!))
    g([x3(), x3()])
    g([x3(), x3(), x3()])
    expect(g.traceCount).toBe(2)
    // back to an old signature: no new trace
    f({ a: x3(), b: x3() })
    expect(f.traceCount).toBe(3)
  })

  it("keys static arguments and non-tensor leaves by value", () => {
    const f = jit((x: T.Tensor, n: number) => T.mul(x, n), { static: [1] })
    expectSameTensor(f(x3(), 2), T.tensor([2, 4, 6]))
    expectSameTensor(f(x3(), 3), T.tensor([3, 6, 9]))
    f(x3(), 2)
    expect(f.traceCount).toBe(2)
    // a static argument may shape the program
    const r = jit((x: T.Tensor, shape: number[]) => T.reshape(x, shape), { static: [1] })
    expect(r(T.arange(6), [2, 3]).shape).toEqual([2, 3])
    expect(r(T.arange(6), [3, 2]).shape).toEqual([3, 2])
    const h = jit((p: { x: T.Tensor; scale: number }) => T.mul(p.x, p.scale))
    expectSameTensor(h({ x: x3(), scale: 2 }), T.tensor([2, 4, 6]))
    expectSameTensor(h({ x: x3(), scale: 10 }), T.tensor([10, 20, 30]))
    expect(h.traceCount).toBe(2)
  })

  it("returns non-tensor leaves and the result's structure", () => {
    const f = jit((x: T.Tensor) => ({ y: T.neg(x), tag: "neg", list: [x, null] }))
    const out = f(x3())
    expect(out.tag).toBe("neg")
    expect(out.list[1]).toBeNull()
    expectSameTensor(out.y, T.tensor([-1, -2, -3]))
    expect(out.list[0]).toBe(out.list[0])
    expectSameTensor(out.list[0] as T.Tensor, x3())
  })

  it("refuses bad options, naming them", () => {
    expect(() => jit((x: T.Tensor) => x, { static: [-1] })).toThrow(
      "jit: static must list argument indices (integers ≥ 0), got -1",
    )
    expect(() => jit((x: T.Tensor) => x, { static: [0.5] })).toThrow(
      "jit: option static must be an integer or an array of integers",
    )
    expect(() => jit((x: T.Tensor) => x, { donnate: [0] } as never)).toThrow(
      'jit: unknown option "donnate" (did you mean "donate"?)',
    )
    expect(() => makeJaxpr((x: T.Tensor) => x, { optimise: false } as never)).toThrow(
      /makeJaxpr: unknown option "optimise" \(did you mean "optimize"\?\)/,
    )
    // one index is a list of one
    expect(jit((x: T.Tensor, n: number) => T.mul(x, n), { static: 1 })(x3(), 2).shape).toEqual([3])
    expect(() => jit((x: T.Tensor) => x, { static: [0], donate: [0] })).toThrow(
      "argument 0 cannot be both static and donated",
    )
  })
})

describe("tracing", () => {
  it("throws when a traced value is read, naming where it came from", () => {
    const f = jit((x: T.Tensor) => T.item(T.sum(T.exp(x))))
    expect(() => f(x3())).toThrow(
      /the output of sum \(f32\[\]\) was read while the function was traced/,
    )
    const g = jit((p: { w: T.Tensor }) => T.toArray(p.w))
    expect(() => g({ w: x3() })).toThrow(/argument 0 at "w" \(f32\[3\]\)/)
    expect(() => g({ w: x3() })).toThrow(/mark the argument it comes from static/)
  })

  it("prints traced values by dtype and shape", () => {
    const seen: string[] = []
    jit((x: T.Tensor) => {
      seen.push(String(T.exp(x)))
      return x
    })(x3())
    expect(seen).toEqual(["Traced<f32[3]>"])
  })

  it("refuses a traced value that escaped and is used after the trace", () => {
    let kept: T.Tensor | undefined
    const f = jit((x: T.Tensor) => {
      kept = T.neg(x)
      return x
    })
    f(x3())
    expect(() => T.add(kept!, 1)).toThrow(/tracer from a finished transformation/)
  })

  it("inlines a jitted function called inside another one", () => {
    const inner = jit((x: T.Tensor) => T.mul(x, 2))
    const outer = jit((x: T.Tensor) => T.add(inner(x), 1))
    expectSameTensor(outer(x3()), T.tensor([3, 5, 7]))
    expect(inner.traceCount).toBe(0)
    expect(outer.traceCount).toBe(1)
  })

  it("checks gather indices when the program runs", () => {
    const f = jit((x: T.Tensor, i: T.Tensor) => T.gather(x, i))
    const i32 = (v: number[]) => T.tensor(v, { dtype: "int32" })
    expectSameTensor(f(x3(), i32([2, -1, 0])), T.tensor([3, 3, 1]))
    expect(() => f(x3(), i32([0, 3, 0]))).toThrow(
      "gather: index 3 (at position 1 of indices) is out of range for axis 0 of size 3",
    )
  })
})

describe("donated arguments", () => {
  it("are dead after the call: any use throws an error naming them", () => {
    const step = jit((p: { w: T.Tensor }, g: T.Tensor) => ({ w: T.sub(p.w, T.mul(g, 0.5)) }), {
      donate: [0],
    })
    const p = { w: T.tensor([1, 2, 3]) }
    const out = step(p, T.tensor([2, 2, 2]))
    expectSameTensor(out.w, T.tensor([0, 1, 2]))
    expect(() => T.add(p.w, 1)).toThrow(
      /jit: argument 0 at "w" \(float32\[3\]\) was donated to a jitted function.*deleted/,
    )
    expect(() => T.toArray(p.w)).toThrow(/donated/)
    // the output keeps working, and may be donated in turn
    const again = step(out, T.tensor([2, 2, 2]))
    expectSameTensor(again.w, T.tensor([-1, 0, 1]))
  })

  it("give their memory to outputs of their dtype and size", () => {
    const step = jit((w: T.Tensor, g: T.Tensor) => T.sub(w, g), { donate: [0] })
    const w = T.tensor([1, 2, 3])
    const storage = w.data
    const out = step(w, T.tensor([1, 1, 1]))
    expect(out.data).toBe(storage)
    expectSameTensor(out, T.tensor([0, 1, 2]))
  })

  it("returned as they are stay usable through the output", () => {
    const f = jit((w: T.Tensor) => [w, T.neg(w)] as const, { donate: [0] })
    const w = x3()
    const [same, neg] = f(w)
    expectSameTensor(same, x3())
    expectSameTensor(neg, T.tensor([-1, -2, -3]))
    expect(() => w.data).toThrow(/donated/)
  })
})

describe("outputs", () => {
  it("are never changed by a later call (immutability)", () => {
    const f = jit((x: T.Tensor) => {
      const y = T.exp(T.mul(x, 2))
      return { y, z: T.sum(y), r: T.reshape(y, [-1]), c: T.tensor([7]) }
    })
    const first = f(x3())
    const before = [first.y, first.z, first.r, first.c].map(snapshot)
    const second = f(T.tensor([-1, -2, -3]))
    // a constant output is a copy on every call
    expect(second.c).not.toBe(first.c)
    expect([first.y, first.z, first.r, first.c].map(snapshot)).toEqual(before)
  })

  it("are the only buffers a steady-state call asks the kernels to allocate", () => {
    const given: Array<[Primitive, boolean]> = []
    const recording =
      (p: Primitive): Kernel<Primitive> =>
      (inputs, params, out) => {
        given.push([p, out !== undefined])
        return (referenceKernels[p] as Kernel<Primitive>)(inputs, params, out)
      }
    const record = Object.fromEntries(primitives.map((p) => [p, recording(p)])) as Partial<Kernels>
    const f = jit((x: T.Tensor, w: T.Tensor) => T.sum(T.sigmoid(T.add(T.matmul(x, w), 1))))
    const x = T.ones([4, 3])
    const w = T.ones([3, 2])
    f(x, w)
    const restore = useKernels(record)
    try {
      f(x, w)
    } finally {
      restore()
    }
    // matmul, add, sigmoid write into planned memory; only sum's result is new
    expect(given).toEqual([
      ["matmul", true],
      ["add", true],
      ["sigmoid", true],
      ["sum", false],
    ])
  })
})

describe("makeJaxpr", () => {
  it("prints typed equations over primitives", () => {
    const p = makeJaxpr((x: T.Tensor, w: T.Tensor, b: T.Tensor) =>
      T.sigmoid(T.add(T.matmul(x, w), b)),
    )(T.zeros([32, 784]), T.zeros([784, 16]), T.zeros([16]))
    const lines = String(p)
      .split("\n")
      .map((l) => l.trim())
    expect(lines).toEqual([
      "{ lambda a:f32[32,784] b:f32[784,16] c:f32[16] ;",
      "d:f32[32,16] = matmul a b",
      "e:f32[32,16] = add d c",
      "f:f32[32,16] = sigmoid e",
      "in ( f ) }",
    ])
  })

  it("shows params, constants and what optimization removed", () => {
    const f = (x: T.Tensor) => {
      T.exp(x) // unused: dead code
      const a = T.sum(T.mul(x, 2), { axis: 0 })
      const b = T.sum(T.mul(x, 2), { axis: 0 }) // the same as a
      return T.add(T.add(a, b), 3)
    }
    const x = T.zeros([2, 3])
    const raw = makeJaxpr(f, { optimize: false })(x)
    expect(raw.counts()).toEqual({ exp: 1, mul: 2, sum: 2, add: 2 })
    const p = makeJaxpr(f)(x)
    expect(p.counts()).toEqual({ mul: 1, sum: 1, add: 2 })
    expect(raw.constants).toHaveLength(3)
    const text = String(p)
    expect(text).toContain("= sum[axes=[0]] ")
    expect(text).toContain("f32[] = const 3")
    expect(text).toContain("f32[] = const 2")
    // equal constants are one: both multiplications used the same 2
    expect(p.constants).toHaveLength(2)
  })

  it("prints matmul's transposes only when set", () => {
    const p = makeJaxpr((a: T.Tensor, b: T.Tensor) => T.matmul(T.transpose(a), b), {
      optimize: false,
    })(T.zeros([3, 2]), T.zeros([3, 4]))
    expect(String(p)).toContain("= transpose[perm=[1,0]] a")
    expect(String(p)).toMatch(/= matmul [a-z]+ b/)
  })
})
