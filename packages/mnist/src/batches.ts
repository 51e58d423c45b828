/**
 * One epoch of shuffled mini-batches. The order comes from a PRNG key, so the same key gives the
 * same batches on every machine; split the key per epoch for a new order.
 * @module
 */
import { Tensor, TensorError, random } from "@fnn/tensor"
import type { Key } from "@fnn/tensor"
import type { Dataset } from "./dataset.ts"
import { count } from "./dataset.ts"
import { checkOptions } from "@fnn/tensor/internal"

/** A mini-batch: `x` float32 `[b, rows·cols]`, `y` int32 `[b]` digits. */
export interface Batch {
  readonly x: Tensor
  readonly y: Tensor
}

/** How to cut an epoch into batches. */
export interface BatchOptions {
  /** Examples per batch (a positive integer). */
  readonly batchSize: number
  /** Decides the order of the examples. */
  readonly key: Key
  /** Leaves out the last batch if it would be smaller than `batchSize`. */
  readonly dropRemainder?: boolean
}

/**
 * The batches of one epoch, made on demand: iterate it (as often as you like, always the same
 * batches) or pick one with `at`. `length` is the number of batches.
 */
export interface Batches extends Iterable<Batch> {
  readonly length: number
  /** Batch `i`, for `0 <= i < length`. */
  at(i: number): Batch
}

/**
 * Shuffles `d` with `key` and cuts it into batches of `batchSize`; every example appears exactly
 * once per epoch. The last, smaller batch is kept unless `dropRemainder`.
 *
 * @example
 * import { batches } from "@fnn/mnist"
 * import * as T from "@fnn/tensor"
 * for (const { x, y } of batches(train, { batchSize: 32, key: T.random.key(0) })) {
 *   // x: float32 [32, 784], y: int32 [32]
 * }
 */
export const batches = (d: Dataset, options: BatchOptions): Batches => {
  checkOptions("batches", options, { batchSize: "number", key: "object", dropRemainder: "boolean" })
  const { batchSize } = options
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TensorError("batches", `batchSize must be a positive integer, got ${batchSize}`)
  const n = count(d)
  const p = d.rows * d.cols
  const order = random.permutation(options.key, n).data
  const length =
    options.dropRemainder === true ? Math.floor(n / batchSize) : Math.ceil(n / batchSize)
  const images = d.images.data
  const labels = d.labels.data

  const at = (i: number): Batch => {
    if (!Number.isInteger(i) || i < 0 || i >= length)
      throw new TensorError("batches", `batch ${i} is outside [0, ${length})`)
    const start = i * batchSize
    const b = Math.min(batchSize, n - start)
    const x = new Float32Array(b * p)
    const y = new Int32Array(b)
    for (let r = 0; r < b; r++) {
      const j = order[start + r]!
      x.set(images.subarray(j * p, j * p + p), r * p)
      y[r] = labels[j]!
    }
    return { x: new Tensor("float32", [b, p], x), y: new Tensor("int32", [b], y) }
  }

  return {
    length,
    at,
    *[Symbol.iterator]() {
      for (let i = 0; i < length; i++) yield at(i)
    },
  }
}
