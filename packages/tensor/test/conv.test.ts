import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"
import { bind } from "../src/internal.ts"
import type { ConvCase } from "./conv-reference.ts"
import { convCaseArb, convRef, poolRef, samePadding } from "./conv-reference.ts"
import type { Ref } from "./reference.ts"
import { close, count, expectMatches, make, refOf, tensorArb as anyTensorArb } from "./reference.ts"

/** Finite values: sums of products are compared with a tolerance, which NaN and ∞ defeat. */
const finite = (): fc.Arbitrary<number> => fc.double({ min: -2, max: 2, noNaN: true })
const tensorArb = (shape: ReadonlyArray<number>, d: T.DType) => anyTensorArb(shape, d, finite)

const tolerance = (d: T.DType) => (d === "float32" ? 1e-5 : 1e-12)

const problem = (c: ConvCase) =>
  fc
    .tuple(tensorArb(c.xShape, c.dtype), tensorArb(c.wShape, c.dtype))
    .map(([x, w]) => ({ c, x, w }))

const opOptions = (c: ConvCase): T.ConvOptions => ({
  strides: c.cfg.strides,
  padding: c.padding,
  inputDilation: c.cfg.inputDilation,
  kernelDilation: c.cfg.kernelDilation,
  groups: c.cfg.groups,
})

describe("conv agrees with the naive reference", () => {
  it("over random shapes, strides, padding, dilations and groups (1-D to 3-D)", () => {
    fc.assert(
      fc.property(convCaseArb().chain(problem), ({ c, x, w }) => {
        const y = T.conv(x, w, opOptions(c))
        expectMatches(y, convRef(refOf(x), refOf(w), c.cfg), (a, b) =>
          close(a, b, tolerance(c.dtype)),
        )
      }),
      { numRuns: 150 },
    )
  })

  it("on a hand-checked 2-D case: a 3×3 box filter with SAME padding", () => {
    const x = T.reshape(T.arange(1, 10, 1, { dtype: "float64" }), [1, 3, 3, 1])
    const y = T.conv2d(x, T.ones([3, 3, 1, 1], { dtype: "float64" }), { padding: "SAME" })
    expect(Array.from(y.data)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28])
  })

  it("with input dilation is a transposed convolution: it spreads each input over the kernel", () => {
    const x = T.reshape(T.tensor([1, 2], { dtype: "float64" }), [1, 2, 1])
    const w = T.reshape(T.tensor([1, 10, 100], { dtype: "float64" }), [3, 1, 1])
    // x dilated by 2 and padded by 2: [0, 0, 1, 0, 2, 0, 0]
    const y = T.conv(x, w, { inputDilation: 2, padding: [[2, 2]] })
    expect(Array.from(y.data)).toEqual([100, 10, 201, 20, 2])
  })

  it("SAME keeps ceil(size / stride) positions", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (size, k, s) => {
          const y = T.conv(T.zeros([1, size, 1]), T.zeros([k, 1, 1]), {
            padding: "SAME",
            strides: s,
          })
          expect(y.shape).toEqual([1, Math.ceil(size / s), 1])
        },
      ),
    )
  })

  it("depthwise (groups = channels) convolves each channel with its own filters", () => {
    fc.assert(
      fc.property(tensorArb([2, 5, 3], "float64"), tensorArb([2, 1, 6], "float64"), (x, w) => {
        const y = T.conv(x, w, { groups: 3 })
        for (let c = 0; c < 3; c++) {
          const xc = T.slice(x, [0, 0, c], [2, 5, c + 1])
          const wc = T.slice(w, [0, 0, 2 * c], [2, 1, 2 * c + 2])
          const yc = T.slice(y, [0, 0, 2 * c], [2, 4, 2 * c + 2])
          expectMatches(yc, refOf(T.conv(xc, wc)), (a, b) => close(a, b, 1e-12))
        }
      }),
    )
  })
})

const windowsRef = (x: Ref, window: number[], strides: number[]): Ref => {
  // windows[n, o, k, c] = x[n, o·s + k, c], through the pooling reference with a one-hot window
  const d = window.length
  const outs = window.map((k, i) => Math.floor((x.shape[i + 1]! - k) / strides[i]!) + 1)
  const shape = [x.shape[0]!, ...outs, ...window, x.shape[d + 1]!]
  const values: number[] = []
  const idx = new Array<number>(shape.length).fill(0)
  for (let f = 0; f < count(shape); f++) {
    let rest = f
    for (let i = shape.length - 1; i >= 0; i--) {
      idx[i] = rest % shape[i]!
      rest = Math.floor(rest / shape[i]!)
    }
    let src = idx[0]!
    for (let i = 0; i < d; i++)
      src = src * x.shape[i + 1]! + idx[i + 1]! * strides[i]! + idx[d + 1 + i]!
    values.push(x.values[src * x.shape[d + 1]! + idx[2 * d + 1]!]!)
  }
  return { dtype: x.dtype, shape, values }
}

