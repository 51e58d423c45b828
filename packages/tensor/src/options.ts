/**
 * One checker for the options objects of every public function, so that plain JavaScript callers
 * get an error instead of a silently ignored option: `T.sum(x, 0)`, `T.mean(x, { keepdims: true })`
 * and `random.uniform(k, s, { minval: -1 })` all throw a `TensorError` naming the function and the
 * option, with the right spelling when one is close.
 * @module
 */
import { isDType } from "./dtype.ts"
import { TensorError } from "./errors.ts"

/**
 * What an option accepts. Names stand for the usual types; an array lists the accepted strings;
 * a function returns a description of what was expected when the value is wrong, else undefined.
 */
export type OptionType =
  | "boolean"
  | "number"
  | "integer"
  | "string"
  | "function"
  | "object"
  | "dtype"
  | "integers"
  | ReadonlyArray<string>
  | ((value: unknown) => string | undefined)

/** The options a function takes and what each accepts. */
export type OptionsSpec = Readonly<Record<string, OptionType>>

/** Spellings from NumPy, JAX and PyTorch that mean one of fnn's options. */
const aliases: Readonly<Record<string, ReadonlyArray<string>>> = {
  minval: ["min"],
  maxval: ["max"],
  low: ["min"],
  high: ["max"],
  keepdims: ["keepDims"],
  keep_dims: ["keepDims"],
  keepdim: ["keepDims"],
  dim: ["axis", "axes"],
  axes: ["axis"],
  axis: ["axes"],
  has_aux: ["hasAux"],
  argnum: ["argnums"],
  learning_rate: ["lr"],
  weight_decay: ["weightDecay"],
  loc: ["mean"],
  scale: ["std"],
  stddev: ["std"],
  sigma: ["std"],
}

const isInteger = (x: unknown): boolean => typeof x === "number" && Number.isInteger(x)

/** What `value` is, in a few words, for messages. */
export const describeOption = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return `the array ${preview(value)}`
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`
  if (typeof value === "function") return "a function"
  if (typeof value === "object") {
    const name = value.constructor?.name
    return name !== undefined && name !== "Object" ? `a ${name}` : "an object"
  }
  return typeof value
}

const preview = (value: unknown): string => {
  try {
    const text = JSON.stringify(value)
    return text.length > 40 ? `${text.slice(0, 37)}...` : text
  } catch {
    return "[…]"
  }
}

/** Why `value` is not of `type`, or undefined when it is. */
const mismatch = (type: OptionType, value: unknown): string | undefined => {
  if (typeof type === "function") return type(value)
  if (Array.isArray(type))
    return typeof value === "string" && type.includes(value)
      ? undefined
      : `one of ${type.map((t) => JSON.stringify(t)).join(", ")}`
  switch (type) {
    case "boolean":
      return typeof value === "boolean" ? undefined : "a boolean"
    case "number":
      return typeof value === "number" ? undefined : "a number"
    case "integer":
      return isInteger(value) ? undefined : "an integer"
    case "string":
      return typeof value === "string" ? undefined : "a string"
    case "function":
      return typeof value === "function" ? undefined : "a function"
    case "object":
      return typeof value === "object" && value !== null ? undefined : "an object"
    case "dtype":
      return isDType(value) ? undefined : `"float32", "float64" or "int32"`
    case "integers":
      return isInteger(value) || (Array.isArray(value) && value.every(isInteger))
        ? undefined
        : "an integer or an array of integers"
  }
  return undefined
}

/** Edit distance, for suggesting the option that was meant. */
const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = kept
    }
  }
  return row[b.length]!
}

/** The option of `known` that `name` most likely means, if any is close. */
export const suggestOption = (name: string, known: ReadonlyArray<string>): string | undefined => {
  const alias = Object.prototype.hasOwnProperty.call(aliases, name)
    ? aliases[name]!.find((a) => known.includes(a))
    : undefined
  if (alias !== undefined) return alias
  const lower = name.toLowerCase()
  const scored = known
    .map((k) => ({ k, d: distance(lower, k.toLowerCase()) }))
    .filter(({ k, d }) => d <= Math.min(2, Math.floor(k.length / 3)) || d === 0)
    .sort((a, b) => a.d - b.d)
  return scored[0]?.k
}

const listed = (names: ReadonlyArray<string>): string =>
  names.length === 0 ? "no options" : `{ ${names.join(", ")} }`

/** A hint for a value passed where the options object goes, when its meaning is clear. */
const positionalHint = (op: string, value: unknown, names: ReadonlyArray<string>): string => {
  if ((isInteger(value) || Array.isArray(value)) && names.includes("axis"))
    return `; to reduce over an axis write ${op}(x, { axis: ${preview(value)} })`
  if (isDType(value) && names.includes("dtype"))
    return `; to choose the dtype write { dtype: ${JSON.stringify(value)} }`
  return ""
}

/**
 * Checks `options` (the object a public function takes last) against `spec` and returns it, or
 * `{}` when it is undefined. Throws a `TensorError` naming `op` for a non-object, an unknown key
 * (with the option it likely means) or a value of the wrong type; `undefined` values are allowed.
 *
 * @example
 * import { checkOptions } from "@fnn/tensor/internal"
 * const o = checkOptions("myOp", { axis: 1 }, { axis: "integer", keepDims: "boolean" })
 * // checkOptions("myOp", { keepdims: true }, …) throws
 * // myOp: unknown option "keepdims" (did you mean "keepDims"?); it takes { axis, keepDims }
 */
export const checkOptions = <O extends object>(
  op: string,
  options: O | undefined,
  spec: OptionsSpec,
): O => {
  const names = Object.keys(spec)
  if (options === undefined) return {} as O
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw new TensorError(
      op,
      `options must be an object ${listed(names)}, got ${describeOption(options)}${positionalHint(op, options, names)}`,
    )
  for (const key of Object.keys(options)) {
    const type = Object.prototype.hasOwnProperty.call(spec, key) ? spec[key] : undefined
    if (type === undefined) {
      const meant = suggestOption(key, names)
      throw new TensorError(
        op,
        `unknown option ${JSON.stringify(key)}${meant === undefined ? "" : ` (did you mean ${JSON.stringify(meant)}?)`}; it takes ${listed(names)}`,
      )
    }
    const value = (options as Record<string, unknown>)[key]
    if (value === undefined) continue
    const expected = mismatch(type, value)
    if (expected !== undefined)
      throw new TensorError(op, `option ${key} must be ${expected}, got ${describeOption(value)}`)
  }
  return options
}
