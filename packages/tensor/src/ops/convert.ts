/**
 * Arguments that may be numbers, dtype promotion, and reading values back out.
 * @module
 */
import type { DType } from "../dtype.ts"
import { defaultFloat, isDType, promoteTypes, weakType } from "../dtype.ts"
import { bind } from "../dispatch.ts"
import { check, describeValue, TensorError } from "../errors.ts"
import { Tensor } from "../tensor.ts"
import { scalar } from "./creation.ts"

/** A tensor, or a JavaScript number standing for a 0-d tensor. */
export type TensorLike = Tensor | number

/** Checks that `x` is a tensor, naming the op and argument otherwise. */
export const asTensor = (op: string, arg: string, x: unknown): Tensor => {
  if (x instanceof Tensor) return x
  if (typeof x === "number") return scalar(x, Number.isInteger(x) ? "int32" : defaultFloat)
  throw new TensorError(op, `${arg} must be a Tensor or a number, got ${describeValue(x)}`)
}

/** Converts `x` to dtype `dtype` (a differentiable primitive; no-op when already that dtype). */
export const cast = (x: Tensor, dtype: DType): Tensor => {
  const t = asTensor("cast", "x", x)
  check(
    isDType(dtype),
    "cast",
    () => `dtype must be "float32", "float64" or "int32", got ${JSON.stringify(dtype)}`,
  )
  return t.dtype === dtype ? t : bind("cast", [t], { dtype })
}

/**
 * The dtype of the common case that needs no promotion: every tensor has it and every number
 * takes it as is (integers next to int32); undefined otherwise.
 */
const sharedDType = (args: ReadonlyArray<TensorLike>): DType | undefined => {
  let d: DType | undefined
  for (const a of args) if (a instanceof Tensor) d ??= a.dtype
  if (d === undefined) return undefined
  for (const a of args)
    if (
      a instanceof Tensor
        ? a.dtype !== d
        : typeof a !== "number" || (d === "int32" && !Number.isInteger(a))
    )
      return undefined
  return d
}

/**
 * Brings arguments to one dtype. Tensors promote (`int32 < float32 < float64`); numbers are weakly
 * typed and take the tensors' dtype (a fractional number turns int32 into float32).
 */
export const promote = (op: string, args: ReadonlyArray<TensorLike>): Tensor[] => {
  const common = sharedDType(args)
  if (common !== undefined) return args.map((a) => (a instanceof Tensor ? a : scalar(a, common)))
  let dtype: DType | undefined
  args.forEach((a, i) => {
    if (a instanceof Tensor) dtype = dtype === undefined ? a.dtype : promoteTypes(dtype, a.dtype)
    else if (typeof a !== "number")
      throw new TensorError(
        op,
        `argument ${i} must be a Tensor or a number, got ${describeValue(a)}`,
      )
  })
  if (dtype === undefined) dtype = args.every((a) => Number.isInteger(a)) ? "int32" : defaultFloat
  for (const a of args) if (typeof a === "number") dtype = promoteTypes(dtype, weakType(dtype, a))
  const d = dtype
  return args.map((a) => (typeof a === "number" ? scalar(a, d) : cast(a, d)))
}

/** Nested JavaScript arrays of a tensor's values (a number for a 0-d tensor). */
export type Nested = number | Nested[]

/**
 * The values of `x` as nested arrays.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.toArray(T.tensor([[1, 2], [3, 4]])) // [[1, 2], [3, 4]]
 */
export const toArray = (x: Tensor): Nested => {
  const t = asTensor("toArray", "x", x)
  const data = t.data
  const shape = t.shape
  let pos = 0
  const build = (axis: number): Nested => {
    if (axis === shape.length) return data[pos++]!
    const n = shape[axis]!
    const out: Nested[] = new Array<Nested>(n)
    for (let i = 0; i < n; i++) out[i] = build(axis + 1)
    return out
  }
  return build(0)
}

/**
 * The single value of a one-element tensor.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.item(T.sum(T.tensor([1, 2, 3]))) // 6
 */
export const item = (x: Tensor): number => {
  const t = asTensor("item", "x", x)
  check(
    t.size === 1,
    "item",
    () => `needs a tensor with exactly one element, got shape [${t.shape.join(", ")}]`,
  )
  return t.data[0]!
}
