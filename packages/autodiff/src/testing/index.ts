/**
 * @fnn/autodiff/testing — property-based gradient checking for anyone's functions.
 *
 * `checkGrads` compares forward and reverse derivatives with each other and with float64 finite
 * differences along random directions; the arbitraries generate shapes, broadcasting shapes and
 * tensors that keep away from kinks; `gradProperty` turns a check into a fast-check property
 * that shrinks a failure to a small counterexample.
 *
 * @example
 * import fc from "fast-check"
 * import * as T from "@fnn/tensor"
 * import { arbShape, arbTensor, gradProperty } from "@fnn/autodiff/testing"
 * const myTanh = (x: T.Tensor) => T.sub(T.mul(T.sigmoid(T.mul(x, 2)), 2), 1)
 * fc.assert(gradProperty(myTanh, [arbTensor(arbShape(), { dtype: "float64" })], { order: 2 }))
 * @module
 */
export type { CheckGradsOptions, Mode } from "./check.ts"
export { checkGrads } from "./check.ts"
export type { ShapeOptions, TensorOptions, Arbitraries, GradProperty } from "./arbitraries.ts"
export { arbShape, arbBroadcastShapes, arbTensor, gradProperty } from "./arbitraries.ts"
