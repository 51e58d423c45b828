/**
 * Making tensors: from nested arrays, filled, ranges, identity. Creation makes constants, so it
 * does not go through `bind`.
 * @module
 */
import type { DType, TypedArray } from "../dtype.ts"
import type { Shape } from "../shape.ts"
import { allocate, arrayFrom, defaultFloat, isDType } from "../dtype.ts"
import { check, describeValue, TensorError } from "../errors.ts"
import { checkOptions } from "../options.ts"
import { checkShape, showShape, sizeOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"

/** Nested arrays of numbers, as written in code: `[[1, 2], [3, 4]]`. */
export type NestedArray = number | ReadonlyArray<NestedArray>

/** Options for creating a tensor. */
export interface DTypeOption {
  readonly dtype?: DType
}

const dtypeSpec = { dtype: "dtype" } as const

/** The checked `{ dtype }` options of `op`. */
const dtypeOption = (op: string, options: DTypeOption | undefined): DTypeOption =>
  checkOptions(op, options, dtypeSpec)

const checkDType = (op: string, dtype: unknown): DType => {
  if (!isDType(dtype))
    throw new TensorError(
      op,
      `dtype must be "float32", "float64" or "int32", got ${JSON.stringify(dtype)}`,
    )
  return dtype
}

const inferShape = (value: NestedArray): number[] => {
  const shape: number[] = []
  let v: NestedArray = value
  while (Array.isArray(v)) {
    shape.push(v.length)
    if (v.length === 0) break
    v = (v as ReadonlyArray<NestedArray>)[0]!
  }
  return shape
}

/**
 * A tensor from a number or nested arrays; the shape is inferred and must be rectangular.
 * float32 unless `dtype` says otherwise.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const a = T.tensor([[1, 2], [3, 4]])
 * const b = T.tensor([10, 20], { dtype: "float64" })
 * const i = T.tensor(3, { dtype: "int32" })
 */
export const tensor = (value: NestedArray | TypedArray, given?: DTypeOption): Tensor => {
  const options = dtypeOption("tensor", given)
  if (ArrayBuffer.isView(value)) {
    const typed = value
    const dtype = checkDType(
      "tensor",
      options.dtype ??
        (typed instanceof Float64Array
          ? "float64"
          : typed instanceof Int32Array
            ? "int32"
            : defaultFloat),
    )
    if (dtype === "int32" && !(typed instanceof Int32Array))
      typed.forEach((v, i) =>
        check(
          Number.isInteger(v),
          "tensor",
          () => `element [${i}] is ${v}, which is not an integer, but dtype is int32`,
        ),
      )
    return new Tensor(dtype, [typed.length], arrayFrom(dtype, typed))
  }
  const dtype = checkDType("tensor", options.dtype ?? defaultFloat)
  const shape = inferShape(value)
  const out = allocate(dtype, sizeOf(shape))
  let pos = 0
  const fill = (v: NestedArray, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (typeof v !== "number")
        throw new TensorError(
          "tensor",
          Array.isArray(v)
            ? `ragged nested array: element ${path || "(top)"} is an array but elements at that depth are numbers (shape ${showShape(shape)})`
            : `element ${path || "(top)"} is ${v === null ? "null" : typeof v}, not a number`,
        )
      if (dtype === "int32" && !Number.isInteger(v))
        throw new TensorError(
          "tensor",
          `element ${path} is ${v}, which is not an integer, but dtype is int32`,
        )
      out[pos++] = v
      return
    }
    if (!Array.isArray(v) || v.length !== shape[axis])
      throw new TensorError(
        "tensor",
        `ragged nested array: element ${path || "(top)"} has ${Array.isArray(v) ? `length ${v.length}` : `a number`} but the shape inferred from the first elements is ${showShape(shape)}`,
      )
    const arr = v as ReadonlyArray<NestedArray>
    for (let i = 0; i < arr.length; i++) fill(arr[i]!, axis + 1, `${path}[${i}]`)
  }
  fill(value, 0, "")
  return new Tensor(dtype, shape, out)
}

/**
 * A tensor of `shape` with every element `value`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.full([2, 3], 7) // 2×3 of sevens, float32
 */
export const full = (shape: Shape, value: number, options?: DTypeOption): Tensor =>
  filled("full", shape, value, options)

