import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import type { Tensor } from "../src/index.ts"
import { count, make, nonEmptyShapeArb } from "./reference.ts"

/** Runs `f`, which must throw a TensorError, and returns it. */
const thrown = (f: () => unknown): T.TensorError => {
  try {
    f()
  } catch (e) {
    if (e instanceof T.TensorError) return e
    throw new Error(`expected a TensorError, got ${String(e)}`)
  }
  throw new Error("expected a TensorError, nothing was thrown")
}

const show = (s: ReadonlyArray<number>): string => `[${s.join(", ")}]`

const zeros = (shape: ReadonlyArray<number>): Tensor =>
  make("float32", shape, new Array<number>(count(shape)).fill(0))

/** Two shapes that do not broadcast: equal but for one axis where both sizes are ≥ 2 and differ. */
const clashArb = nonEmptyShapeArb(1, 4, 4).chain((s) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: s.length - 1 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 0, max: s.length - 1 }),
    )
    .filter(([, x, y]) => x !== y)
    .map(([axis, x, y, drop]) => {
      const a = s.slice()
      const b = s.slice()
      a[axis] = x
      b[axis] = y
      // dropping leading axes of one side keeps the clash when the clashing axis survives
      return [a, drop <= axis ? b.slice(drop) : b] as const
    }),
)

describe("errors name the op and the shapes", () => {
  const binaries: ReadonlyArray<[string, (a: Tensor, b: Tensor) => Tensor]> = [
    ["add", T.add],
    ["sub", T.sub],
    ["mul", T.mul],
    ["div", T.div],
    ["pow", T.pow],
    ["maximum", T.maximum],
    ["minimum", T.minimum],
    ["equal", T.equal],
    ["greater", T.greater],
    ["greaterEqual", T.greaterEqual],
    ["less", T.less],
    ["lessEqual", T.lessEqual],
    ["where", (a, b) => T.where(1, a, b)],
    ["clip", (a, b) => T.clip(a, b, 1)],
  ]

  it("for shapes that do not broadcast, in every binary op", () => {
    fc.assert(
      fc.property(clashArb, fc.constantFrom(...binaries), ([sa, sb], [name, op]) => {
        const e = thrown(() => op(zeros(sa), zeros(sb)))
        expect(e.op).toBe(name)
        expect(e.message).toContain(`${name}: `)
        expect(e.message).toContain(show(sa))
        expect(e.message).toContain(show(sb))
        expect(e.message).toContain("broadcast")
      }),
    )
  })

  it("for matmul operands whose inner sizes or batch axes disagree", () => {
    let e = thrown(() => T.matmul(zeros([2, 3]), zeros([4, 2])))
    expect(e.message).toMatch(/^matmul: .*\[2, 3\].*\[4, 2\]/)
    e = thrown(() => T.matmul(zeros([2, 2, 3]), zeros([3, 3, 2])))
    expect(e.message).toMatch(/^matmul: .*\[2, 2, 3\].*\[3, 3, 2\]/)
    e = thrown(() => T.matmul(zeros([]), zeros([3])))
    expect(e.message).toMatch(/^matmul: .*\[\].*\[3\]/)
  })

  it("for axes out of range", () => {
    const axisOps: ReadonlyArray<[string, (x: Tensor, axis: number) => unknown]> = [
      ["sum", (x, axis) => T.sum(x, { axis })],
      ["mean", (x, axis) => T.mean(x, { axis })],
      ["max", (x, axis) => T.max(x, { axis })],
      ["min", (x, axis) => T.min(x, { axis })],
      ["argmax", (x, axis) => T.argmax(x, { axis })],
      ["argmin", (x, axis) => T.argmin(x, { axis })],
      ["logSumExp", (x, axis) => T.logSumExp(x, { axis })],
      ["softmax", (x, axis) => T.softmax(x, { axis })],
      ["logSoftmax", (x, axis) => T.logSoftmax(x, { axis })],
      ["squeeze", (x, axis) => T.squeeze(x, axis)],
      ["concat", (x, axis) => T.concat([x, x], axis)],
      ["gather", (x, axis) => T.gather(x, 0, axis)],
      ["take", (x, axis) => T.take(x, 0, axis)],
    ]
    fc.assert(
      fc.property(
        nonEmptyShapeArb(1, 3, 3),
        fc.oneof(fc.integer({ min: 3, max: 9 }), fc.integer({ min: -9, max: -4 })),
        fc.constantFrom(...axisOps),
        (shape, axis, [name, op]) => {
          const e = thrown(() => op(zeros(shape), axis))
          expect(e.op).toBe(name)
          expect(e.message).toContain(`axis ${axis}`)
          expect(e.message).toContain(`rank ${shape.length}`)
        },
      ),
    )
    expect(thrown(() => T.expandDims(zeros([2]), 2)).message).toMatch(/^expandDims: axis 2/)
    expect(thrown(() => T.stack([zeros([2])], -3)).message).toMatch(/^stack: axis -3/)
    expect(thrown(() => T.sum(zeros([2]), { axis: 0.5 })).message).toMatch(
      /^sum: option axis must be an integer or an array of integers, got number 0.5/,
    )
  })

  it("for repeated axes", () => {
    expect(thrown(() => T.sum(zeros([2, 3]), { axis: [0, -2] })).message).toMatch(
      /^sum: .*\[0,-2\].*repeats/,
    )
    expect(thrown(() => T.max(zeros([2, 3]), { axis: [1, 1] })).message).toMatch(/^max: .*repeats/)
    expect(thrown(() => T.transpose(zeros([2, 3]), [1, 1])).message).toMatch(
      /^transpose: perm \[1,1\] repeats/,
    )
    expect(thrown(() => T.transpose(zeros([2, 3]), [0])).message).toMatch(/^transpose: .*\[2, 3\]/)
  })

  it("for reshapes that change the size", () => {
    fc.assert(
      fc.property(
        nonEmptyShapeArb(0, 3, 4),
        nonEmptyShapeArb(0, 3, 4),
        fc.boolean(),
        (from, to, infer) => {
          const n = count(from)
          fc.pre(infer ? n % count(to) !== 0 : count(to) !== n)
          const target = infer ? [...to, -1] : to
          const e = thrown(() => T.reshape(zeros(from), target))
          expect(e.message).toMatch(/^reshape: /)
          expect(e.message).toContain(show(from))
          expect(e.message).toContain(show(target))
        },
      ),
    )
    expect(thrown(() => T.reshape(zeros([6]), [-1, -1])).message).toMatch(/^reshape: only one/)
    expect(thrown(() => T.reshape(zeros([6]), [2.5, 2])).message).toMatch(/^reshape: shape/)
  })

  it("for take, gather and oneHot indices out of range, naming the index and the shape", () => {
    fc.assert(
      fc.property(
        nonEmptyShapeArb(1, 3, 4),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        (shape, above, by) => {
          const n = count(shape)
          const bad = above ? n + by : -n - 1 - by
          const e = thrown(() => T.take(zeros(shape), make("int32", [2], [0, bad])))
          expect(e.message).toMatch(/^take: /)
          expect(e.message).toContain(`index ${bad}`)
          expect(e.message).toContain(`size ${n}`)
          const g = thrown(() => T.gather(zeros(shape), make("int32", [1], [shape[0]! + by])))
          expect(g.message).toMatch(/^gather: /)
          expect(g.message).toContain(show(shape))
        },
      ),
    )
    expect(thrown(() => T.take(zeros([3]), make("float32", [1], [0]))).message).toMatch(
      /^take: indices must be int32/,
    )
    expect(thrown(() => T.oneHot(make("int32", [2], [0, 3]), 3)).message).toMatch(
      /^oneHot: label 3/,
    )
  })

  it("for concat and stack of mismatched shapes", () => {
    expect(thrown(() => T.concat([zeros([2, 3]), zeros([2, 4])])).message).toMatch(
      /^concat: .*\[2, 4\].*\[2, 3\]/,
    )
    expect(thrown(() => T.stack([zeros([2, 3]), zeros([3, 2])])).message).toMatch(
      /^stack: .*\[3, 2\].*\[2, 3\]/,
    )
    expect(thrown(() => T.concat([])).message).toMatch(/^concat: /)
    expect(thrown(() => T.broadcastTo(zeros([2, 3]), [3, 3])).message).toMatch(
      /^broadcastTo: .*\[2, 3\].*\[3, 3\]/,
    )
    expect(thrown(() => T.broadcastTo(zeros([1]), [-1])).message).toMatch(/^broadcastTo: /)
  })

  it("for reductions over an empty axis", () => {
    for (const [name, op] of [
      ["max", T.max],
      ["min", T.min],
      ["logSumExp", T.logSumExp],
      ["argmax", T.argmax],
      ["argmin", T.argmin],
      ["softmax", T.softmax],
      ["logSoftmax", T.logSoftmax],
    ] as const) {
      const e = thrown(() => op(zeros([2, 0]), { axis: -1 }))
      expect(e.op).toBe(name)
      expect(e.message).toContain("[2, 0]")
    }
  })
})

