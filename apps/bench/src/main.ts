/**
 * `pnpm bench`: runs the selected suites, prints each one's table and checks, and writes its
 * JSON (by default to `bench-results/SUITE.json` in this package).
 * @module
 */
import { cpus, loadavg } from "node:os"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as E from "fp-ts/lib/Either.js"
import { parseFlags, renderFlagError, usage } from "./cli.ts"
import { useFnnKernels } from "./kernels.ts"
import { defaultThreadCount } from "@fnn/tensor/internal"
import { environment, formatReport, toJson, writeJson } from "./report.ts"
import type { RunConfig } from "./suite.ts"
import { suites } from "./suites/index.ts"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const known = suites.map((s) => s.name)
const optIn = suites.filter((s) => s.optIn === true).map((s) => s.name)

const main = async (): Promise<number> => {
  const parsed = parseFlags(process.argv.slice(2), known)
  if (E.isLeft(parsed)) {
    console.error(`bench: ${renderFlagError(parsed.left)}\n\n${usage(known, optIn)}`)
    return 2
  }
  const flags = parsed.right
  if (flags.help) {
    console.log(usage(known, optIn))
    return 0
  }
  const kernels = await useFnnKernels(flags.kernels, flags.threads)
  if (E.isLeft(kernels)) {
    console.error(`bench: --kernels ${flags.kernels}: ${kernels.left}`)
    return 1
  }
  const threads = flags.threads ?? defaultThreadCount()
  const config: RunConfig = {
    reps: flags.reps ?? (flags.quick ? 3 : 5),
    warmup: 1,
    warmupMs: flags.quick ? 100 : 500,
    minRepMs: flags.quick ? 20 : 100,
    epochs: flags.epochs ?? (flags.quick ? 1 : 3),
    quick: flags.quick,
    fnnKernels: kernels.right,
    kernels: flags.kernels,
    threads,
    log: (line) => console.error(`  … ${line}`),
  }
  const cores = cpus().length
  const load = loadavg()[0]!
  if (load > cores / 2)
    console.error(
      `note: load average ${load.toFixed(2)} on ${cores} cores; other work skews timings`,
    )
  const selected =
    flags.suites.length === 0
      ? suites.filter((s) => s.optIn !== true)
      : suites.filter((s) => flags.suites.includes(s.name))
  const documents: unknown[] = []
  for (const suite of selected) {
    console.error(
      `running ${suite.name} (${config.reps} reps per matmul cell, ${config.epochs} timed ` +
        `epochs per training engine, fnn kernels ${config.fnnKernels}${flags.quick ? ", quick" : ""})`,
    )
    const machine = environment()
    const result = await suite.run(config)
    const loadAfter = Number(loadavg()[0]!.toFixed(2))
    const document = toJson(
      result,
      config,
      { ...machine, loadAverage1mAfter: loadAfter },
      new Date(),
    )
    documents.push(document)
    console.log(`\n${formatReport(result)}`)
    // Timings are only as quiet as the machine: say how busy it was around this suite.
    console.log(
      `load average (1 min) ${String(machine.loadAverage1m)} before, ${loadAfter} after, on ${cores} cores\n`,
    )
    if (flags.json === undefined) {
      const path = resolve(packageDir, "bench-results", `${suite.name}.json`)
      writeJson(path, document)
      console.log(`wrote ${path}`)
    }
  }
  if (flags.json !== undefined) {
    const path = resolve(flags.json)
    writeJson(path, documents.length === 1 ? documents[0] : documents)
    console.log(`wrote ${path}`)
  }
  return 0
}

process.exitCode = await main()
