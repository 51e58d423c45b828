/**
 * @fnn/autodiff — gradients as transformations of pure functions (JAX's model).
 *
 * Every op of `@fnn/tensor` is built from a closed set of primitives, and every primitive passes
 * through one dispatch point; a transformation installs a trace there, so it sees every op while
 * `@fnn/tensor` knows nothing about it. Reverse mode (`grad`, `valueAndGrad`, `vjp`, `jacrev`)
 * records a tape and runs each primitive's rule backwards; forward mode (`jvp`, `jacfwd`) pushes
 * tangents alongside values. Rules are tensor ops themselves, so transformations nest:
 * `grad(grad(f))`, `jvp(grad(f))`, `hessian(f)`. `vmap` maps a function over a batch with one
 * batched pass, and nests with the others: `vmap(grad(loss))` gives per-example gradients.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { grad } from "@fnn/autodiff"
 * const f = (x: T.Tensor) => T.sum(T.mul(x, x))
 * grad(f)(T.tensor([1, 2, 3])) // [2, 4, 6]
 * @module
 */
export type { Argnums, GradsOf, GradOptions, Pullback, JacobianOptions } from "./transforms.ts"
export { grad, valueAndGrad, vjp, jvp, jacfwd, jacrev, hessian } from "./transforms.ts"
export type { AxisSpec, VmapOptions } from "./vmap.ts"
export { vmap } from "./vmap.ts"
export type { CustomCotangents, CustomVjpRule } from "./custom.ts"
export { stopGradient, customVjp } from "./custom.ts"
