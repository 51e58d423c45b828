/**
 * Text for terminals: bars for output activations, the confusion matrix as a table, numbers
 * formatted for people. Pure functions from values to strings.
 * @module
 */

const eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

/**
 * A horizontal bar of `value ∈ [0, 1]` that is `width` cells at 1, drawn in eighths of a cell.
 *
 * @example
 * bar(0.5, 4) // "██"
 */
export const bar = (value: number, width: number): string => {
  const v = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0
  const total = Math.round(v * width * 8)
  return "█".repeat(Math.floor(total / 8)) + eighths[total % 8]!
}

/** Pads `s` with spaces to `n` characters (by code points). */
export const padEnd = (s: string, n: number): string =>
  s + " ".repeat(Math.max(0, n - [...s].length))
/** Pads `s` on the left with spaces to `n` characters. */
export const padStart = (s: string, n: number): string =>
  " ".repeat(Math.max(0, n - [...s].length)) + s

/** `0.9623` as `96.23%`. */
export const percent = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`

/** Seconds as `4.2s`, `3m 07s` or `1h 02m`. */
export const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return "?"
  if (seconds < 60) return `${seconds.toFixed(1)}s`
  const s = Math.round(seconds)
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** A whole number with thousands separators: `13002` as `13,002`. */
export const thousands = (n: number): string =>
  Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",")

/**
 * The ten output activations as labelled bars, like the output layer in 3Blue1Brown's video;
 * the largest is marked. `values` are shown as they are; bars are scaled so 1 is `width` cells
 * (or the largest magnitude, when some value is outside [0, 1]).
 *
 * @example
 * outputBars([0.1, 0.9], 10)
 * // "  0 █          0.100"
 * // "  1 █████████  0.900  ◀"
 */
export const outputBars = (values: ReadonlyArray<number>, width: number): string[] => {
  const top = values.reduce((best, v, i) => (v > values[best]! ? i : best), 0)
  const inUnit = values.every((v) => v >= 0 && v <= 1)
  const scale = inUnit ? 1 : Math.max(1e-12, ...values.map((v) => Math.abs(v)))
  return values.map((v, i) => {
    const shown = Math.abs(v) >= 1000 ? v.toExponential(2) : v.toFixed(3)
    return `  ${i} ${padEnd(bar(Math.abs(v) / scale, width), width)} ${padStart(shown, 7)}${i === top ? "  ◀" : ""}`
  })
}

/**
 * A confusion matrix (`counts[t·k + p]` = examples of true class `t` predicted `p`) as a table:
 * rows are true digits, columns predictions, and a last column with each digit's accuracy.
 */
export const confusionTable = (counts: ArrayLike<number>, k: number): string[] => {
  let widest = 1
  for (let i = 0; i < k * k; i++) widest = Math.max(widest, String(counts[i]!).length)
  const w = widest + 1
  const lines: string[] = []
  lines.push(`${" ".repeat(8)}predicted`)
  lines.push(
    `${padEnd("true", 6)}${Array.from({ length: k }, (_, p) => padStart(String(p), w)).join("")}   accuracy`,
  )
  for (let t = 0; t < k; t++) {
    let row = 0
    const cells: string[] = []
    for (let p = 0; p < k; p++) {
      const c = counts[t * k + p]!
      row += c
      cells.push(padStart(c === 0 ? "·" : String(c), w))
    }
    const acc = row === 0 ? "—" : percent(counts[t * k + t]! / row, 1)
    lines.push(`${padStart(String(t), 4)}  ${cells.join("")}   ${padStart(acc, 7)}`)
  }
  return lines
}

/** Each class's accuracy from a confusion matrix: correct over examples of that class (NaN if none). */
export const perClassAccuracy = (counts: ArrayLike<number>, k: number): number[] =>
  Array.from({ length: k }, (_, t) => {
    let row = 0
    for (let p = 0; p < k; p++) row += counts[t * k + p]!
    return row === 0 ? Number.NaN : counts[t * k + t]! / row
  })
