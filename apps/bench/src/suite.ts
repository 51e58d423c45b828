/**
 * What a benchmark suite is: a named async function from run settings to a table of results
 * plus pass/fail checks. The report module prints and saves any suite's result the same way.
 * @module
 */
import type { KernelChoice } from "./cli.ts"

/** Settings shared by every suite in one run. */
export interface RunConfig {
  /** Timed repetitions per cell. */
  readonly reps: number
  /** Minimum warm-up calls per cell. */
  readonly warmup: number
  /** Warm-up goes on until this many milliseconds have passed. */
  readonly warmupMs: number
  /** Short calls are repeated within one repetition until it lasts this long. */
  readonly minRepMs: number
  /** Timed epochs per engine in the training suites (each from the same initial weights). */
  readonly epochs: number
  /** Smaller settings for a fast look; suites may also trim their work. */
  readonly quick: boolean
  /** Which kernels fnn runs on, e.g. `js` or `fast (wasm-simd matmul, wasm-simd elementwise, …)`. */
  readonly fnnKernels: string
  /** The `--kernels` choice behind `fnnKernels`. */
  readonly kernels: KernelChoice
  /**
   * Threads fnn may use, the caller included (`--threads`, else one per core up to 8). With the
   * fast kernels and more than one, suites also time fnn on one thread, for the scaling.
   */
  readonly threads: number
  /** Progress lines for people (not part of the result). */
  readonly log: (line: string) => void
}

/** A table cell: text, a number, or `null` where there is nothing to show. */
export type Cell = string | number | null

/** How a column is shown: `text` as is, `number` with `digits` decimals, `ratio` as `2.31×`. */
export interface Column {
  readonly key: string
  readonly header: string
  readonly kind: "text" | "number" | "ratio"
  readonly digits?: number
}

/** A named condition over the results, e.g. the target an issue sets. */
export interface Check {
  readonly name: string
  readonly pass: boolean
  readonly detail: string
}

/** Everything a suite found: the table, its checks, and the raw timings for the JSON file. */
export interface SuiteResult {
  readonly suite: string
  readonly title: string
  readonly columns: readonly Column[]
  readonly rows: readonly Readonly<Record<string, Cell>>[]
  readonly checks: readonly Check[]
  /** Facts about the libraries and settings measured (versions, backend flavours). */
  readonly context: Readonly<Record<string, string | number | boolean>>
  /** Raw per-cell timings, kept in the JSON only. */
  readonly measurements: readonly unknown[]
}

/** A benchmark suite, selected on the command line by `name`. */
export interface Suite {
  readonly name: string
  readonly title: string
  /** Runs only when named with `--suite` (too slow for every run). */
  readonly optIn?: boolean
  readonly run: (config: RunConfig) => Promise<SuiteResult>
}
