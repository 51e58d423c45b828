/**
 * Showing results: any suite's result as an aligned text table with its checks, and as JSON
 * with the machine it ran on.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { arch, cpus, loadavg, platform, totalmem } from "node:os"
import { dirname } from "node:path"
import type { Cell, Column, RunConfig, SuiteResult } from "./suite.ts"

/**
 * One cell as text: numbers with the column's decimals, ratios as `2.31×`, `null` as `—`.
 * @example
 * formatCell({ key: "r", header: "r", kind: "ratio" }, 2.314) // "2.31×"
 */
export const formatCell = (column: Column, cell: Cell): string => {
  if (cell === null) return "—"
  if (typeof cell === "string") return cell
  if (!Number.isFinite(cell)) return String(cell)
  switch (column.kind) {
    case "ratio":
      return `${cell.toFixed(column.digits ?? 2)}×`
    case "number":
      return cell.toFixed(column.digits ?? 2)
    case "text":
      return String(cell)
  }
}

/**
 * The result's rows as an aligned table: text columns left-aligned, numbers right-aligned.
 * @example
 * console.log(formatTable(result))
 */
export const formatTable = (result: SuiteResult): string => {
  const { columns, rows } = result
  const body = rows.map((row) => columns.map((c) => formatCell(c, row[c.key] ?? null)))
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...body.map((cells) => cells[i]!.length)),
  )
  const pad = (text: string, i: number): string =>
    columns[i]!.kind === "text" ? text.padEnd(widths[i]!) : text.padStart(widths[i]!)
  const line = (cells: readonly string[]): string => cells.map(pad).join("  ").trimEnd()
  return [
    line(columns.map((c) => c.header)),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
  ].join("\n")
}

/**
 * A suite's full printout: title, context, table, then one line per check.
 * @example
 * console.log(formatReport(result))
 */
export const formatReport = (result: SuiteResult): string => {
  const context = Object.entries(result.context)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ")
  return [
    `${result.title}`,
    ...(context === "" ? [] : [`(${context})`]),
    "",
    formatTable(result),
    "",
    ...result.checks.map((c) => `${c.pass ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`),
  ].join("\n")
}

/** The machine and runtime a result was measured on; call it just before measuring. */
export const environment = (): Record<string, string | number> => {
  const cpu = cpus()
  return {
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine slows every engine, unevenly: compare runs made when this is low.
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
  }
}

/**
 * The JSON document for one suite's result: what the table shows (raw numbers, not rounded),
 * the checks, the settings and machine, and every timing sample.
 */
export const toJson = (
  result: SuiteResult,
  config: RunConfig,
  machine: Readonly<Record<string, string | number>>,
  date: Date,
): unknown => ({
  suite: result.suite,
  title: result.title,
  date: date.toISOString(),
  environment: machine,
  context: result.context,
  config: {
    reps: config.reps,
    warmup: config.warmup,
    warmupMs: config.warmupMs,
    minRepMs: config.minRepMs,
    epochs: config.epochs,
    quick: config.quick,
    fnnKernels: config.fnnKernels,
    kernels: config.kernels,
    threads: config.threads,
  },
  columns: result.columns,
  rows: result.rows,
  checks: result.checks,
  measurements: result.measurements,
})

/** Writes `value` as indented JSON, creating the folder if needed. */
export const writeJson = (path: string, value: unknown): void => {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(value, null, 2) + "\n")
}
