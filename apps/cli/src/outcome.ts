/**
 * The end of every command: a `TaskEither` of an exit code, run, with a `CliError` written as
 * `fnn: error: …` and turned into its exit code.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import type * as TE from "fp-ts/lib/TaskEither.js"
import type { CliError } from "./errors.ts"
import { errorLine, exitCodeOf } from "./errors.ts"
import type { RunIO } from "./io.ts"

/** Runs `task`; on failure writes the error to stderr. Resolves to the exit code. */
export const finish = async (io: RunIO, task: TE.TaskEither<CliError, number>): Promise<number> => {
  const r = await task()
  if (E.isRight(r)) return r.right
  io.stderr.write(errorLine(r.left))
  return exitCodeOf(r.left)
}
