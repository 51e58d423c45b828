import { fc, test } from "@fast-check/vitest"
import * as T from "@fnn/tensor"
import { describe, expect } from "vitest"
import * as nn from "../src/index.ts"

const message = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (e instanceof T.TensorError) return e.message
    throw e
  }
  throw new Error("expected a TensorError")
}

/** Every optimizer and transformation, by the name its errors use. */
const optimizers: ReadonlyArray<readonly [string, () => nn.GradientTransformation]> = [
  ["sgd", () => nn.sgd(0.1)],
  ["momentum", () => nn.momentum(0.1)],
  ["adam", () => nn.adam(1e-3)],
  ["adamw", () => nn.adamw(1e-3)],
  ["scaleByAdam", () => nn.scaleByAdam()],
  ["trace", () => nn.trace()],
  ["scaleByLearningRate", () => nn.scaleByLearningRate(0.1)],
]

const params = { w: T.zeros([3, 4]), b: T.zeros([4]) }

describe("optimizers check what they are given", () => {
  test("applyUpdates names the path and both shapes", () => {
    expect(message(() => nn.applyUpdates(params, { w: T.ones([7, 3, 4]), b: T.ones([4]) }))).toBe(
      "applyUpdates: params at w is [3, 4], updates [7, 3, 4]",
    )
    expect(message(() => nn.applyUpdates(params, { w: T.ones([3, 4]), b: T.ones([1]) }))).toBe(
      "applyUpdates: params at b is [4], updates [1]",
    )
  })

  test.prop([fc.constantFrom(...optimizers), fc.constantFrom([7, 3, 4], [4, 3], [1], [])])(
    "each update names itself, the path and the shapes of grads that do not fit params",
    ([name, make], shape) => {
      const opt = make()
      const state = opt.init(params)
      const grads = { w: T.ones(shape), b: T.ones([4]) }
      expect(message(() => opt.update(grads, state, params))).toBe(
        `${name}.update: grads at w is [${shape.join(", ")}], params [3, 4]`,
      )
    },
  )

  test.prop([fc.constantFrom(...optimizers), fc.constantFrom(...optimizers)])(
    "a state made by another optimizer is refused, not turned into NaN",
    ([nameA, makeA], [nameB, makeB]) => {
      const a = makeA()
      const b = makeB()
      const state = b.init(params)
      const grads = { w: T.ones([3, 4]), b: T.ones([4]) }
      // same family of state: the update must run and give finite numbers
      if (sameFamily(nameA, nameB)) {
        const [u] = a.update(grads, state, params)
        for (const leaf of T.tree.leaves(u)) expect([...leaf.data].some(Number.isNaN)).toBe(false)
        return
      }
      expect(message(() => a.update(grads, state as never, params))).toMatch(
        new RegExp(`^${nameA}\\.update: `),
      )
    },
  )

  test("the state's tensors must fit the grads", () => {
    const opt = nn.adam(1e-3)
    const small = opt.init({ w: T.zeros([2]), b: T.zeros([4]) })
    expect(message(() => opt.update({ w: T.ones([3, 4]), b: T.ones([4]) }, small, params))).toBe(
      "adam.update: grads at w is [3, 4], state.mu [2]",
    )
  })

  test("hyperparameter options are checked by name", () => {
    expect(message(() => nn.adam(1e-3, { beta1: 0.9 } as never))).toBe(
      'adam: unknown option "beta1"; it takes { b1, b2, eps }',
    )
    expect(message(() => nn.adamw(1e-3, { weight_decay: 0.1 } as never))).toContain(
      '(did you mean "weightDecay"?)',
    )
    expect(message(() => nn.momentum(0.1, { decay: 0.9 } as never))).toContain(
      'unknown option "decay"',
    )
  })
})

/** Optimizers whose states have the same layout (a bare count). */
const sameFamily = (a: string, b: string): boolean => {
  const counts = ["sgd", "scaleByLearningRate"]
  return a === b || (counts.includes(a) && counts.includes(b))
}
