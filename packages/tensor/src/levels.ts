/**
 * Trace levels, shared by every transformation package (autodiff, jit): one counter, so `grad`,
 * `jvp`, `vmap` and `jit` nest in any order without knowing of each other.
 * @module
 */

let lastLevel = 0

/**
 * A fresh level, higher than every level handed out before. A transformation started inside
 * another one is therefore always the innermost, and two transformations never share a level,
 * so values of nested transformations are never confused.
 */
export const nextLevel = (): number => ++lastLevel
