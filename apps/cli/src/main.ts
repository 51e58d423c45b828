#!/usr/bin/env node
/**
 * The `fnn` executable: hands the real process to `run` and exits with its code. The first stop
 * signal during `fnn train` (Ctrl-C's SIGINT, SIGTERM from `kill`, `timeout` or a service
 * manager, SIGHUP when the terminal closes) asks training to stop after the current step and
 * save; another one more than a second later (or any stop signal in other commands) stops at
 * once, removing half-written temporary files. Either way the exit code is 128 + the signal's
 * number. Signals within that second count as the same one: a terminal and a launcher may both
 * pass on one Ctrl-C.
 *
 * A closed pipe (`fnn eval | head -1`) ends the command quietly with 141, as a shell reports a
 * command stopped by SIGPIPE: nothing more is written, training saves after its current step as
 * for Ctrl-C, any other command stops at once.
 * @module
 */
import { removePendingFiles } from "./files.ts"
import type { StopSignal } from "./io.ts"
import { brokenPipeExitCode, signalExitCode } from "./io.ts"
import { run } from "./run.ts"

const argv = process.argv.slice(2)
const interrupt: { interrupted: boolean; signal: StopSignal | undefined } = {
  interrupted: false,
  signal: undefined,
}
const training = argv[0] === "train"
let firstSignal = 0

const stop = (signal: StopSignal): void => {
  if (training && !interrupt.interrupted) {
    interrupt.interrupted = true
    interrupt.signal = signal
    firstSignal = performance.now()
    process.stderr.write(
      signal === "SIGINT"
        ? "\nfnn: stopping after this step to save (Ctrl-C again to quit now)\n"
        : `\nfnn: ${signal}: stopping after this step to save\n`,
    )
    return
  }
  if (training && performance.now() - firstSignal < 1000) return
  removePendingFiles()
  process.exit(signalExitCode(signal))
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => stop(signal))

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
