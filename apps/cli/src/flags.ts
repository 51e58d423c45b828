/**
 * Flag values from strings to typed settings, as `Either`s with `BadFlag` errors: commander
 * only splits the command line, every value is checked here, purely.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { TensorError } from "@fnn/tensor"
import type { CliError } from "./errors.ts"
import { buildNet, spatialToken } from "./model.ts"

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

/** Named architectures `--arch` accepts besides the written form. */
export const archPresets: Readonly<Record<string, string>> = {
  // LeCun et al. 1998 with ReLU and max pooling: 28×28 → 6@28×28 → 14×14 → 16@10×10 → 5×5 → 120 → 84 → 10
  lenet5: "784-c6k5-p2-c16k5v-p2-120-84-10",
}

/**
 * Layers joined by `-`, from 784 inputs to 10 outputs: a number is a dense layer of that width;
 * `c<n>k<k>` a convolution of n filters k×k with SAME padding (`c<n>k<k>v`: VALID); `p<k>` a
 * k×k max pooling, `a<k>` an average pooling, stride k. The activation follows every dense layer
 * but the last and every convolution; the inputs are 28×28 images for a convolution or pooling.
 * `lenet5` stands for `784-c6k5-p2-c16k5v-p2-120-84-10`.
 *
 * @example
 * archFlag()("784-16-16-10") // right([784, 16, 16, 10])
 * archFlag()("lenet5") // right([784, "c6k5", "p2", "c16k5v", "p2", 120, 84, 10])
 * archFlag()("100-10") // left: --arch must start at 784 (one input per pixel)
 */
export const archFlag =
  (command?: string) =>
  (value: string): Decoded<Array<number | string>> => {
    const written = archPresets[value.trim()] ?? value
    const parts = written.trim().split("-")
    const tokens = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    const widths = tokens.filter((p): p is number => typeof p === "number")
    const form =
      "layers joined by dashes, like 784-16-16-10 or 784-c6k5-p2-c16k5v-p2-120-84-10, or lenet5"
    if (
      parts.length < 2 ||
      !parts.every((p) => /^\d+$/.test(p) || spatialToken.test(p)) ||
      typeof tokens[0] !== "number" ||
      typeof tokens[tokens.length - 1] !== "number"
    )
      return E.left(bad("--arch", value, form, command))
    if (widths.some((n) => n < 1 || n > maxUnits))
      return E.left(bad("--arch", value, `${form}, each from 1 to ${maxUnits}`, command))
    if (widths[0] !== inputs)
      return E.left(
        bad("--arch", value, `${form} starting at ${inputs} (one input per pixel)`, command),
      )
    if (widths[widths.length - 1] !== classes)
      return E.left(
        bad("--arch", value, `${form} ending at ${classes} (one output per digit)`, command),
      )
    if (tokens.some((p) => typeof p === "string"))
      try {
        buildNet({ arch: tokens, activation: "relu", loss: "cross-entropy" }).outputShape([
          -1,
          inputs,
        ])
      } catch (e) {
        if (!(e instanceof TensorError)) throw e
        return E.left(
          bad("--arch", value, `a stack that fits 28 × 28 images (${e.message})`, command),
        )
      }
    return E.right(tokens)
  }

/** Decodes an optional flag: absent stays `undefined`. */
export const optional = <A>(
  value: string | undefined,
  decode: (v: string) => Decoded<A>,
): Decoded<A | undefined> => (value === undefined ? E.right(undefined) : decode(value))
