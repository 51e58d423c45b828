#!/usr/bin/env node
/**
 * The `fnn` executable: hands the real process to `run` and exits with its code. The first
 * Ctrl-C during `fnn train` asks training to stop after the current step and save; another one
 * more than a second later (or any Ctrl-C in other commands) stops at once, removing
 * half-written temporary files. Signals within that second count as the same Ctrl-C: a launcher
 * such as tsx may pass on the terminal's SIGINT that this process has already received.
 * @module
 */
import { removePendingFiles } from "./files.ts"
import { interruptedExitCode } from "./io.ts"
import { run } from "./run.ts"

const argv = process.argv.slice(2)
const interrupt = { interrupted: false }
const training = argv[0] === "train"
let firstSignal = 0

process.on("SIGINT", () => {
  if (training && !interrupt.interrupted) {
    interrupt.interrupted = true
    firstSignal = performance.now()
    process.stderr.write("\nfnn: stopping after this step to save (Ctrl-C again to quit now)\n")
    return
  }
  if (training && performance.now() - firstSignal < 1000) return
  removePendingFiles()
  process.exit(interruptedExitCode)
})

const code = await run(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  interrupt,
})
process.exitCode = code
