/**
 * Flag values from strings to typed settings, as `Either`s with `BadFlag` errors: commander
 * only splits the command line, every value is checked here, purely.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import type { CliError } from "./errors.ts"

type Decoded<A> = E.Either<CliError, A>

const bad = (flag: string, value: string, expected: string, command?: string): CliError =>
  command === undefined
    ? { _tag: "BadFlag", flag, value, expected }
    : { _tag: "BadFlag", flag, value, expected, command }

const decimal = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const integer = /^[+-]?\d+$/

/** A whole number `≥ min` (and `≤ max`), written in decimal digits. */
export const intFlag =
  (flag: string, min: number, max = Number.MAX_SAFE_INTEGER, command?: string) =>
  (value: string): Decoded<number> => {
    const n = Number(value.trim())
    const expected =
      max === Number.MAX_SAFE_INTEGER
        ? min === 1
          ? "a positive integer"
          : min === 0
            ? "a non-negative integer"
            : `an integer ≥ ${min}`
        : `an integer from ${min} to ${max}`
    return integer.test(value.trim()) && Number.isSafeInteger(n) && n >= min && n <= max
      ? E.right(n)
      : E.left(bad(flag, value, expected, command))
  }

/** A finite decimal number, positive or (with `allowZero`) non-negative. */
export const numberFlag =
  (flag: string, allowZero: boolean, command?: string) =>
  (value: string): Decoded<number> => {
    const n = Number(value.trim())
    const ok = decimal.test(value.trim()) && Number.isFinite(n) && (allowZero ? n >= 0 : n > 0)
    return ok
      ? E.right(n)
      : E.left(bad(flag, value, allowZero ? "a number ≥ 0" : "a positive number", command))
  }

/** One of a few words. */
export const choiceFlag =
  <const C extends string>(flag: string, choices: ReadonlyArray<C>, command?: string) =>
  (value: string): Decoded<C> =>
    (choices as ReadonlyArray<string>).includes(value)
      ? E.right(value as C)
      : E.left(bad(flag, value, `one of ${choices.join(", ")}`, command))

/** The number of input pixels and output classes every architecture has. */
export const inputs = 784
export const classes = 10
/** The widest layer accepted. */
export const maxUnits = 65536
/** The most layer widths `--arch` takes (inputs and outputs included). */
export const maxWidths = 64
/** The most weights and biases a network of `--arch` may have. */
export const maxParameters = 10_000_000

/** The weights and biases of the dense layers between `widths`. */
export const parametersOf = (widths: ReadonlyArray<number>): number =>
  widths.slice(1).reduce((n, w, i) => n + widths[i]! * w + w, 0)

/**
 * What is wrong with layer widths as an architecture, or `undefined`: how many there are, each
 * width, the first and the last, the number of parameters.
 */
export const archProblem = (widths: ReadonlyArray<number>): string | undefined => {
  const form = "layer widths joined by dashes, like 784-16-16-10"
  if (widths.length < 2 || widths.length > maxWidths)
    return `${form}, from 2 to ${maxWidths} of them`
  if (widths.some((n) => !Number.isSafeInteger(n) || n < 1 || n > maxUnits))
    return `${form}, each from 1 to ${maxUnits}`
  if (widths[0] !== inputs) return `${form} starting at ${inputs} (one input per pixel)`
  if (widths[widths.length - 1] !== classes)
    return `${form} ending at ${classes} (one output per digit)`
  const n = parametersOf(widths)
  if (n > maxParameters)
    return `${form}, with at most ${maxParameters.toLocaleString("en-US")} weights and biases (this one has ${n.toLocaleString("en-US")})`
  return undefined
}

/**
 * Layer widths `784-…-10`: positive integers joined by `-`, from 784 inputs to 10 outputs.
 *
 * @example
 * archFlag("784-16-16-10") // right([784, 16, 16, 10])
 * archFlag("100-10") // left: --arch must start at 784 (one input per pixel)
 */
export const archFlag =
  (command?: string) =>
  (value: string): Decoded<number[]> => {
    const parts = value.trim().split("-")
    if (parts.length < 2 || !parts.every((p) => /^\d+$/.test(p)))
      return E.left(
        bad("--arch", value, "layer widths joined by dashes, like 784-16-16-10", command),
      )
    const widths = parts.map(Number)
    const problem = archProblem(widths)
    return problem === undefined ? E.right(widths) : E.left(bad("--arch", value, problem, command))
  }

/** Decodes an optional flag: absent stays `undefined`. */
export const optional = <A>(
  value: string | undefined,
  decode: (v: string) => Decoded<A>,
): Decoded<A | undefined> => (value === undefined ? E.right(undefined) : decode(value))