const windowsCase = fc
  .integer({ min: 1, max: 3 })
  .chain((d) =>
    fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: d, maxLength: d }),
      window: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: d, maxLength: d }),
      strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: d, maxLength: d }),
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 3 }),
    }),
  )
  .filter((r) => r.sizes.every((s, i) => s >= r.window[i]!))

describe("the windows primitives", () => {
  it("windows copies each window out, as the naive reference does", () => {
    fc.assert(
      fc.property(
        windowsCase.chain((r) =>
          tensorArb([r.n, ...r.sizes, r.c], "float32").map((x) => ({ r, x })),
        ),
        ({ r, x }) => {
          const y = bind("windows", [x], { window: r.window, strides: r.strides })
          expectMatches(y, windowsRef(refOf(x), r.window, r.strides))
        },
      ),
    )
  })

  it("addWindows is the transpose of windows: ⟨windows(x), g⟩ = ⟨x, addWindows(g)⟩", () => {
    fc.assert(
      fc.property(
        windowsCase.chain((r) =>
          tensorArb([r.n, ...r.sizes, r.c], "float64").chain((x) => {
            const params = { window: r.window, strides: r.strides }
            const shape = bind("windows", [x], params).shape
            return tensorArb(shape, "float64").map((g) => ({ x, g, params }))
          }),
        ),
        ({ x, g, params }) => {
          const wx = bind("windows", [x], params)
          const back = bind("addWindows", [g], { ...params, shape: x.shape })
          expect(back.shape).toEqual(x.shape)
          const lhs = T.item(T.sum(T.mul(wx, g)))
          const rhs = T.item(T.sum(T.mul(x, back)))
          expect(close(lhs, rhs, 1e-9)).toBe(true)
        },
      ),
    )
  })
})

const poolCase = fc
  .integer({ min: 1, max: 2 })
  .chain((d) =>
    fc.record({
      sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: d, maxLength: d }),
      window: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: d, maxLength: d }),
      strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: d, maxLength: d }),
      padding: fc.oneof(
        fc.constantFrom<"SAME" | "VALID">("SAME", "VALID"),
        fc.array(fc.tuple(fc.nat(1), fc.nat(1)), { minLength: d, maxLength: d }),
      ),
      dtype: fc.constantFrom<T.DType>("float32", "float64"),
    }),
  )
  .map((r) => ({
    ...r,
    pairs:
      r.padding === "VALID"
        ? r.sizes.map((): [number, number] => [0, 0])
        : r.padding === "SAME"
          ? samePadding(r.sizes, r.window, r.strides)
          : r.padding,
  }))
  // every window holds at least one input element
  .filter((r) =>
    r.sizes.every(
      (s, i) =>
        s + r.pairs[i]![0] + r.pairs[i]![1] >= r.window[i]! &&
        r.pairs[i]![0] < r.window[i]! &&
        r.pairs[i]![1] < r.window[i]!,
    ),
  )

describe("pooling agrees with the naive reference", () => {
  it.each(["max", "avg"] as const)("%sPool over random windows, strides and padding", (kind) => {
    fc.assert(
      fc.property(
        poolCase.chain((r) => tensorArb([2, ...r.sizes, 2], r.dtype).map((x) => ({ r, x }))),
        ({ r, x }) => {
          const pool = kind === "max" ? T.maxPool : T.avgPool
          const y = pool(x, r.window, { strides: r.strides, padding: r.padding })
          expectMatches(y, poolRef(kind, refOf(x), r.window, r.strides, r.pairs), (a, b) =>
            close(a, b, tolerance(r.dtype)),
          )
        },
      ),
    )
  })

  it("strides default to the window: 2×2 pooling halves each side", () => {
    const x = make(
      "float32",
      [1, 4, 4, 1],
      Array.from({ length: 16 }, (_, i) => i),
    )
    expect(Array.from(T.maxPool(x, 2).data)).toEqual([5, 7, 13, 15])
    expect(Array.from(T.avgPool(x, [2, 2]).data)).toEqual([2.5, 4.5, 10.5, 12.5])
  })
})

