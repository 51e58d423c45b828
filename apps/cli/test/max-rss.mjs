// Loaded with --import into a spawned fnn: writes the process's peak resident memory (kB) to
// the file named by FNN_MAX_RSS_FILE when it exits, so a test can bound what a case costs.
import { writeFileSync } from "node:fs"

const file = process.env.FNN_MAX_RSS_FILE
if (file !== undefined)
  process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