describe("non-tensor arguments", () => {
  const arr = [1, 2] as unknown as Tensor
  const calls: ReadonlyArray<[string, () => unknown]> = [
    ["add", () => T.add(arr, 1)],
    ["mul", () => T.mul(T.zeros([2]), arr)],
    ["exp", () => T.exp(arr)],
    ["relu", () => T.relu(arr)],
    ["where", () => T.where(arr, 1, 0)],
    ["sum", () => T.sum(arr)],
    ["mean", () => T.mean(arr)],
    ["argmax", () => T.argmax(arr)],
    ["softmax", () => T.softmax(arr)],
    ["reshape", () => T.reshape(arr, [2])],
    ["transpose", () => T.transpose(arr)],
    ["slice", () => T.slice(arr, [0])],
    ["concat", () => T.concat([arr])],
    ["take", () => T.take(arr, 0)],
    ["oneHot", () => T.oneHot(arr, 3)],
    ["matmul", () => T.matmul(arr, arr)],
    ["cast", () => T.cast(arr, "float32")],
    ["zerosLike", () => T.zerosLike(arr)],
    ["toArray", () => T.toArray(arr)],
    ["item", () => T.item(arr)],
  ]

  it.each(calls)("%s given a plain array suggests T.tensor", (name, call) => {
    const e = thrown(call)
    expect(e.op).toBe(name)
    expect(e.message).toContain("T.tensor")
  })

  it("names other wrong types", () => {
    expect(thrown(() => T.add("1" as unknown as Tensor, 1)).message).toMatch(
      /^add: argument 0 must be a Tensor or a number, got string/,
    )
    expect(thrown(() => T.neg(null as unknown as Tensor)).message).toMatch(/^neg: .*null/)
    expect(thrown(() => T.cast(T.zeros([1]), "float16" as "float32")).message).toMatch(
      /^cast: dtype/,
    )
  })

  it("TensorError is an Error with the op on it", () => {
    const e = thrown(() => T.add(T.zeros([2]), T.zeros([3])))
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe("TensorError")
    expect(e.op).toBe("add")
    expect(e.message).toBe("add: shapes [2] and [3] do not broadcast (axis -1 has sizes 2 and 3)")
  })
})
