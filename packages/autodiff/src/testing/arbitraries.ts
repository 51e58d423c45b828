/**
 * fast-check arbitraries for gradient checks: shapes, broadcasting shapes, tensors with value
 * ranges that keep away from kinks, and `gradProperty`, a property that runs `checkGrads`.
 * @module
 */
import fc from "fast-check"
import * as T from "@fnn/tensor"
import { arrayFrom } from "@fnn/tensor/internal"
import type { CheckGradsOptions } from "./check.ts"
import { checkGrads } from "./check.ts"

/**
 * Bounds of generated shapes.
 *
 * @example
 * arbShape({ minRank: 1, maxRank: 2, maxDim: 5 })
 */
export interface ShapeOptions {
  readonly minRank?: number
  readonly maxRank?: number
  /** Smallest size of an axis (default 1; 0 allows empty tensors). */
  readonly minDim?: number
  readonly maxDim?: number
}

/**
 * Shapes of rank `minRank..maxRank` (default 0..3) with axes of size `minDim..maxDim` (1..4).
 *
 * @example
 * import fc from "fast-check"
 * import { arbShape } from "@fnn/autodiff/testing"
 * fc.sample(arbShape({ maxRank: 2 }), 3) // e.g. [[2, 1], [], [3]]
 */
export const arbShape = (options: ShapeOptions = {}): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: options.minDim ?? 1, max: options.maxDim ?? 4 }), {
    minLength: options.minRank ?? 0,
    maxLength: options.maxRank ?? 3,
  })

/**
 * `count` shapes (default 2) that broadcast together, NumPy style: each is a full shape with
 * some leading axes dropped and some axes set to 1.
 *
 * @example
 * import fc from "fast-check"
 * import { arbBroadcastShapes } from "@fnn/autodiff/testing"
 * fc.sample(arbBroadcastShapes(2), 2) // e.g. [[[3, 1], [2, 1, 4]], [[], [2]]]
 */
export const arbBroadcastShapes = (
  count = 2,
  options: ShapeOptions = {},
): fc.Arbitrary<number[][]> =>
  arbShape(options).chain((full) =>
    fc
      .array(
        fc.record({
          drop: fc.integer({ min: 0, max: full.length }),
          ones: fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        }),
        { minLength: count, maxLength: count },
      )
      .map((specs) =>
        specs.map(({ drop, ones }) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d))),
      ),
  )

/**
 * Element type and values of generated tensors.
 *
 * @example
 * arbTensor([3], { dtype: "float64", min: 0.1, max: 5 }) // away from log's pole
 */
export interface TensorOptions {
  readonly dtype?: T.DType
  /** Smallest value (default -2). */
  readonly min?: number
  /** Largest value (default 2). */
  readonly max?: number
  /** Points to keep away from, such as a kink (relu's 0) or a pole (log's 0). */
  readonly avoid?: ReadonlyArray<number>
  /** The distance kept from each `avoid` point (default 1e-2). */
  readonly margin?: number
  /**
   * Draw from four evenly spaced values in `[min, max]` (after `avoid`), so that equal entries
   * are common: for testing how ties (in `max`, `argmax`, `maximum`) are decided.
   */
  readonly ties?: boolean
}

/**
 * Tensors of a shape (or of shapes drawn from an arbitrary) with values in `[min, max]`, away
 * from the `avoid` points by at least `margin` (a value that falls closer is pushed out); they
 * shrink towards small shapes and values.
 *
 * @example
 * import fc from "fast-check"
 * import { arbShape, arbTensor } from "@fnn/autodiff/testing"
 * const nearRelu = arbTensor(arbShape(), { dtype: "float64", avoid: [0], margin: 1e-2 })
 */
