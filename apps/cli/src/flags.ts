/**
 * Flag values from strings to typed settings, as `Either`s with `BadFlag` errors: commander
 * only splits the command line, every value is checked here, purely.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { TensorError } from "@fnn/tensor"
import type { CliError } from "./errors.ts"
import { buildNet } from "./model.ts"

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

/** A convolution or pooling token of `--arch` (see `archFlag`): `c6k5`, `c16k5v`, `p2`, `a2`. */
export const spatialToken = /^(c(\d+)k(\d+)(v?)|([pa])(\d+))$/

/**
 * The weights and biases of a network of `--arch` layers: dense layers between widths, and
 * convolutions (`k × k × in × n + n`) over the 28 × 28 image, whose shape after each
 * convolution or pooling decides the width the next dense layer sees.
 */
export const parametersOf = (arch: ReadonlyArray<number | string>): number => {
  let n = 0
  let channels = 1
  arch.forEach((u, i) => {
    if (i === 0) return
    if (typeof u === "string") {
      const m = spatialToken.exec(u)
      if (m?.[2] !== undefined) {
        const [filters, k] = [Number(m[2]), Number(m[3])]
        n += k * k * channels * filters + filters
        channels = filters
      }
      return
    }
    const previous = arch[i - 1]!
    const fanIn =
      typeof previous === "number"
        ? previous
        : buildNet({ arch: arch.slice(0, i), activation: "relu", loss: "cross-entropy" })
            .outputShape([-1, inputs])
            .slice(1)
            .reduce((a, b) => a * b, 1)
    n += fanIn * u + u
  })
  return n
}

/**
 * What is wrong with layers as an architecture, or `undefined`: how many there are, each token
 * and width, the first and the last, whether a convolution stack fits 28 × 28 images, the number
 * of parameters.
 */
export const archProblem = (arch: ReadonlyArray<number | string>): string | undefined => {
  const form =
    "layers joined by dashes, like 784-16-16-10 or 784-c6k5-p2-c16k5v-p2-120-84-10, or lenet5"
  if (arch.length < 2 || arch.length > maxWidths) return `${form}, from 2 to ${maxWidths} of them`
  if (
    arch.some((p) => typeof p === "string" && !spatialToken.test(p)) ||
    typeof arch[0] !== "number" ||
    typeof arch[arch.length - 1] !== "number"
  )
    return form
  const sizes = arch.flatMap((p) =>
    typeof p === "number"
      ? [p]
      : (spatialToken.exec(p) ?? []).slice(2).filter(isDigits).map(Number),
  )
  if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1 || n > maxUnits))
    return `${form}, each from 1 to ${maxUnits}`
  if (arch[0] !== inputs) return `${form} starting at ${inputs} (one input per pixel)`
  if (arch[arch.length - 1] !== classes)
    return `${form} ending at ${classes} (one output per digit)`
  if (arch.some((p) => typeof p === "string"))
    try {
      buildNet({ arch, activation: "relu", loss: "cross-entropy" }).outputShape([-1, inputs])
    } catch (e) {
      if (!(e instanceof TensorError)) throw e
      return `a stack that fits 28 × 28 images (${e.message})`
    }
  const n = parametersOf(arch)
  if (n > maxParameters)
    return `${form}, with at most ${maxParameters.toLocaleString("en-US")} weights and biases (this one has ${n.toLocaleString("en-US")})`
  return undefined
}

const isDigits = (s: string | undefined): s is string => s !== undefined && /^\d+$/.test(s)

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
    // own names only: `constructor` or `__proto__` is not a preset
    const written = Object.hasOwn(archPresets, value.trim()) ? archPresets[value.trim()]! : value
    const tokens = written
      .trim()
      .split("-")
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    const problem = archProblem(tokens)
    return problem === undefined ? E.right(tokens) : E.left(bad("--arch", value, problem, command))
  }

/** Decodes an optional flag: absent stays `undefined`. */
export const optional = <A>(
  value: string | undefined,
  decode: (v: string) => Decoded<A>,
): Decoded<A | undefined> => (value === undefined ? E.right(undefined) : decode(value))
