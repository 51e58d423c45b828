/**
 * What the calling thread and the workers of `parallelTrainStep` share: the control words, the
 * messages that hand over shared buffers, how a batch is cut into shards, and the losses a worker
 * can rebuild by name.
 *
 * Protocol, per worker (a block of `controlWords` Int32 words in one shared array):
 * - the caller fills the job's words (`op`, `layout`, `offset`, `rows`, key), stores the job's
 *   sequence number in `claim` and then in `job` (and notifies `job`);
 * - whoever changes `claim` from the job's number (compare-and-swap) computes the shard: the
 *   worker (to `claimedByWorker`), or the caller once done with its own shard (to
 *   `claimedByCaller`), so that a worker slow to wake never holds a step up;
 * - a worker that claimed the job first reads layout messages from its port until it holds the
 *   job's `layout` version, then computes its shard's loss and gradients into its own shared
 *   buffers, sets `status` (1: it posted `{ error }` on its port), and stores the job's number
 *   in `done` (then notifies `done`), on which the caller waits.
 * A worker touches the shared inputs and parameters only between a claim and its `done`, and the
 * caller writes them only when no job is claimed and not done.
 * @module
 */
import * as T from "@fnn/tensor"
import type { DType, Shape, Tensor, TypedArray } from "@fnn/tensor"
import type { FastKernelThresholds } from "@fnn/tensor/fast"
import { sizeOf } from "@fnn/tensor/internal"
import type { LayerDescription } from "../description.ts"
import type { Loss } from "../losses.ts"
import { binaryCrossEntropy, mse, softmaxCrossEntropy } from "../losses.ts"

/** Int32 words per worker in the control array. */
export const controlWords = 16

/** Index of each control word within a worker's block. */
export const word = {
  job: 0,
  done: 1,
  status: 2,
  op: 3,
  layout: 4,
  /** First row of the shard in the shared input buffers. */
  offset: 5,
  rows: 6,
  hasKey: 7,
  key0: 8,
  key1: 9,
  claim: 10,
} as const

/** `claim` once the worker has taken its job. */
export const claimedByWorker = -1

/** `claim` once the caller has taken a worker's job. */
export const claimedByCaller = -2

/** What a job asks for. */
export const op = { step: 1, stop: 2 } as const

/**
 * Loads of a control word before sleeping on it: a few microseconds, short next to a step,
 * so that a thread on a busy machine gives its core back soon.
 */
export const spins = 2000

/** The losses workers can rebuild: `parallelTrainStep` sends the name. */
export const lossesByName = { mse, softmaxCrossEntropy, binaryCrossEntropy } as const

/** The name of a loss workers can rebuild. */
export type LossName = keyof typeof lossesByName

/** The name under which `loss` is known to workers, if it is one of them. */
export const lossName = (loss: Loss): LossName | undefined =>
  (Object.keys(lossesByName) as LossName[]).find((name) => lossesByName[name] === loss)

/** Which kernels a worker installs. */
export type WorkerKernels = "fast" | "reference"

/** What a worker starts with (`workerData`). */
export interface WorkerSetup {
  /** The control words of every worker (`controlWords` each). */
  readonly control: SharedArrayBuffer
  /** One float64 per worker: its shard's mean loss. */
  readonly losses: SharedArrayBuffer
  /** This worker's block in `control` and slot in `losses`. */
  readonly index: number
  readonly description: LayerDescription
  readonly loss: LossName
  readonly kernels: WorkerKernels
  /** With `kernels: "fast"`, the caller's thresholds (so that both compute the same bits). */
  readonly thresholds: FastKernelThresholds | undefined
  /** The worker's end of its channel: layout messages in, error messages out. */
  readonly port: unknown
}

/** A shared buffer of rows: `rowShape`-shaped rows of `dtype`, as many as fit. */
export interface SlotLayout {
  readonly dtype: DType
  readonly rowShape: Shape
  readonly buffer: SharedArrayBuffer
}

/** A parameter leaf in shared memory. */
export interface LeafLayout {
  readonly dtype: DType
  readonly shape: Shape
  readonly buffer: SharedArrayBuffer
}

/** The shared buffers a worker uses from the job with `layout === version` on. */
export interface LayoutMessage {
  readonly version: number
  /** The parameter tree with leaf `i` replaced by the number `i`. */
  readonly skeleton: unknown
  readonly params: ReadonlyArray<LeafLayout>
  /** This worker's gradient buffers, one per leaf, of the leaf's dtype. */
  readonly grads: ReadonlyArray<SharedArrayBuffer>
  readonly x: SlotLayout
  readonly y: SlotLayout
}

/** What a worker posts to its parent once (`parentPort`). */
export type StartMessage = { readonly ready: true } | { readonly failed: string }

/** What a worker posts on its port when its job failed (and sets `status` to 1). */
export interface ErrorMessage {
  readonly error: string
}

/**
 * Where each of `k` shards of `n` rows starts, and `n` last: shard `i` is rows
 * `[floor(i·n/k), floor((i+1)·n/k))`, so shards differ in size by at most one row.
 * @example
 * shardBounds(10, 3) // [0, 3, 6, 10]
 */
export const shardBounds = (n: number, k: number): number[] =>
  Array.from({ length: k + 1 }, (_, i) => Math.floor((i * n) / k))

/** Elements in one row of a tensor whose first axis is the batch. */
export const rowSize = (shape: Shape): number => sizeOf(shape.slice(1))

/** Rows `[start, end)` of `data`, rows of shape `rowShape`, as a tensor over the same memory. */
export const rowsView = (
  dtype: DType,
  rowShape: Shape,
  data: TypedArray,
  start: number,
  end: number,
): Tensor => {
  const r = sizeOf(rowShape)
  return new T.Tensor(dtype, [end - start, ...rowShape], data.subarray(start * r, end * r))
}

/** An error's message, or the thrown value as text. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** The typed array of `dtype` over all of `buffer`. */
export const viewOf = (dtype: DType, buffer: SharedArrayBuffer): TypedArray =>
  dtype === "float64"
    ? new Float64Array(buffer)
    : dtype === "float32"
      ? new Float32Array(buffer)
      : new Int32Array(buffer)
