/**
 * Programmer errors inside math throw a `TensorError` whose message names the op and what was
 * wrong. (Errors about bytes from outside are values, not throws: see `safetensors`.)
 * @module
 */

/** An error thrown for a misuse of a tensor op: bad shapes, axes, dtypes or arguments. */
export class TensorError extends Error {
  override readonly name = "TensorError"
  constructor(
    /** The op that refused its arguments, e.g. `"add"`. */
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`)
  }
}

/** A `TensorError` for `op`. */
export const shapeError = (op: string, message: string): TensorError => new TensorError(op, message)

/** Names what was passed where a tensor was wanted, for error messages. */
export const describeValue = (x: unknown): string =>
  x === null ? "null" : Array.isArray(x) ? "an array (wrap it with T.tensor)" : typeof x

/** Throws a `TensorError` for `op` unless `condition` holds; the message is built only on failure. */
export function check(condition: boolean, op: string, message: () => string): asserts condition {
  if (!condition) throw new TensorError(op, message())
}
