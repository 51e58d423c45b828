/**
 * `@fnn/jit`: trace a pure tensor function once, as a program of primitives; optimize it (dead
 * code, common subexpressions, constant folding); run it memory-planned on every later call.
 * It depends on `@fnn/tensor` only: jit is one more trace at `bind`, so it composes with
 * `@fnn/autodiff` (`jit(grad(f))`) without knowing it.
 * @module
 */
export { jit, makeJaxpr } from "./jit.ts"
export type { JitOptions, Jitted, MakeJaxprOptions } from "./jit.ts"
export { Program, showAval } from "./program.ts"
export type { Constant, Equation, ProgramParts, Var } from "./program.ts"
export {
  eliminateCommonSubexpressions,
  eliminateDeadCode,
  foldConstants,
  foldTransposes,
  optimize,
} from "./optimize.ts"
export { planMemory } from "./plan.ts"
export type { MemoryPlan, Placement } from "./plan.ts"
