/**
 * `pnpm --filter @fnn/bench profile:summary [FILE] [--top N]`: the functions with the most self
 * time in a `.cpuprofile` (by default the newest in `bench-results/profiles/`, as `profile:step`
 * writes them), with their share of the samples and where they are defined.
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import type { CpuProfile } from "./cpuprofile.ts"
import { formatSelfTimes, selfTimes } from "./cpuprofile.ts"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const repoDir = resolve(packageDir, "..", "..")

const newest = (dir: string): string | undefined => {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  } catch {
    return undefined
  }
}

const main = (): number => {
  const args = process.argv.slice(2).filter((a) => a !== "--")
  const topAt = args.indexOf("--top")
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 15
  const rest = args.filter((_, i) => topAt < 0 || (i !== topAt && i !== topAt + 1))
  const file = rest[0] ?? newest(join(packageDir, "bench-results", "profiles"))
  if (file === undefined || !Number.isInteger(top) || top < 1) {
    console.error("usage: profile:summary [FILE.cpuprofile] [--top N]  (run profile:step first)")
    return 2
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile
  console.log(`self time in ${file}`)
  console.log(formatSelfTimes(selfTimes(profile, repoDir), top))
  return 0
}

process.exitCode = main()
