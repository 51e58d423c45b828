/**
 * Command-line flags, decoded into an `Either`: a typo in a flag is a value to render, not an
 * exception.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"

/** fnn's kernels: the portable JavaScript reference, or the fast (WebAssembly SIMD) ones. */
export type KernelChoice = "js" | "fast"

/** The values `--kernels` accepts. */
export const kernelChoices: readonly KernelChoice[] = ["js", "fast"]

/** What the command line asked for. */
export interface Flags {
  /** Suites to run, in order; empty means the default set. */
  readonly suites: readonly string[]
  readonly reps: number | undefined
  /** Timed epochs per engine in the training suites. */
  readonly epochs: number | undefined
  readonly kernels: KernelChoice
  /** Threads for the fast kernels (the caller included); `undefined` leaves their default. */
  readonly threads: number | undefined
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
  | {
      readonly _tag: "BadChoice"
      readonly flag: string
      readonly value: string
      readonly choices: readonly string[]
    }

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
    case "BadChoice":
      return `${error.flag} takes one of ${error.choices.join(", ")}, got ${JSON.stringify(error.value)}`
  }
}

/** Help text for `--help` and after a flag error; `optIn` suites run only when named. */
export const usage = (known: readonly string[], optIn: readonly string[] = []): string =>
  [
    "usage: bench [--suite NAME]... [--reps N] [--epochs N] [--kernels js|fast] [--threads N]",
    "             [--json PATH] [--quick]",
    "",
    `  --suite NAME      run only this suite (${known.join(", ")}); repeatable;`,
    `                    default: all${optIn.length === 0 ? "" : ` but ${optIn.join(", ")}`}`,
    "  --reps N          timed repetitions per matmul cell (default 5, 3 with --quick)",
    "  --epochs N        timed epochs per engine in the training suites (default 3, 1 with --quick)",
    "  --kernels js|fast fnn's kernels: the fast ones the apps use (WebAssembly SIMD matmul, worker",
    "                    threads; the default) or the JavaScript reference",
    "  --threads N       threads for --kernels fast, the caller included (default: their own)",
    "  --json PATH       write the JSON result here (default bench-results/SUITE.json)",
    "  --quick           fewer repetitions and shorter warm-up, for a fast look",
    "  --help            this text",
  ].join("\n")

const count = (flag: string, text: string | undefined): E.Either<FlagError, number> => {
  if (text === undefined) return E.left({ _tag: "MissingValue", flag })
  if (!/^[1-9][0-9]*$/.test(text)) return E.left({ _tag: "BadCount", flag, value: text })
  return E.right(Number(text))
}

/**
 * Reads the arguments after the script name. A lone `--` (as some runners pass it) is skipped.
 * @example
 * parseFlags(["--suite", "matmul", "--reps", "7"], ["matmul"])
 * // E.right({ suites: ["matmul"], reps: 7, epochs: undefined, kernels: "fast", threads: undefined,
 * //           json: undefined, quick: false, help: false })
 */
export const parseFlags = (
  args: readonly string[],
  known: readonly string[],
): E.Either<FlagError, Flags> => {
  const suites: string[] = []
  let reps: number | undefined
  let epochs: number | undefined
  let kernels: KernelChoice = "fast"
  let threads: number | undefined
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
      case "--reps":
      case "--epochs":
      case "--threads": {
        const n = count(flag, value())
        if (E.isLeft(n)) return n
        if (flag === "--reps") reps = n.right
        else if (flag === "--epochs") epochs = n.right
        else threads = n.right
        break
      }
      case "--kernels": {
        const text = value()
        if (text === undefined) return E.left({ _tag: "MissingValue", flag })
        const choice = kernelChoices.find((k) => k === text)
        if (choice === undefined)
          return E.left({ _tag: "BadChoice", flag, value: text, choices: kernelChoices })
        kernels = choice
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
  return E.right({ suites, reps, epochs, kernels, threads, json, quick, help })
}