export const arbTensor = (
  shape: T.Shape | fc.Arbitrary<T.Shape>,
  options: TensorOptions = {},
): fc.Arbitrary<T.Tensor> => {
  const dtype = options.dtype ?? "float32"
  const min = options.min ?? -2
  const max = options.max ?? 2
  const avoid = options.avoid ?? []
  const margin = options.margin ?? 1e-2
  const push = (v: number): number => {
    for (const a of avoid)
      if (Math.abs(v - a) < margin) {
        const out = v >= a ? a + margin : a - margin
        return out > max ? a - margin : out < min ? a + margin : out
      }
    return v
  }
  const value =
    dtype === "int32"
      ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
      : options.ties === true
        ? fc.integer({ min: 0, max: 3 }).map((i) => push(min + (i * (max - min)) / 3))
        : fc.double({ min, max, noNaN: true }).map(push)
  const ofShape = (s: T.Shape): fc.Arbitrary<T.Tensor> => {
    const n = s.reduce((a, d) => a * d, 1)
    return fc
      .array(value, { minLength: n, maxLength: n })
      .map((vs) => new T.Tensor(dtype, s.slice(), arrayFrom(dtype, vs)))
  }
  return shape instanceof fc.Arbitrary ? shape.chain(ofShape) : ofShape(shape)
}

/**
 * Arbitraries for each argument of a function.
 *
 * @example
 * const arbs: Arbitraries<[T.Tensor, T.Tensor]> = [arbTensor([2]), arbTensor([2])]
 */
export type Arbitraries<Ts extends ReadonlyArray<unknown>> = {
  readonly [K in keyof Ts]: fc.Arbitrary<Ts[K]>
}

/**
 * A fast-check property whose `arbitraries` and `check` also plug into `@fast-check/vitest`:
 * `test.prop(p.arbitraries)("…", p.check)`. The last argument is the seed of the directions.
 *
 * @example
 * import { test } from "@fast-check/vitest"
 * const p = gradProperty(myLoss, [arbTensor([4], { dtype: "float64" })])
 * test.prop(p.arbitraries)("myLoss has the right gradient", p.check)
 */
export type GradProperty<Ts extends ReadonlyArray<unknown>> = fc.IPropertyWithHooks<
  [...Ts, number]
> & {
  readonly arbitraries: [...Arbitraries<Ts>, fc.Arbitrary<number>]
  readonly check: (...args: [...Ts, number]) => void
}

/**
 * A property that `checkGrads(f, args, options)` holds for arguments drawn from `arbitraries`
 * (and random directions): run it with `fc.assert`, and fast-check shrinks a failure to a small
 * counterexample. With `@fast-check/vitest`: `test.prop(p.arbitraries)("name", p.check)`.
 *
 * @example
 * import fc from "fast-check"
 * import * as T from "@fnn/tensor"
 * import { arbShape, arbTensor, gradProperty } from "@fnn/autodiff/testing"
 * const x = arbTensor(arbShape(), { dtype: "float64", min: 0.1, max: 3 })
 * fc.assert(gradProperty((x: T.Tensor) => T.sum(T.log(x)), [x], { order: 2 }), { numRuns: 20 })
 */
export const gradProperty = <Ts extends ReadonlyArray<unknown>>(
  f: (...args: Ts) => unknown,
  arbitraries: Arbitraries<Ts>,
  options: CheckGradsOptions = {},
): GradProperty<Ts> => {
  const arbs = [...(arbitraries as ReadonlyArray<fc.Arbitrary<unknown>>), fc.nat()] as unknown as [
    ...Arbitraries<Ts>,
    fc.Arbitrary<number>,
  ]
  const check = (...all: [...Ts, number]): void => {
    const seed = all[all.length - 1] as number
    checkGrads(f, all.slice(0, -1) as unknown as Ts, { ...options, seed })
  }
  const property = (
    fc.property as unknown as (
      ...a: ReadonlyArray<unknown>
    ) => fc.IPropertyWithHooks<[...Ts, number]>
  )(...arbs, check)
  return Object.assign(property, { arbitraries: arbs, check })
}
