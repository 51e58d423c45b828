/**
 * A labelled image dataset as two tensors, built from decoded IDX arrays, and the pure ways to cut
 * it: the first `n`, a validation split, any subset of rows.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { Tensor, TensorError, random } from "@fnn/tensor"
import type { Key } from "@fnn/tensor"
import type { IdxArray } from "./idx.ts"
import type { MnistError, WrongShape } from "./errors.ts"
import { checkOptions } from "@fnn/tensor/internal"
import type { OptionsSpec } from "@fnn/tensor/internal"

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

/**
 * Images flattened to rows of `rows × cols` pixels in [0, 1] (`images`: float32 `[n, rows·cols]`)
 * and their digits (`labels`: int32 `[n]`, each 0–9).
 */
export interface Dataset {
  readonly images: Tensor
  readonly labels: Tensor
  readonly rows: number
  readonly cols: number
}

/** The number of examples in `d`. */
export const count = (d: Dataset): number => d.labels.shape[0] ?? 0

// -------------------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------------------

/** Grey levels 0–255 as floats in [0, 1]: `x / 255`, rounded to float32. */
export const normalise = (pixels: Uint8Array): Float32Array => {
  const out = new Float32Array(pixels.length)
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255
  return out
}

/** Whether `x` holds unsigned bytes in `rank` dimensions, as MNIST images (3) and labels (1) do. */
const isUbyteOfRank = (
  x: IdxArray,
  rank: number,
): x is Extract<IdxArray, { readonly dtype: "ubyte" }> =>
  x.dtype === "ubyte" && x.shape.length === rank

/** The error for an images or labels array that fails `isUbyteOfRank`. */
const wrongShape = (role: WrongShape["role"], x: IdxArray, expected: string): WrongShape => ({
  _tag: "WrongShape",
  role,
  expected,
  dtype: x.dtype,
  shape: x.shape,
})

const checkLimit = (op: string, n: number): void => {
  if (!Number.isInteger(n) || n < 0)
    throw new TensorError(op, `limit must be a non-negative integer, got ${n}`)
}

/** What `dataset` checks beyond the format, and how much of it to keep. */
export interface DatasetOptions {
  /** Keep only the first `limit` examples. */
  readonly limit?: number
  /** The size every image must have, `[rows, cols]` (MNIST's is `[28, 28]`). */
  readonly imageSize?: readonly [rows: number, cols: number]
  /** The fewest examples the files may hold (before `limit`). */
  readonly minExamples?: number
}

const isSize = (u: unknown): boolean =>
  Array.isArray(u) && u.length === 2 && u.every((d) => Number.isInteger(d) && d >= 0)

/** What each of `DatasetOptions` accepts, for the shared options checker. */
export const datasetOptionsSpec: OptionsSpec = {
  limit: "number",
  imageSize: (u) => (isSize(u) ? undefined : "[rows, cols], two non-negative integers"),
  minExamples: "integer",
}

/**
 * Checks and converts decoded IDX files into a `Dataset`: `images` must be ubyte
 * `[n, rows, cols]`, `labels` ubyte `[n]` with the same `n`, every label 0–9; with `imageSize`
 * the images must have that size, with `minExamples` there must be that many. With `limit`,
 * only the first `limit` examples are checked and converted (the counts must still match).
 *
 * @example
 * import { dataset } from "@fnn/mnist"
 * const images = { dtype: "ubyte", shape: [1, 2, 2], data: Uint8Array.of(0, 255, 51, 0) } as const
 * const labels = { dtype: "ubyte", shape: [1], data: Uint8Array.of(7) } as const
 * dataset(images, labels) // right({ images: float32 [1, 4] [0, 1, 0.2, 0], labels: int32 [7], rows: 2, cols: 2 })
 */
export const dataset = (
  images: IdxArray,
  labels: IdxArray,
  given?: DatasetOptions,
): E.Either<MnistError, Dataset> => {
  const options = checkOptions("dataset", given, datasetOptionsSpec)
  const size = options.imageSize
  const imagesForm =
    size === undefined ? "ubyte [n, rows, cols]" : `ubyte [n, ${size[0]}, ${size[1]}]`
  if (!isUbyteOfRank(images, 3)) return E.left(wrongShape("images", images, imagesForm))
  if (!isUbyteOfRank(labels, 1)) return E.left(wrongShape("labels", labels, "ubyte [n]"))
  const [total, rows, cols] = images.shape as [number, number, number]
  if (size !== undefined && (rows !== size[0] || cols !== size[1]))
    return E.left(wrongShape("images", images, imagesForm))
  const totalLabels = labels.shape[0]!
  if (total !== totalLabels)
    return E.left({ _tag: "CountMismatch", images: total, labels: totalLabels })
  if (options.minExamples !== undefined && total < options.minExamples)
    return E.left({ _tag: "TooFewExamples", count: total, min: options.minExamples })
  if (options.limit !== undefined) checkLimit("dataset", options.limit)
  const n = Math.min(total, options.limit ?? total)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const v = labels.data[i]!
    if (v > 9) return E.left({ _tag: "LabelOutOfRange", index: i, value: v })
    y[i] = v
  }
  const pixels = rows * cols
  return E.right({
    images: new Tensor("float32", [n, pixels], normalise(images.data.subarray(0, n * pixels))),
    labels: new Tensor("int32", [n], y),
    rows,
    cols,
  })
}

