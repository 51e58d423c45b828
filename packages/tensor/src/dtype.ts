/**
 * Element types and type promotion.
 *
 * Promotion follows JAX rather than NumPy: `int32 ⊕ float32 → float32`, and a JavaScript number
 * is "weakly typed" — it takes the dtype of the tensor it meets (`float32 + 1 → float32`), except
 * that a non-integer number meeting an `int32` tensor gives `float32`.
 * @module
 */

/** The element types fnn stores. */
export type DType = "float32" | "float64" | "int32"

/** The typed array that stores each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array

/** The storage of one dtype. */
export type ArrayOf<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : Int32Array

/** Every dtype, in promotion order. */
export const dtypes: ReadonlyArray<DType> = ["int32", "float32", "float64"]

/** The dtype of tensors made from JavaScript numbers when none is given. */
export const defaultFloat: DType = "float32"

/** Whether `d` is one of fnn's dtypes. */
export const isDType = (d: unknown): d is DType =>
  d === "float32" || d === "float64" || d === "int32"

/** Whether values of `d` are floating point (and so differentiable). */
export const isFloat = (d: DType): boolean => d !== "int32"

/** Bytes per element. */
export const byteSize = (d: DType): number => (d === "float64" ? 8 : 4)

/** A zero-filled array of `n` elements of dtype `d`. */
export const allocate = <D extends DType>(d: D, n: number): ArrayOf<D> =>
  (d === "float32"
    ? new Float32Array(n)
    : d === "float64"
      ? new Float64Array(n)
      : new Int32Array(n)) as ArrayOf<D>

/**
 * `out` when it is an array of dtype `d` and length `n` (a buffer a caller planned for a kernel's
 * output, contents unspecified), else a fresh zero-filled one.
 */
export const outputArray = <D extends DType>(
  out: TypedArray | undefined,
  d: D,
  n: number,
): ArrayOf<D> =>
  out !== undefined && out.length === n && dtypeOf(out) === d ? (out as ArrayOf<D>) : allocate(d, n)

/** Copies `values` into a new array of dtype `d` (rounding as the typed array does). */
export const arrayFrom = (d: DType, values: ArrayLike<number>): TypedArray =>
  d === "float32"
    ? Float32Array.from(values)
    : d === "float64"
      ? Float64Array.from(values)
      : Int32Array.from(values)

/** The dtype whose storage is `data`. */
export const dtypeOf = (data: TypedArray): DType =>
  data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : "int32"

const rank: Record<DType, number> = { int32: 0, float32: 1, float64: 2 }

/** The dtype two tensors of dtypes `a` and `b` are computed in. */
export const promoteTypes = (a: DType, b: DType): DType => (rank[a] >= rank[b] ? a : b)

/** The dtype a weakly typed JavaScript number takes next to a tensor of dtype `d`. */
export const weakType = (d: DType, value: number): DType =>
  d === "int32" && !Number.isInteger(value) ? defaultFloat : d
