/**
 * The special functions the samplers need (logarithm, exponential, the standard normal CDF Φ and
 * its inverse), written with only `+ − × ÷`, `Math.sqrt` and exact bit manipulation. ECMAScript
 * lets engines approximate `Math.log` and `Math.exp` as they like, but requires those basic
 * operations to be correctly rounded, so these functions give bit-identical results in every
 * engine: a sample is a pure function of its key, on any machine.
 * @module
 */

const scratch = new DataView(new ArrayBuffer(8))

// ln 2 split so that k · LN2_HI is exact for |k| < 2^20 (the low 32 bits of LN2_HI are zero).
const LN2_HI = 0.6931471803691238
const LN2_LO = 1.9082149292705877e-10
const TWO_54 = 18014398509481984

/** 2^k for an integer k in [-1022, 1023], built from its bits. */
const pow2 = (k: number): number => {
  scratch.setUint32(0, (k + 1023) << 20)
  scratch.setUint32(4, 0)
  return scratch.getFloat64(0)
}

/** 1 / (2j + 1) for the atanh series of `log`. */
const oddReciprocals = Array.from({ length: 11 }, (_, j) => 1 / (2 * j + 1))

/**
 * Natural logarithm of a positive finite `x`, within a few ulps of the true value.
 * x = 2^e · m with m in [√½, √2), and log m = 2 atanh(s) = 2(s + s³/3 + s⁵/5 + …), s = (m−1)/(m+1),
 * |s| ≤ 0.172, so eleven terms reach double precision.
 *
 * @example
 * log(Math.E) // 1 (to the last bit or two)
 */
export const log = (x: number): number => {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN
  if (x === Infinity) return Infinity
  let e = 0
  if (x < 2.2250738585072014e-308) {
    x *= TWO_54 // subnormal: scale into the normal range first
    e = -54
  }
  scratch.setFloat64(0, x)
  const hi = scratch.getUint32(0)
  e += (hi >>> 20) - 1023
  scratch.setUint32(0, (hi & 0x000fffff) | 0x3ff00000)
  let m = scratch.getFloat64(0)
  if (m > Math.SQRT2) {
    m /= 2
    e += 1
  }
  const s = (m - 1) / (m + 1)
  const s2 = s * s
  let poly = 0
  for (let j = oddReciprocals.length - 1; j >= 0; j--) poly = poly * s2 + oddReciprocals[j]!
  return e * LN2_HI + (e * LN2_LO + 2 * s * poly)
}

/** 1 / j! for the Taylor series of `exp`. */
const factorialReciprocals = ((): number[] => {
  const out = [1]
  for (let j = 1; j <= 15; j++) out.push(out[j - 1]! / j)
  return out
})()

/**
 * The exponential function, within a few ulps. x = k ln 2 + r with |r| ≤ ½ ln 2 (Cody–Waite
 * reduction), e^r by its Taylor series, then scaled by 2^k exactly.
 *
 * @example
 * exp(1) // 2.718281828459045 (to the last bit or two)
 */
export const exp = (x: number): number => {
  if (Number.isNaN(x)) return NaN
  if (x > 709.782712893384) return Infinity
  if (x < -745.1332191019412) return 0
  const k = Math.round(x * Math.LOG2E)
  const r = x - k * LN2_HI - k * LN2_LO
  let p = 0
  for (let j = factorialReciprocals.length - 1; j >= 0; j--) p = p * r + factorialReciprocals[j]!
  // Scale in two steps below 2^-1022 so the result may be subnormal.
  return k < -1021 ? p * pow2(k + 54) * pow2(-54) : k > 1023 ? p * 2 * pow2(k - 1) : p * pow2(k)
}

/** 1 / √(2π). */
const INV_SQRT_2PI = 0.3989422804014327

/** The standard normal density φ(x) = e^(−x²/2) / √(2π). */
export const normalPdf = (x: number): number => INV_SQRT_2PI * exp(-0.5 * x * x)

/** Φ(x) for x < −2 (x = −t) from Laplace's continued fraction φ(t) / (t + 1/(t + 2/(t + …))). */
const lowerTail = (t: number): number => {
  let f = t
  for (let k = 150; k >= 1; k--) f = t + k / f
  return normalPdf(t) / f
}

