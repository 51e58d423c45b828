/**
 * A small deterministic generator for the random directions of gradient checks (the same seed
 * gives the same directions everywhere; no global randomness).
 * @module
 */
import * as T from "@fnn/tensor"
import { allocate } from "@fnn/tensor/internal"

/** Uniform numbers in `[-1, 1)` from a 32-bit seed (mulberry32). */
export const uniformStream = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    z = (z ^ (z >>> 14)) >>> 0
    return (z / 4294967296) * 2 - 1
  }
}

/**
 * A direction shaped like `like` (same dtype) with entries of random sign and magnitude in
 * `[0.5, 1)`: no entry is near 0, so a wrong derivative cannot hide behind a tiny component of
 * the direction.
 */
export const directionLike = (like: T.Tensor, next: () => number): T.Tensor => {
  const data = allocate(like.dtype, like.size)
  for (let i = 0; i < data.length; i++) {
    const u = next()
    data[i] = u < 0 ? -0.5 + u / 2 : 0.5 + u / 2
  }
  return new T.Tensor(like.dtype, like.shape, data)
}
