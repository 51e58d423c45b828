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
import { environment, formatReport, toJson, writeJson } from "./report.ts"
import type { RunConfig } from "./suite.ts"
import { suites } from "./suites/index.ts"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const known = suites.map((s) => s.name)

const main = async (): Promise<number> => {
  const parsed = parseFlags(process.argv.slice(2), known)
  if (E.isLeft(parsed)) {
    console.error(`bench: ${renderFlagError(parsed.left)}\n\n${usage(known)}`)
    return 2
  }
  const flags = parsed.right
  if (flags.help) {
    console.log(usage(known))
    return 0
  }
  const config: RunConfig = {
    reps: flags.reps ?? (flags.quick ? 3 : 5),
    warmup: 1,
    warmupMs: flags.quick ? 100 : 500,
    minRepMs: flags.quick ? 20 : 100,
    quick: flags.quick,
    log: (line) => console.error(`  … ${line}`),
  }
  const load = loadavg()[0]!
  if (load > cpus().length / 2)
    console.error(
      `note: load average ${load.toFixed(2)} on ${cpus().length} cores; other work skews timings`,
    )
  const selected =
    flags.suites.length === 0 ? suites : suites.filter((s) => flags.suites.includes(s.name))
  const documents: unknown[] = []
  for (const suite of selected) {
    console.error(
      `running ${suite.name} (${config.reps} reps per cell${flags.quick ? ", quick" : ""})`,
    )
    const machine = environment()
    const result = await suite.run(config)
    const document = toJson(result, config, machine, new Date())
    documents.push(document)
    console.log(`\n${formatReport(result)}\n`)
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
