// Entry for `pnpm start` (`fnn train`) and `pnpm fnn …`: runs apps/cli through tsx's loader.
import { spawnSync } from "node:child_process"
import { fileURLToPath, pathToFileURL } from "node:url"
import { dirname, join } from "node:path"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const cli = join(root, "apps", "cli", "src", "main.ts")
const args = process.argv.slice(2)

// tsx as a loader in the same process (its CLI would add a process that relays signals)
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
// Ctrl-C reaches the child too (same process group): wait for it to save its checkpoint and exit
process.on("SIGINT", () => {})
const result = spawnSync(process.execPath, ["--import", tsx, cli, ...args], { stdio: "inherit" })
process.exit(result.status ?? (result.signal === "SIGINT" ? 130 : 1))
