/**
 * "Train in the browser" as a pure generator: a fresh 3Blue1Brown network trained with the
 * recipe of `fnn train` (momentum 0.9 with a one-cycle learning rate peaking at 0.5, weight decay
 * 1e-4, batches of 32, softmax cross-entropy) on whatever slice of MNIST it is given. It yields
 * progress after every few steps and an evaluation, with a checkpoint, a few times per epoch; the
 * worker only forwards what it yields. Deterministic: the seed decides every number.
 * @module
 */
import * as T from "@fnn/tensor"
import * as nn from "@fnn/nn"
import { batches, count } from "@fnn/mnist"
import type { Dataset } from "@fnn/mnist"

/** What to train on and for how long. */
export interface TrainOptions {
  readonly epochs: number
  readonly seed: number
  /** Examples per step (default 32, as `fnn train`). */
  readonly batchSize?: number
  /** Evaluations per epoch, besides the one before the first step (default 4). */
  readonly evaluationsPerEpoch?: number
  /** Steps between progress events (default 10). */
  readonly progressEvery?: number
}

/** What training reports, in order: progress now and then, evaluations with the network so far. */
export type TrainEvent =
  | {
      readonly type: "progress"
      readonly epoch: number
      readonly examples: number
      readonly totalExamples: number
      /** The mean loss of the steps since the last progress event. */
      readonly loss: number
    }
  | {
      readonly type: "evaluation"
      readonly examples: number
      readonly totalExamples: number
      /** The fraction of the test set classified correctly. */
      readonly accuracy: number
      /** The network so far as a safetensors checkpoint (`loadModel` reads it). */
      readonly checkpoint: Uint8Array
    }

/** The network trained: 784 → 16 → 16 → 10 with sigmoids, logits out (as `fnn train`). */
export const network = (): nn.Layer =>
  nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))

/** The peak learning rate, momentum and weight decay of `fnn train`'s default recipe. */
export const recipe = { lr: 0.5, beta: 0.9, weightDecay: 1e-4, batchSize: 32 } as const

/**
 * Trains a fresh network on `train`, measuring accuracy on `test`.
 *
 * @example
 * for (const event of trainInBrowser({ train, test }, { epochs: 3, seed: 0 })) postMessage(event)
 */
export function* trainInBrowser(
  data: { readonly train: Dataset; readonly test: Dataset },
  options: TrainOptions,
): Generator<TrainEvent, void, undefined> {
  const { epochs, seed } = options
  const batchSize = options.batchSize ?? recipe.batchSize
  const progressEvery = options.progressEvery ?? 10
  const n = count(data.train)
  const stepsPerEpoch = Math.ceil(n / batchSize)
  const totalSteps = Math.max(1, epochs * stepsPerEpoch)
  const totalExamples = epochs * n
  const evaluationStride = Math.max(
    1,
    Math.ceil(stepsPerEpoch / Math.max(1, options.evaluationsPerEpoch ?? 4)),
  )

  const net = network()
  const root = T.random.key(seed)
  const [, params] = net.init(T.random.foldIn(root, 0), [-1, 784])
  const optimizer = nn.chain(
    nn.weightDecay(recipe.weightDecay),
    nn.momentum(nn.oneCycle(totalSteps, recipe.lr), { beta: recipe.beta }),
  ) as nn.GradientTransformation
  const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer, jit: true })
  let state = nn.trainState(params, optimizer)
  const test = { x: data.test.images, y: data.test.labels }
  const arch = nn.describe(net)

  const evaluation = (examples: number): TrainEvent => {
    const { accuracy } = nn.evaluate(net, state.params, test, { batchSize: 500 })
    const checkpoint = nn.saveCheckpoint({
      params: state.params,
      arch,
      meta: {
        "web.trainedOn": `${n} training images, ${examples} examples seen`,
        "web.testAccuracy": String(accuracy),
        "web.testImages": String(count(data.test)),
      },
    })
    return { type: "evaluation", examples, totalExamples, accuracy, checkpoint }
  }

  yield evaluation(0)
  let examples = 0
  let lossSum = 0
  let lossSteps = 0
  for (let epoch = 0; epoch < epochs; epoch++) {
    const key = T.random.foldIn(T.random.foldIn(root, 1), epoch)
    const epochBatches = batches(data.train, { batchSize, key })
    for (let b = 0; b < epochBatches.length; b++) {
      const batch = epochBatches.at(b)
      const result = step(state, batch)
      state = result.state
      examples += batch.y.size
      lossSum += result.loss
      lossSteps += 1
      const last = b === epochBatches.length - 1
      if (lossSteps === progressEvery || last) {
        yield { type: "progress", epoch, examples, totalExamples, loss: lossSum / lossSteps }
        lossSum = 0
        lossSteps = 0
      }
      if ((b + 1) % evaluationStride === 0 || last) yield evaluation(examples)
    }
  }
}