const filled = (op: string, shape: Shape, value: number, given?: DTypeOption): Tensor => {
  const options = dtypeOption(op, given)
  const s = checkShape(op, "shape", shape)
  const dtype = checkDType(op, options.dtype ?? defaultFloat)
  check(typeof value === "number", op, () => `value must be a number, got ${typeof value}`)
  check(
    dtype !== "int32" || Number.isInteger(value),
    op,
    () => `value ${value} is not an integer, but dtype is int32`,
  )
  const out = allocate(dtype, sizeOf(s))
  if (value !== 0) out.fill(value)
  return new Tensor(dtype, s.slice(), out)
}

/**
 * Zeros of `shape`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.zeros([3]) // [0, 0, 0]
 */
export const zeros = (shape: Shape, options?: DTypeOption): Tensor =>
  filled("zeros", shape, 0, options)

/**
 * Ones of `shape`.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.ones([2, 2], { dtype: "int32" })
 */
export const ones = (shape: Shape, options?: DTypeOption): Tensor =>
  filled("ones", shape, 1, options)

const like = (op: string, x: unknown): Tensor => {
  if (x instanceof Tensor) return x
  throw new TensorError(op, `x must be a Tensor, got ${describeValue(x)}`)
}

/** Zeros with the shape and dtype of `x`. */
export const zerosLike = (x: Tensor, options?: DTypeOption): Tensor =>
  filled("zerosLike", like("zerosLike", x).shape, 0, {
    dtype: dtypeOption("zerosLike", options).dtype ?? x.dtype,
  })

/** Ones with the shape and dtype of `x`. */
export const onesLike = (x: Tensor, options?: DTypeOption): Tensor =>
  filled("onesLike", like("onesLike", x).shape, 1, {
    dtype: dtypeOption("onesLike", options).dtype ?? x.dtype,
  })

/**
 * Evenly spaced values in `[start, stop)` with `step`, as NumPy's `arange`; `arange(n)` is
 * `0, 1, …, n-1`. int32 when every argument is an integer, else float32.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.arange(4)          // [0, 1, 2, 3] int32
 * T.arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75] float32
 */
export const arange = (
  startOrStop: number,
  stop?: number,
  step = 1,
  given?: DTypeOption,
): Tensor => {
  const options = dtypeOption("arange", given)
  const [start, end] = stop === undefined ? [0, startOrStop] : [startOrStop, stop]
  for (const [name, v] of [
    ["start", start],
    ["stop", end],
    ["step", step],
  ] as const)
    check(Number.isFinite(v), "arange", () => `${name} must be a finite number, got ${v}`)
  check(step !== 0, "arange", () => "step must not be 0")
  const n = Math.max(0, Math.ceil((end - start) / step))
  const integral = [start, end, step].every(Number.isInteger)
  const dtype = checkDType("arange", options.dtype ?? (integral ? "int32" : defaultFloat))
  const out = allocate(dtype, n)
  for (let i = 0; i < n; i++) out[i] = start + i * step
  return new Tensor(dtype, [n], out)
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export const linspace = (start: number, stop: number, num: number, given?: DTypeOption): Tensor => {
  const options = dtypeOption("linspace", given)
  check(
    Number.isInteger(num) && num >= 0,
    "linspace",
    () => `num must be a non-negative integer, got ${num}`,
  )
  check(
    Number.isFinite(start) && Number.isFinite(stop),
    "linspace",
    () => `start and stop must be finite, got ${start} and ${stop}`,
  )
  const dtype = checkDType("linspace", options.dtype ?? defaultFloat)
  const out = allocate(dtype, num)
  const step = num > 1 ? (stop - start) / (num - 1) : 0
  for (let i = 0; i < num; i++) out[i] = i === num - 1 && num > 1 ? stop : start + i * step
  return new Tensor(dtype, [num], out)
}

/**
 * The `n × m` identity (ones on the diagonal).
 *
 * @example
 * import * as T from "@fnn/tensor"
 * T.eye(3)
 */
export const eye = (n: number, m: number = n, given?: DTypeOption): Tensor => {
  const options = dtypeOption("eye", given)
  checkShape("eye", "size", [n, m])
  const dtype = checkDType("eye", options.dtype ?? defaultFloat)
  const out = allocate(dtype, n * m)
  for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1
  return new Tensor(dtype, [n, m], out)
}

/** A 0-d tensor holding `value`. */
export const scalar = (value: number, dtype: DType = defaultFloat): Tensor => {
  const out = allocate(dtype, 1)
  out[0] = value
  return new Tensor(dtype, [], out)
}
