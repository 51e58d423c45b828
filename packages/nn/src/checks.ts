/**
 * Argument checks shared by optimizers and schedules (not exported from the package).
 * @module
 */
import { TensorError } from "@fnn/tensor"

/**
 * Throws a `TensorError` for `op` unless `x` is a finite number accepted by `ok`; `what` says
 * what was expected (e.g. "a finite number ≥ 0") and `name` names the argument.
 */
export const checkNumber = (
  op: string,
  name: string,
  x: number,
  ok: (x: number) => boolean,
  what: string,
): void => {
  if (typeof x !== "number" || !Number.isFinite(x) || !ok(x))
    throw new TensorError(op, `${name} must be ${what}, got ${String(x)}`)
}
