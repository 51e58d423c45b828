/**
 * The `fnn` executable: hands the real process to `run` and exits with its code. The first
 * Ctrl-C during `fnn train` asks training to stop after the current step and save; another one
 * more than a second later (or any Ctrl-C in other commands) stops at once, removing
 * half-written temporary files. Signals within that second count as the same Ctrl-C: a launcher
 * such as tsx may pass on the terminal's SIGINT that this process has already received.
 *
 * A closed pipe (`fnn eval | head -1`) ends the command quietly with 141, as a shell reports a
 * command stopped by SIGPIPE: nothing more is written, training saves after its current step as
 * for Ctrl-C, any other command stops at once.
 * @module
 */
import { removePendingFiles } from "./files.ts"
import { brokenPipeExitCode, interruptedExitCode } from "./io.ts"
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

let pipeClosed = false

const onOutputError = (e: NodeJS.ErrnoException): void => {
  if (pipeClosed) return
  pipeClosed = true
  if (e.code === "EPIPE" && training) {
    interrupt.interrupted = true
    return
  }
  removePendingFiles()
  process.exit(e.code === "EPIPE" ? brokenPipeExitCode : 1)
}
process.stdout.on("error", onOutputError)
process.stderr.on("error", onOutputError)

const guarded = (stream: NodeJS.WriteStream) => ({
  write: (s: string): boolean => (pipeClosed ? true : stream.write(s)),
})

const code = await run(argv, {
  stdout: guarded(process.stdout),
  stderr: guarded(process.stderr),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  interrupt,
})
process.exitCode = pipeClosed ? brokenPipeExitCode : code
