/**
 * What a run of `fnn` may touch of the outside world: two output streams, the environment, the
 * working directory and an interrupt flag. `main.ts` passes the real process; tests pass strings.
 * @module
 */
import { isAbsolute, resolve } from "node:path"

/** Somewhere text goes: `process.stdout`, or a test's buffer. */
export interface Writer {
  write(chunk: string): unknown
}

/** The signals that ask `fnn` to stop: Ctrl-C, `kill`/`timeout`/service managers, a closed terminal. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP"

/** Their POSIX numbers, the same on every platform that has them. */
const signalNumbers: Readonly<Record<StopSignal, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }

/**
 * The exit code after a stop signal, 128 + its number, as shells report it: 130 for SIGINT,
 * 143 for SIGTERM, 129 for SIGHUP.
 * @example
 * signalExitCode("SIGTERM") // 143
 */
export const signalExitCode = (signal: StopSignal): number => 128 + signalNumbers[signal]

/**
 * Whether the user asked to stop, and with which signal (SIGINT when not told). Training reads
 * `interrupted` once per step, finishes that step, saves and exits with 128 + the signal's number.
 */
export interface Interrupt {
  readonly interrupted: boolean
  readonly signal?: StopSignal | undefined
}

/** The world of one run of `fnn`. */
export interface RunIO {
  readonly stdout: Writer
  readonly stderr: Writer
  readonly env: Readonly<Record<string, string | undefined>>
  /** Whether stdout is a terminal: progress bars and colour instead of plain lines. */
  readonly isTTY: boolean
  /** Where relative paths start (default: the process's working directory). */
  readonly cwd?: string
  /** Set when a stop signal arrives (default: never). */
  readonly interrupt?: Interrupt
}

/** The exit code of a run that `interrupt` stopped. */
export const interruptedExitCode = (interrupt: Interrupt | undefined): number =>
  signalExitCode(interrupt?.signal ?? "SIGINT")

/** The exit code when the reader of the output went away (128 + SIGPIPE), as shells report it. */
export const brokenPipeExitCode = 141

/** An absolute path for `p` as given on the command line. */
export const resolvePath = (io: RunIO, p: string): string =>
  isAbsolute(p) ? p : resolve(io.cwd ?? process.cwd(), p)

/** Writes `text` and a newline to stdout. */
export const println = (io: RunIO, text = ""): void => {
  io.stdout.write(`${text}\n`)
}

/** Writes one JSON document on one line to stdout. */
export const printJson = (io: RunIO, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value)}\n`)
}

/** The terminal width for drawing, from `COLUMNS` or 80. */
export const columns = (io: RunIO): number => {
  const c = Number(io.env["COLUMNS"])
  return Number.isInteger(c) && c >= 40 ? c : 80
}