describe("flip", () => {
  it("reverses the given axes, and flipping twice is the identity", () => {
    fc.assert(
      fc.property(tensorArb([2, 3, 4], "float32"), fc.subarray([0, 1, 2]), (x, axes) => {
        const y = T.flip(x, axes)
        expectMatches(T.flip(y, axes), refOf(x))
        const idx = [1, 2, 3].map((v, i) => (axes.includes(i) ? x.shape[i]! - 1 - (v - 1) : v - 1))
        expect(y.data[(idx[0]! * 3 + idx[1]!) * 4 + idx[2]!]).toBe(x.data[(0 * 3 + 1) * 4 + 2])
      }),
    )
  })
})

describe("bad arguments name the op and what was wrong", () => {
  const x = T.zeros([1, 5, 5, 4])
  const cases: ReadonlyArray<[string, () => unknown, RegExp]> = [
    ["a kernel of another rank", () => T.conv(x, T.zeros([3, 4, 2])), /conv: w must be .*rank 4/],
    ["wrong input channels", () => T.conv(x, T.zeros([3, 3, 3, 2])), /conv: w's input channels/],
    ["groups not dividing", () => T.conv(x, T.zeros([3, 3, 2, 3]), { groups: 2 }), /groups \(2\)/],
    ["a window too big", () => T.conv(x, T.zeros([6, 1, 4, 1])), /does not fit the padded input/],
    ["bad strides", () => T.conv(x, T.zeros([1, 1, 4, 1]), { strides: [1] }), /strides must be/],
    [
      "zero dilation",
      () => T.conv(x, T.zeros([1, 1, 4, 1]), { kernelDilation: 0 }),
      /kernelDilation/,
    ],
    [
      "bad padding",
      () => T.conv(x, T.zeros([1, 1, 4, 1]), { padding: [[1, 1]] }),
      /padding must be/,
    ],
    [
      "mixed dtypes",
      () => T.conv(x, T.zeros([1, 1, 4, 1], { dtype: "float64" })),
      /share a float dtype/,
    ],
    [
      "int32 input",
      () => T.conv(T.zeros([1, 2, 1], { dtype: "int32" }), T.zeros([1, 1, 1], { dtype: "int32" })),
      /float dtype/,
    ],
    [
      "conv2d on 1-D",
      () => T.conv2d(T.zeros([1, 5, 1]), T.zeros([2, 1, 1])),
      /conv2d: x must be \[batch, height/,
    ],
    ["a 2-D input", () => T.conv(T.zeros([5, 1]), T.zeros([1, 1])), /at least one spatial axis/],
    ["a pool window too big", () => T.maxPool(x, 6), /maxPool: the window \[6, 6\] does not fit/],
    [
      "negative pool padding",
      () =>
        T.avgPool(x, 2, {
          padding: [
            [-1, 0],
            [0, 0],
          ],
        }),
      /non-negative/,
    ],
    ["a pool window of the wrong length", () => T.maxPool(x, [2, 2, 2]), /window must be/],
    ["flip out of range", () => T.flip(x, 4), /flip: axis 4/],
  ]
  it.each(cases)("%s", (_name, f, message) => {
    expect(f).toThrow(message)
  })
})

describe("convShape and poolShape", () => {
  it("say what the ops give, keeping a -1 batch", () => {
    fc.assert(
      fc.property(convCaseArb(2), (c) => {
        const y = T.conv(
          T.zeros(c.xShape, { dtype: c.dtype }),
          T.zeros(c.wShape, { dtype: c.dtype }),
          opOptions(c),
        )
        expect(T.convShape(c.xShape, c.wShape, opOptions(c))).toEqual(y.shape)
        expect(T.convShape([-1, ...c.xShape.slice(1)], c.wShape, opOptions(c))).toEqual([
          -1,
          ...y.shape.slice(1),
        ])
      }),
    )
    expect(T.poolShape([-1, 28, 28, 6], 2)).toEqual([-1, 14, 14, 6])
    expect(T.poolShape([3, 5, 5, 1], 3, { padding: "SAME", strides: 2 })).toEqual(
      T.maxPool(T.zeros([3, 5, 5, 1]), 3, { padding: "SAME", strides: 2 }).shape,
    )
    expect(() => T.poolShape([-1, 1, 1, 16], 2)).toThrow(
      /poolShape: the window \[2, 2\] does not fit the input \[1, 1\]/,
    )
  })
})
