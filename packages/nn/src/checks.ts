/**
 * Argument checks shared by optimizers and schedules (not exported from the package).
 * @module
 */
import * as T from "@fnn/tensor"
import { TensorError } from "@fnn/tensor"
import type { OptionsSpec } from "@fnn/tensor/internal"
import { checkOptions } from "@fnn/tensor/internal"

export { checkOptions }

/** What a PRNG key option accepts. */
const keyOption = (v: unknown): string | undefined =>
  T.random.isKey(v) ? undefined : "a PRNG key (T.random.key(seed))"

/** The options of a layer's `init`. */
export const initSpec: OptionsSpec = { dtype: "dtype" }

/** The options of a layer's `apply`. */
export const applySpec: OptionsSpec = { key: keyOption, train: "boolean" }

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
