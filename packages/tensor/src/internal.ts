/**
 * The machinery under the ops, for transformations (autodiff) and faster kernels:
 * the dispatch point, the primitive table, tracers and the kernel interface.
 * @module
 */
export { bind, useKernels, currentKernels } from "./dispatch.ts"
export { nextLevel } from "./levels.ts"
export { checkOptions, describeOption, suggestOption } from "./options.ts"
export type { OptionType, OptionsSpec } from "./options.ts"
export type { Kernel, Kernels } from "./dispatch.ts"
export { Tracer, isConcrete, releaseData } from "./tensor.ts"
export { shapeRules } from "./shapeRules.ts"
export type { Aval, ShapeRule } from "./shapeRules.ts"
export type { Trace } from "./tensor.ts"
export type {
  Params,
  Primitive,
  UnaryPrimitive,
  BinaryPrimitive,
  ComparePrimitive,
  ConvGeometry,
} from "./primitives.ts"
export { elementwisePrimitives, primitives } from "./primitives.ts"
export type { Sampler } from "./random/samplers.ts"
export { samplerDType } from "./random/samplers.ts"
export { referenceKernels } from "./kernels/index.ts"
export { scalar } from "./ops/creation.ts"
export { asTensor, promote } from "./ops/convert.ts"
export { broadcastStrides } from "./kernels/strided.ts"
export {
  keptShape,
  normalizeAxes,
  normalizeAxis,
  sizeOf,
  stridesOf,
  shapesEqual,
  showShape,
} from "./shape.ts"
export { dilatedSize } from "./window.ts"
export { allocate, arrayFrom, byteSize, dtypeOf, outputArray } from "./dtype.ts"
export { defaultThreadCount, nodeBuiltin } from "./kernels/wasm/api.ts"
