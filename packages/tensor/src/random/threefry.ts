/**
 * Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy
 * as 1, 2, 3", SC 2011): a keyed bijection on pairs of 32-bit words. Counter-based generation
 * encrypts the counters 0, 1, 2, … under a key, so the i-th number is computed without the ones
 * before it, identically on every machine (only 32-bit integer adds, rotations and xors).
 * @module
 */

/** The key-schedule parity constant of Threefry (Skein's C240 truncated to 32 bits). */
const parity = 0x1bd11bda

/**
 * Encrypts the counter `(x0, x1)` under the key `(k0, k1)` and writes the two output words
 * (unsigned) to `out[0]` and `out[1]`. Writing into a caller's scratch array keeps bulk
 * generation free of per-block allocation.
 *
 * @example
 * const out = new Uint32Array(2)
 * threefry2x32(0, 0, 0, 0, out)
 * out // Uint32Array [0x6b200159, 0x99ba4efe]
 */
export function threefry2x32(
  k0: number,
  k1: number,
  x0: number,
  x1: number,
  out: Uint32Array,
): void {
  // Everything stays in int32 (`| 0`): adds wrap mod 2^32 and shifts see 32-bit patterns.
  // A round is `a += b; b = rotl(b, r) ^ a`; the rotation amounts alternate between two groups
  // of four, and after every four rounds a key word (plus the injection count) is added.
  const ks0 = k0 | 0
  const ks1 = k1 | 0
  const ks2 = ks0 ^ ks1 ^ parity
  let a = (x0 + ks0) | 0
  let b = (x1 + ks1) | 0

  // rounds 1-4
  a = (a + b) | 0
  b = ((b << 13) | (b >>> 19)) ^ a
  a = (a + b) | 0
  b = ((b << 15) | (b >>> 17)) ^ a
  a = (a + b) | 0
  b = ((b << 26) | (b >>> 6)) ^ a
  a = (a + b) | 0
  b = ((b << 6) | (b >>> 26)) ^ a
  a = (a + ks1) | 0
  b = (b + ks2 + 1) | 0

  // rounds 5-8
  a = (a + b) | 0
  b = ((b << 17) | (b >>> 15)) ^ a
  a = (a + b) | 0
  b = ((b << 29) | (b >>> 3)) ^ a
  a = (a + b) | 0
  b = ((b << 16) | (b >>> 16)) ^ a
  a = (a + b) | 0
  b = ((b << 24) | (b >>> 8)) ^ a
  a = (a + ks2) | 0
  b = (b + ks0 + 2) | 0

  // rounds 9-12
  a = (a + b) | 0
  b = ((b << 13) | (b >>> 19)) ^ a
  a = (a + b) | 0
  b = ((b << 15) | (b >>> 17)) ^ a
  a = (a + b) | 0
  b = ((b << 26) | (b >>> 6)) ^ a
  a = (a + b) | 0
  b = ((b << 6) | (b >>> 26)) ^ a
  a = (a + ks0) | 0
  b = (b + ks1 + 3) | 0

  // rounds 13-16
  a = (a + b) | 0
  b = ((b << 17) | (b >>> 15)) ^ a
  a = (a + b) | 0
  b = ((b << 29) | (b >>> 3)) ^ a
  a = (a + b) | 0
  b = ((b << 16) | (b >>> 16)) ^ a
  a = (a + b) | 0
  b = ((b << 24) | (b >>> 8)) ^ a
  a = (a + ks1) | 0
  b = (b + ks2 + 4) | 0

  // rounds 17-20
  a = (a + b) | 0
  b = ((b << 13) | (b >>> 19)) ^ a
  a = (a + b) | 0
  b = ((b << 15) | (b >>> 17)) ^ a
  a = (a + b) | 0
  b = ((b << 26) | (b >>> 6)) ^ a
  a = (a + b) | 0
  b = ((b << 6) | (b >>> 26)) ^ a
  a = (a + ks2) | 0
  b = (b + ks0 + 5) | 0

  out[0] = a
  out[1] = b
}
