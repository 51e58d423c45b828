/**
 * Learning-rate schedules: `(step) → rate`, pure functions of the number of updates done so far
 * (0 for the first update). Every `lr` argument of an optimizer takes a number or a schedule.
 * @module
 */
import { TensorError } from "@fnn/tensor"
import { checkNumber, checkOptions } from "./checks.ts"

/** A learning rate as a function of the update count (0-based). */
export type Schedule = (step: number) => number

/** A fixed learning rate or a schedule. */
export type LearningRate = number | Schedule

const nonNegative = (x: number): boolean => x >= 0
const positive = (x: number): boolean => x > 0
const positiveInteger = (x: number): boolean => Number.isSafeInteger(x) && x > 0

/**
 * The schedule of a learning rate argument (a number is constant).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.asSchedule(0.1)(1000) // 0.1
 */
export const asSchedule = (lr: LearningRate): Schedule => {
  if (typeof lr === "function") return lr
  checkNumber("learning rate", "lr", lr, nonNegative, "a finite number ≥ 0")
  return () => lr
}

/**
 * The same rate at every step.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.constant(0.01)(0) // 0.01
 */
export const constant = (value: number): Schedule => asSchedule(value)

/**
 * Step decay (PyTorch's StepLR): `initial · factor^⌊step / every⌋`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const s = nn.step(0.1, { every: 1000, factor: 0.5 })
 * s(999) // 0.1
 * s(1000) // 0.05
 */
export const step = (
  initial: number,
  options: { readonly every: number; readonly factor: number },
): Schedule => {
  checkOptions("step", options, { every: "number", factor: "number" })
  checkNumber("step", "initial", initial, nonNegative, "a finite number ≥ 0")
  checkNumber("step", "every", options.every, positiveInteger, "a positive integer")
  checkNumber("step", "factor", options.factor, nonNegative, "a finite number ≥ 0")
  const { every, factor } = options
  return (s) => initial * factor ** Math.floor(Math.max(s, 0) / every)
}

/**
 * Exponential decay: `initial · rate^(step / every)`, smooth (ExponentialLR when `every` is 1).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.exponential(0.1, { rate: 0.5, every: 100 })(50) // 0.1 · 0.5^0.5
 */
export const exponential = (
  initial: number,
  options: { readonly rate: number; readonly every?: number },
): Schedule => {
  const every = checkOptions("exponential", options, { rate: "number", every: "number" }).every ?? 1
  checkNumber("exponential", "initial", initial, nonNegative, "a finite number ≥ 0")
  checkNumber("exponential", "rate", options.rate, positive, "a finite number > 0")
  checkNumber("exponential", "every", every, positive, "a finite number > 0")
  const { rate } = options
  return (s) => initial * rate ** (Math.max(s, 0) / every)
}

/**
 * Piecewise constant: `initial` before the first boundary, then each boundary's value from
 * that step on. Boundaries must increase.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const s = nn.piecewise(0.1, [[1000, 0.01], [2000, 0.001]])
 * s(1500) // 0.01
 */
export const piecewise = (
  initial: number,
  boundaries: ReadonlyArray<readonly [step: number, value: number]>,
): Schedule => {
  checkNumber("piecewise", "initial", initial, nonNegative, "a finite number ≥ 0")
  boundaries.forEach(([b, v], i) => {
    checkNumber(
      "piecewise",
      `boundary ${i}`,
      b,
      (x) => Number.isSafeInteger(x) && x >= 0,
      "an integer ≥ 0",
    )
    checkNumber("piecewise", `value ${i}`, v, nonNegative, "a finite number ≥ 0")
    if (i > 0 && !(b > boundaries[i - 1]![0]))
      throw new TensorError(
        "piecewise",
        `boundaries must increase, got ${boundaries[i - 1]![0]} then ${b}`,
      )
  })
  const bs = boundaries.map(([b, v]) => [b, v] as const)
  return (s) => {
    let value = initial
    for (const [b, v] of bs) if (s >= b) value = v
    return value
  }
}

/** Options of `cosine`. */
export interface CosineOptions {
  /** Steps of linear warmup from `initial` to the peak (default 0). */
  readonly warmupSteps?: number
  /** The rate at step 0 when warming up (default 0). */
  readonly initial?: number
  /** The rate reached at `decaySteps` and kept after (default 0). */
  readonly final?: number
}

