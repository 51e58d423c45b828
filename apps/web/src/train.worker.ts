/**
 * The training worker: fetches the MNIST slice, runs `trainInBrowser` and posts every event to
 * the page, checkpoints transferred rather than copied. The page stops it by terminating it.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { dataset, renderMnistError } from "@fnn/mnist"
import { installFastKernels } from "@fnn/tensor/fast"
import type { Dataset } from "@fnn/mnist"
import { fetchIdx, renderFetchIdxError } from "./fetch-idx.ts"
import type { TrainReport, TrainRequest } from "./protocol.ts"
import { trainInBrowser } from "./training.ts"

// a worker may compile WebAssembly synchronously; falls back to JavaScript kernels if it cannot
installFastKernels()

const scope = self as unknown as DedicatedWorkerGlobalScope

const post = (report: TrainReport): void => {
  if (report.type === "evaluation") scope.postMessage(report, [report.checkpoint.buffer])
  else scope.postMessage(report)
}

const load = async (images: string, labels: string): Promise<E.Either<string, Dataset>> => {
  const [x, y] = await Promise.all([fetchIdx(images), fetchIdx(labels)])
  if (E.isLeft(x)) return E.left(renderFetchIdxError(x.left))
  if (E.isLeft(y)) return E.left(renderFetchIdxError(y.left))
  const d = dataset(x.right, y.right)
  return E.isLeft(d) ? E.left(renderMnistError(d.left)) : E.right(d.right)
}

const run = async (request: TrainRequest): Promise<void> => {
  const { urls } = request
  const [train, test] = await Promise.all([
    load(urls.trainImages, urls.trainLabels),
    load(urls.testImages, urls.testLabels),
  ])
  if (E.isLeft(train)) return post({ type: "failed", message: train.left })
  if (E.isLeft(test)) return post({ type: "failed", message: test.left })
  post({ type: "loaded", train: train.right.labels.size, test: test.right.labels.size })
  const data = { train: train.right, test: test.right }
  for (const event of trainInBrowser(data, { epochs: request.epochs, seed: request.seed }))
    post(event)
  post({ type: "done" })
}

scope.onmessage = (e: MessageEvent<TrainRequest>) => {
  if (e.data.type === "train")
    run(e.data).catch((reason: unknown) =>
      post({ type: "failed", message: reason instanceof Error ? reason.message : String(reason) }),
    )
}
