/**
 * The messages between the page and the training worker.
 * @module
 */
import type { TrainEvent } from "./training.ts"

/** Page → worker: train a fresh network on the MNIST slice at these addresses. */
export interface TrainRequest {
  readonly type: "train"
  readonly urls: {
    readonly trainImages: string
    readonly trainLabels: string
    readonly testImages: string
    readonly testLabels: string
  }
  readonly epochs: number
  readonly seed: number
}

/** Worker → page: the data is in, then training events, then the end or a failure. */
export type TrainReport =
  | { readonly type: "loaded"; readonly train: number; readonly test: number }
  | TrainEvent
  | { readonly type: "done" }
  | { readonly type: "failed"; readonly message: string }
