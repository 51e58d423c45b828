// Entry for `pnpm start` / `pnpm fnn`: runs the `fnn` command when the CLI app is present.
import { existsSync } from "node:fs"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { dirname, join } from "node:path"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const cli = join(root, "apps", "cli", "src", "main.ts")
const args = process.argv.slice(2)

if (!existsSync(cli)) {
  console.log("fnn: the command-line app is not built yet. Packages in this workspace:")
  for (const name of ["tensor", "autodiff", "nn", "mnist"]) {
    if (existsSync(join(root, "packages", name))) console.log(`  @fnn/${name}`)
  }
  process.exit(0)
}
const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs")
const result = spawnSync(process.execPath, [tsx, cli, ...(args.length === 0 ? ["train"] : args)], {
  stdio: "inherit",
})
process.exit(result.status ?? 1)