/**
 * The standard normal CDF Φ(x) = P(Z ≤ x), with small relative error in the lower tail (down to
 * about x = −38, below which Φ underflows). For |x| ≤ 2 the series Φ(x) = ½ + φ(x)(x + x³/3 +
 * x⁵/(3·5) + …); for x < −2 a continued fraction; for x > 2, 1 − Φ(−x).
 *
 * @example
 * normalCdf(0) // 0.5
 * normalCdf(-1.96) // ≈ 0.025
 */
export const normalCdf = (x: number): number => {
  if (Number.isNaN(x)) return NaN
  if (x < -2) return lowerTail(-x)
  if (x > 2) return 1 - lowerTail(x)
  const x2 = x * x
  let term = x
  let sum = x
  for (let k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
    term = (term * x2) / (2 * k + 1)
    sum += term
  }
  return 0.5 + normalPdf(x) * sum
}

// Wichura's rational approximations (Algorithm AS 241, Applied Statistics 37(3), 1988), accurate
// to about 1 part in 10^16: one for |p − ½| ≤ 0.425, two for the tails in r = √(−log min(p, 1−p)).
// The published 20-digit coefficients, written as the doubles they round to.
const A = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
]
const B = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852854,
]
const C = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
]
const D = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008,
  0.015198666563616457, 0.0005475938084995345, 1.0507500716444169e-9,
]
const E = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487,
  0.026532189526576124, 0.0012426609473880784, 2.7115555687434876e-5, 2.0103343992922881e-7,
]
const F = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  1.8463183175100548e-5, 1.421511758316446e-7, 2.0442631033899397e-15,
]

/** p(x) / q(x) for coefficient lists in increasing powers. */
const rational = (p: ReadonlyArray<number>, q: ReadonlyArray<number>, x: number): number => {
  let num = 0
  let den = 0
  for (let j = p.length - 1; j >= 0; j--) {
    num = num * x + p[j]!
    den = den * x + q[j]!
  }
  return num / den
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1); ±Infinity at 0 and 1, NaN outside.
 * Symmetric: Φ⁻¹(1 − p) = −Φ⁻¹(p) whenever 1 − p is exact.
 *
 * @example
 * normalQuantile(0.975) // ≈ 1.959963984540054
 */
export const normalQuantile = (p: number): number => {
  if (!(p >= 0 && p <= 1)) return NaN
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  const q = p - 0.5
  if (Math.abs(q) <= 0.425) return q * rational(A, B, 0.180625 - q * q)
  const r = Math.sqrt(-log(q < 0 ? p : 1 - p))
  const z = r <= 5 ? rational(C, D, r - 1.6) : rational(E, F, r - 5)
  return q < 0 ? -z : z
}

/**
 * The neighbour of `x` in the direction of `toward` (+1 up, −1 down) among float32 values
 * (`single`) or float64 values. `x` must already be a value of that type.
 *
 * @example
 * nextAfter(1, -1, true) // 0.99999994 (1 − 2^-24)
 */
export const nextAfter = (x: number, toward: 1 | -1, single: boolean): number => {
  if (Number.isNaN(x)) return NaN
  if (x === 0) return toward * (single ? 1.401298464324817e-45 : 5e-324)
  // For both signs, the next value away from zero has the next larger bit pattern.
  const step = x > 0 === toward > 0 ? 1 : -1
  if (single) {
    scratch.setFloat32(0, x)
    scratch.setUint32(0, scratch.getUint32(0) + step)
    return scratch.getFloat32(0)
  }
  scratch.setFloat64(0, x)
  const hi = scratch.getUint32(0)
  const lo = scratch.getUint32(4)
  if (step > 0) {
    if (lo === 0xffffffff) scratch.setUint32(0, hi + 1)
    scratch.setUint32(4, lo + 1)
  } else {
    if (lo === 0) scratch.setUint32(0, hi - 1)
    scratch.setUint32(4, lo - 1)
  }
  return scratch.getFloat64(0)
}
