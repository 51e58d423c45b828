/**
 * `pnpm --filter @fnn/bench profile:step`: a CPU profile of fnn's training step alone. Runs a
 * warm-up of the workload, then profiles `--steps` steps with the inspector in this process,
 * maps the positions back to the TypeScript sources, writes the profile to
 * `bench-results/profiles/` (it opens in Chrome DevTools) and prints the functions with the most
 * self time.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as E from "fp-ts/lib/Either.js"
import type { KernelChoice } from "./cli.ts"
import { kernelChoices } from "./cli.ts"
import type { CpuProfile } from "./cpuprofile.ts"
import { formatSelfTimes, mapProfile, selfTimes } from "./cpuprofile.ts"
import { useFnnKernels } from "./kernels.ts"
import { mnist } from "./mnist.ts"
import { epochBatches, fnnTrainer, initialParams, large, runSteps, small } from "./training.ts"

/** What to profile. */
interface ProfileFlags {
  readonly workload: "small" | "large"
  readonly steps: number
  readonly kernels: KernelChoice
  readonly threads: number | undefined
  readonly top: number
}

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const repoDir = resolve(packageDir, "..", "..")

/** Reads `--workload small|large --steps N --kernels js|fast --threads N --top N`. */
const parse = (args: readonly string[]): E.Either<string, ProfileFlags> => {
  let flags: ProfileFlags = {
    workload: "large",
    steps: 200,
    kernels: "js",
    threads: undefined,
    top: 15,
  }
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!
    if (flag === "--") continue
    const value = args[++i]
    if (value === undefined) return E.left(`${flag} needs a value`)
    const n = /^[1-9][0-9]*$/.test(value) ? Number(value) : undefined
    if (flag === "--workload" && (value === "small" || value === "large"))
      flags = { ...flags, workload: value }
    else if (flag === "--steps" && n !== undefined) flags = { ...flags, steps: n }
    else if (flag === "--threads" && n !== undefined) flags = { ...flags, threads: n }
    else if (flag === "--top" && n !== undefined) flags = { ...flags, top: n }
    else if (flag === "--kernels" && kernelChoices.some((k) => k === value))
      flags = { ...flags, kernels: value as KernelChoice }
    else return E.left(`cannot read ${flag} ${JSON.stringify(value)}`)
  }
  return E.right(flags)
}

const main = async (): Promise<number> => {
  const parsed = parse(process.argv.slice(2))
  if (E.isLeft(parsed)) {
    console.error(
      `profile: ${parsed.left}\nusage: profile:step [--workload small|large] [--steps N] [--kernels js|fast] [--threads N] [--top N]`,
    )
    return 2
  }
  const flags = parsed.right
  const kernels = await useFnnKernels(flags.kernels, flags.threads)
  if (E.isLeft(kernels)) {
    console.error(`profile: ${kernels.left}`)
    return 1
  }
  const w = flags.workload === "small" ? small : large
  const { train } = await mnist()
  const trainer = fnnTrainer(w, initialParams(w))
  const epoch = epochBatches(w, train, 0)
  const warm = runSteps(trainer, epoch, w.warmupSteps)
  trainer.reset()
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.start")
  const timed = runSteps(trainer, epoch, flags.steps)
  const { profile } = (await session.post("Profiler.stop")) as { profile: CpuProfile }
  session.disconnect()
  const mapped = mapProfile(profile)
  const dir = join(packageDir, "bench-results", "profiles")
  const file = join(dir, `train-${w.name}-${flags.kernels}.cpuprofile`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, JSON.stringify(mapped))
  console.log(
    `${w.label}, fnn kernels ${kernels.right}: warm-up ${warm.steps} steps ${warm.ms.toFixed(0)} ms, ` +
      `then ${timed.steps} steps ${timed.ms.toFixed(0)} ms (${(timed.ms / timed.steps).toFixed(3)} ms/step, ` +
      `${(((timed.ms / timed.steps) * epoch.length) / 1000).toFixed(2)} s per ${epoch.length}-step epoch)`,
  )
  console.log(`\nself time over the profiled steps (${file}):`)
  console.log(formatSelfTimes(selfTimes(mapped, repoDir), flags.top))
  return 0
}

process.exitCode = await main()
