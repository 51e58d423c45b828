// `node tools/build-quietly.mjs <package>`: builds the package and what it depends on with turbo
// (cached), printing turbo's output only when the build fails, so `pnpm fnn … --json` keeps a
// clean stdout. It exits before the command it prepares starts.
import { spawnSync } from "node:child_process"

const target = process.argv[2]
if (target === undefined) {
  process.stderr.write("usage: node tools/build-quietly.mjs <package>\n")
  process.exit(2)
}
const result = spawnSync(
  "turbo",
  ["run", "build", `--filter=${target}`, "--output-logs=errors-only"],
  {
    encoding: "utf8",
    env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env },
    stdio: ["ignore", "pipe", "pipe"],
    shell: process.platform === "win32",
  },
)
if (result.status !== 0) {
  process.stderr.write(result.stdout ?? "")
  process.stderr.write(result.stderr ?? "")
  if (result.error !== undefined) process.stderr.write(`${result.error.message}\n`)
  process.exit(result.status ?? 1)
}
