/**
 * Timing: warm a function up, then time repetitions with `performance.now()` and summarise them
 * by their median (robust to the odd GC pause or scheduler hiccup) and minimum.
 * @module
 */

/** How to time a function. */
export interface MeasureOptions {
  /** Calls made before timing starts (at least one), so JIT tiers and caches settle. */
  readonly warmup: number
  /** Timed repetitions; the median is taken over these. */
  readonly reps: number
  /** Warm-up goes on past `warmup` calls until this many milliseconds have passed. */
  readonly warmupMs?: number
  /**
   * A repetition runs the function as many times as it takes to last about this long, and its
   * sample is the time per call: sub-millisecond calls are then timed well above the clock's
   * resolution. Calls that take longer than this run once per repetition.
   */
  readonly minRepMs?: number
}

/** Times per call, in milliseconds. */
export interface Measurement {
  readonly median: number
  readonly min: number
  /** One time per call for each repetition, in the order they ran. */
  readonly samples: readonly number[]
  /** Calls made in each repetition (see `MeasureOptions.minRepMs`). */
  readonly callsPerRep: number
}

/**
 * The middle value of a non-empty list (mean of the two middle values for an even length).
 * @example
 * median([3, 1, 2]) // 2
 */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) throw new RangeError("median of an empty list")
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Warms `fn` up and returns how many calls make one repetition last `minRepMs`. */
const calibrate = (fn: () => void, options: MeasureOptions): number => {
  const { warmup, reps, warmupMs = 0, minRepMs = 0 } = options
  if (!(Number.isInteger(reps) && reps >= 1)) throw new RangeError(`reps must be ≥ 1, got ${reps}`)
  let fastest = Infinity
  const start = performance.now()
  for (let i = 0; i < Math.max(1, warmup) || performance.now() - start < warmupMs; i++) {
    const t0 = performance.now()
    fn()
    fastest = Math.min(fastest, performance.now() - t0)
  }
  return Math.max(1, Math.ceil(minRepMs / Math.max(fastest, 1e-3)))
}

/** Milliseconds per call over one repetition of `calls` calls. */
const repetition = (fn: () => void, calls: number): number => {
  const t0 = performance.now()
  for (let c = 0; c < calls; c++) fn()
  return (performance.now() - t0) / calls
}

const summarise = (samples: readonly number[], callsPerRep: number): Measurement => ({
  median: median(samples),
  min: Math.min(...samples),
  samples,
  callsPerRep,
})

/**
 * Warms `fn` up, then times `reps` repetitions of it and returns the milliseconds per call.
 * `fn` must do all of its work before returning (read results back from a lazy library).
 * @example
 * const m = measure(() => work(), { warmup: 2, reps: 5 })
 * console.log(`${m.median.toFixed(2)} ms`)
 */
export const measure = (fn: () => void, options: MeasureOptions): Measurement => {
  const calls = calibrate(fn, options)
  return summarise(
    Array.from({ length: options.reps }, () => repetition(fn, calls)),
    calls,
  )
}

/** One contender in `measureInterleaved`. */
export interface Contender {
  /** Runs before each of this contender's warm-up and repetitions, untimed (e.g. a backend switch). */
  readonly enter?: () => void | Promise<void>
  readonly fn: () => void
}

/**
 * Like `measure` for several functions at once, taking their repetitions in turn (A B C A B C …)
 * so that a burst of other load on the machine slows all of them alike and their ratios hold.
 * @example
 * const [a, b] = await measureInterleaved([{ fn: ours }, { fn: theirs }], { warmup: 1, reps: 5 })
 * console.log(`${(b!.median / a!.median).toFixed(2)}× faster`)
 */
export const measureInterleaved = async (
  contenders: readonly Contender[],
  options: MeasureOptions,
): Promise<Measurement[]> => {
  const calls: number[] = []
  for (const { enter, fn } of contenders) {
    await enter?.()
    calls.push(calibrate(fn, options))
  }
  const samples = contenders.map((): number[] => [])
  for (let r = 0; r < options.reps; r++)
    for (const [i, { enter, fn }] of contenders.entries()) {
      await enter?.()
      samples[i]!.push(repetition(fn, calls[i]!))
    }
  return contenders.map((_, i) => summarise(samples[i]!, calls[i]!))
}

/**
 * `n` numbers in [-1, 1) from a fixed linear congruential sequence: the same inputs on every
 * run and for every library, with no dependence on a global random source.
 * @example
 * sequence(3, 1) // the same three numbers every time
 */
export const sequence = (n: number, seed: number): Float32Array => {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s / 2 ** 32) * 2 - 1
  }
  return out
}