// -------------------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------------------

/**
 * The first `n` examples (all of them if there are fewer). Shares storage with `d`, which is
 * safe because tensors never change.
 *
 * @example
 * import { limit } from "@fnn/mnist"
 * limit(train, 1000) // the first 1000 training examples, as for `fnn train --limit 1000`
 */
export const limit = (d: Dataset, n: number): Dataset => {
  checkLimit("limit", n)
  const m = Math.min(n, count(d))
  const p = d.rows * d.cols
  return {
    images: new Tensor("float32", [m, p], d.images.data.subarray(0, m * p)),
    labels: new Tensor("int32", [m], d.labels.data.subarray(0, m)),
    rows: d.rows,
    cols: d.cols,
  }
}

/** Another name for `limit`: the first `n` examples. */
export const take = limit

/**
 * The examples at `indices`, in that order (repeats allowed). Throws a `TensorError` for an
 * index outside `[0, count(d))`.
 */
export const subset = (d: Dataset, indices: ArrayLike<number>): Dataset => {
  const n = count(d)
  const p = d.rows * d.cols
  const m = indices.length
  const src = d.images.data
  const srcLabels = d.labels.data
  const x = new Float32Array(m * p)
  const y = new Int32Array(m)
  for (let i = 0; i < m; i++) {
    const j = indices[i]!
    if (!Number.isInteger(j) || j < 0 || j >= n)
      throw new TensorError("subset", `index ${j} at position ${i} is outside [0, ${n})`)
    x.set(src.subarray(j * p, j * p + p), i * p)
    y[i] = srcLabels[j]!
  }
  return {
    images: new Tensor("float32", [m, p], x),
    labels: new Tensor("int32", [m], y),
    rows: d.rows,
    cols: d.cols,
  }
}

/** How to hold out a validation set. */
export interface SplitOptions {
  /** A fraction of the examples if below 1 (`0.1`), otherwise a whole number of examples. */
  readonly validation: number
  /** Shuffles which examples are held out; without it, the last ones are. */
  readonly key?: Key
}

/**
 * Holds out a validation set. Both parts keep the original order of their examples and
 * together hold every example exactly once. A fraction is rounded to the nearest count.
 *
 * @example
 * import { split } from "@fnn/mnist"
 * import * as T from "@fnn/tensor"
 * const { train: fit, validation } = split(train, { validation: 5000, key: T.random.key(0) })
 */
export const split = (
  d: Dataset,
  options: SplitOptions,
): { readonly train: Dataset; readonly validation: Dataset } => {
  checkOptions("split", options, { validation: "number", key: "object" })
  const n = count(d)
  const v = options.validation
  const isFraction = v >= 0 && v < 1
  if (!isFraction && !(Number.isInteger(v) && v >= 1 && v <= n))
    throw new TensorError(
      "split",
      `validation must be a fraction in [0, 1) or a whole count in [1, ${n}], got ${v}`,
    )
  const m = isFraction ? Math.round(v * n) : v
  if (options.key === undefined)
    return {
      train: subset(d, range(0, n - m)),
      validation: subset(d, range(n - m, n)),
    }
  const order = random.permutation(options.key, n).data
  const held = new Uint8Array(n)
  for (let i = 0; i < m; i++) held[order[i]!] = 1
  const trainIdx: number[] = []
  const validIdx: number[] = []
  for (let i = 0; i < n; i++) (held[i] === 1 ? validIdx : trainIdx).push(i)
  return { train: subset(d, trainIdx), validation: subset(d, validIdx) }
}

const range = (from: number, to: number): Int32Array => {
  const out = new Int32Array(Math.max(0, to - from))
  for (let i = 0; i < out.length; i++) out[i] = from + i
  return out
}

/**
 * How many examples of each digit `d` holds: entry `k` counts the label `k`.
 *
 * @example
 * import { labelHistogram } from "@fnn/mnist"
 * labelHistogram(train) // [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
 */
export const labelHistogram = (d: Dataset): number[] => {
  const h = new Array<number>(10).fill(0)
  const y = d.labels.data
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (!(Number.isInteger(v) && v >= 0 && v <= 9))
      throw new TensorError("labelHistogram", `label ${v} at index ${i} is not a digit 0–9`)
    h[v]! += 1
  }
  return h
}