/**
 * Cosine decay with optional linear warmup (optax's `warmup_cosine_decay_schedule`): rises
 * linearly from `initial` to `peak` over `warmupSteps`, then follows half a cosine from `peak` down
 * to `final` at step `decaySteps` (which counts the warmup), and stays at `final`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const s = nn.cosine(0.1, 1000, { warmupSteps: 100 })
 * s(0) // 0; s(100) // 0.1; s(550) // 0.05; s(1000) // 0
 */
export const cosine = (peak: number, decaySteps: number, given?: CosineOptions): Schedule => {
  const options = checkOptions("cosine", given, {
    warmupSteps: "number",
    initial: "number",
    final: "number",
  })
  const warmup = options.warmupSteps ?? 0
  const initial = options.initial ?? 0
  const final = options.final ?? 0
  checkNumber("cosine", "peak", peak, nonNegative, "a finite number ≥ 0")
  checkNumber("cosine", "decaySteps", decaySteps, positiveInteger, "a positive integer")
  checkNumber(
    "cosine",
    "warmupSteps",
    warmup,
    (x) => Number.isSafeInteger(x) && x >= 0 && x < decaySteps,
    "an integer in [0, decaySteps)",
  )
  checkNumber("cosine", "initial", initial, nonNegative, "a finite number ≥ 0")
  checkNumber("cosine", "final", final, nonNegative, "a finite number ≥ 0")
  return (s) => {
    if (s < warmup) return initial + ((peak - initial) * Math.max(s, 0)) / warmup
    if (s >= decaySteps) return final
    const t = (s - warmup) / (decaySteps - warmup)
    return final + ((peak - final) * (1 + Math.cos(Math.PI * t))) / 2
  }
}

/** Options of `oneCycle` (PyTorch's OneCycleLR defaults). */
export interface OneCycleOptions {
  /** The fraction of the steps spent rising to `maxLr` (default 0.3). */
  readonly pctStart?: number
  /** The first rate is `maxLr / divFactor` (default 25). */
  readonly divFactor?: number
  /** The last rate is `maxLr / (divFactor · finalDivFactor)` (default 1e4). */
  readonly finalDivFactor?: number
  /** How the rate moves between its points (default `"cos"`). */
  readonly anneal?: "cos" | "linear"
}

/**
 * The one-cycle policy with PyTorch's `OneCycleLR` semantics: from `maxLr / divFactor` at step 0
 * up to `maxLr` at step `pctStart · totalSteps − 1`, then down to
 * `maxLr / (divFactor · finalDivFactor)` at step `totalSteps − 1` (and after), each phase a
 * cosine (or linear) interpolation.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const s = nn.oneCycle(1000, 0.5)
 * s(0) // 0.02; s(299) // 0.5; s(999) // 2e-6
 */
export const oneCycle = (totalSteps: number, maxLr: number, given?: OneCycleOptions): Schedule => {
  const options = checkOptions("oneCycle", given, {
    pctStart: "number",
    divFactor: "number",
    finalDivFactor: "number",
    anneal: ["cos", "linear"],
  })
  const pctStart = options.pctStart ?? 0.3
  const divFactor = options.divFactor ?? 25
  const finalDivFactor = options.finalDivFactor ?? 1e4
  checkNumber("oneCycle", "totalSteps", totalSteps, positiveInteger, "a positive integer")
  checkNumber("oneCycle", "maxLr", maxLr, nonNegative, "a finite number ≥ 0")
  checkNumber("oneCycle", "pctStart", pctStart, (x) => x > 0 && x < 1, "a number in (0, 1)")
  checkNumber("oneCycle", "divFactor", divFactor, positive, "a finite number > 0")
  checkNumber("oneCycle", "finalDivFactor", finalDivFactor, positive, "a finite number > 0")
  const initial = maxLr / divFactor
  const min = initial / finalDivFactor
  // PyTorch's phase ends: the peak at float(pct_start · total) − 1, the end at total − 1.
  const peakStep = pctStart * totalSteps - 1
  const lastStep = totalSteps - 1
  const anneal =
    options.anneal === "linear"
      ? (from: number, to: number, pct: number) => (to - from) * pct + from
      : (from: number, to: number, pct: number) =>
          to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1)
  return (s) => {
    if (s <= 0) return initial
    if (s <= peakStep) return anneal(initial, maxLr, s / peakStep)
    if (s >= lastStep) return min
    return anneal(maxLr, min, (s - peakStep) / (lastStep - peakStep))
  }
}
