/**
 * Command-line flags, decoded into an `Either`: a typo in a flag is a value to render, not an
 * exception.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"

/** What the command line asked for. */
export interface Flags {
  /** Suites to run, in order; empty means all. */
  readonly suites: readonly string[]
  readonly reps: number | undefined
  readonly json: string | undefined
  readonly quick: boolean
  readonly help: boolean
}

/** Why the flags could not be read. */
export type FlagError =
  | { readonly _tag: "UnknownFlag"; readonly flag: string }
  | { readonly _tag: "MissingValue"; readonly flag: string }
  | { readonly _tag: "BadCount"; readonly flag: string; readonly value: string }
  | { readonly _tag: "UnknownSuite"; readonly name: string; readonly known: readonly string[] }

/** A flag error as a sentence for people. */
export const renderFlagError = (error: FlagError): string => {
  switch (error._tag) {
    case "UnknownFlag":
      return `unknown flag ${error.flag}`
    case "MissingValue":
      return `${error.flag} needs a value`
    case "BadCount":
      return `${error.flag} takes a whole number ≥ 1, got ${JSON.stringify(error.value)}`
    case "UnknownSuite":
      return `no suite named ${JSON.stringify(error.name)} (suites: ${error.known.join(", ")})`
  }
}

/** Help text for `--help` and after a flag error. */
export const usage = (known: readonly string[]): string =>
  [
    "usage: bench [--suite NAME]... [--reps N] [--json PATH] [--quick]",
    "",
    `  --suite NAME  run only this suite (${known.join(", ")}); repeatable; default: all`,
    "  --reps N      timed repetitions per cell (default 5, 3 with --quick)",
    "  --json PATH   write the JSON result here (default bench-results/SUITE.json)",
    "  --quick       fewer repetitions and shorter warm-up, for a fast look",
    "  --help        this text",
  ].join("\n")

/**
 * Reads the arguments after the script name. A lone `--` (as some runners pass it) is skipped.
 * @example
 * parseFlags(["--suite", "matmul", "--reps", "7"], ["matmul"])
 * // E.right({ suites: ["matmul"], reps: 7, json: undefined, quick: false, help: false })
 */
export const parseFlags = (
  args: readonly string[],
  known: readonly string[],
): E.Either<FlagError, Flags> => {
  const suites: string[] = []
  let reps: number | undefined
  let json: string | undefined
  let quick = false
  let help = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf("=")
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg
    const inline = flag === arg ? undefined : arg.slice(eq + 1)
    const value = (): string | undefined => inline ?? args[++i]
    switch (flag) {
      case "--":
        break
      case "--quick":
        quick = true
        break
      case "--help":
      case "-h":
        help = true
        break
      case "--suite": {
        const name = value()
        if (name === undefined) return E.left({ _tag: "MissingValue", flag })
        if (!known.includes(name)) return E.left({ _tag: "UnknownSuite", name, known })
        if (!suites.includes(name)) suites.push(name)
        break
      }
      case "--reps": {
        const text = value()
        if (text === undefined) return E.left({ _tag: "MissingValue", flag })
        if (!/^[1-9][0-9]*$/.test(text)) return E.left({ _tag: "BadCount", flag, value: text })
        reps = Number(text)
        break
      }
      case "--json": {
        const path = value()
        if (path === undefined || path === "") return E.left({ _tag: "MissingValue", flag })
        json = path
        break
      }
      default:
        return E.left({ _tag: "UnknownFlag", flag: arg })
    }
  }
  return E.right({ suites, reps, json, quick, help })
}
