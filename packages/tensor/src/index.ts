/**
 * @fnn/tensor — immutable typed-array tensors.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const a = T.tensor([[1, 2], [3, 4]])
 * const b = T.tensor([10, 20], { dtype: "float64" })
 * T.add(a, b)            // broadcasting; float32 ⊕ float64 → float64
 * T.item(T.sum(a))       // 10
 * @module
 */
export { Tensor, isTensor } from "./tensor.ts"
export type { DType, TypedArray } from "./dtype.ts"
export { promoteTypes, isFloat } from "./dtype.ts"
export type { Shape } from "./shape.ts"
export { broadcastShapes } from "./shape.ts"
export { TensorError } from "./errors.ts"
export * from "./ops/creation.ts"
export type { TensorLike, Nested } from "./ops/convert.ts"
export { cast, toArray, item } from "./ops/convert.ts"
export * from "./ops/elementwise.ts"
export * from "./ops/reduce.ts"
export * from "./ops/movement.ts"
export * from "./ops/linalg.ts"
export * from "./ops/conv.ts"
export * from "./ops/pool.ts"
export * as random from "./random.ts"
export type { Key } from "./random.ts"
export * as tree from "./tree.ts"
export type { Tree } from "./tree.ts"
export * as safetensors from "./safetensors.ts"
