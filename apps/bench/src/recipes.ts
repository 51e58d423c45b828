/**
 * `pnpm --filter @fnn/bench recipes -- NAME [--seed N] [--epochs N] [--validation N]`: trains one
 * of the networks whose MNIST accuracy the project states, exactly as written below, and prints
 * validation and test accuracy after every epoch. With `--validation N` (default 5000) the last
 * training images are held out (a fixed shuffle) so that recipes are compared without looking at
 * the test set; `--validation 0` trains on all 60,000.
 *
 * Recipes (batch 32, Glorot-uniform weights, zero biases, softmax cross-entropy on logits):
 * - `sigmoid`: 784-16-16-10 sigmoid, SGD + momentum 0.9, L2 weight decay 1e-4, one-cycle to 0.5
 *   (`fnn train`'s defaults).
 * - `relu`: the same network with ReLU, one-cycle to 0.1, inputs centred (the mean MNIST pixel,
 *   0.1307, subtracted): with 16 ReLUs and uncentred inputs some seeds lose units for good.
 * - `wide`: 784-256-256-10 ReLU, Adam, learning rate 1e-3 decaying along a cosine to 0.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "@fnn/nn"
import type { Dataset } from "@fnn/mnist"
import { batches, count, split } from "@fnn/mnist"
import { mnist } from "./mnist.ts"
import { useFnnKernels } from "./kernels.ts"

/** The mean pixel of MNIST's training images, in [0, 1]. */
const meanPixel = 0.1307

interface Recipe {
  readonly hidden: readonly number[]
  readonly activation: nn.Layer
  readonly epochs: number
  readonly center: boolean
  readonly optimizer: (totalSteps: number) => nn.GradientTransformation
}

const momentum = (maxLr: number) => (totalSteps: number) =>
  nn.chain(nn.weightDecay(1e-4), nn.momentum(nn.oneCycle(totalSteps, maxLr), { beta: 0.9 }))

const recipes: Readonly<Record<string, Recipe>> = {
  sigmoid: {
    hidden: [16, 16],
    activation: nn.Sigmoid,
    epochs: 40,
    center: false,
    optimizer: momentum(0.5),
  },
  relu: {
    hidden: [16, 16],
    activation: nn.Relu,
    epochs: 40,
    center: true,
    optimizer: momentum(0.1),
  },
  wide: {
    hidden: [256, 256],
    activation: nn.Relu,
    epochs: 20,
    center: false,
    optimizer: (totalSteps) => nn.adam(nn.cosine(1e-3, totalSteps)),
  },
}

const batchSize = 32

const usage = `usage: recipes ${Object.keys(recipes).join("|")} [--seed N] [--epochs N] [--validation N]`

const parse = (
  argv: readonly string[],
): E.Either<string, { name: string; seed: number; epochs?: number; validation: number }> => {
  const [name, ...rest] = argv.filter((a) => a !== "--")
  if (name === undefined || !Object.hasOwn(recipes, name)) return E.left(usage)
  let seed = 0
  let epochs: number | undefined
  let validation = 5000
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]
    const n = Number(rest[i + 1])
    if (!Number.isSafeInteger(n) || n < 0) return E.left(`${flag} needs a whole number\n${usage}`)
    if (flag === "--seed") seed = n
    else if (flag === "--epochs" && n > 0) epochs = n
    else if (flag === "--validation") validation = n
    else return E.left(`unknown or bad flag ${flag}\n${usage}`)
  }
  return E.right({ name, seed, validation, ...(epochs === undefined ? {} : { epochs }) })
}

const main = async (): Promise<number> => {
  const args = parse(process.argv.slice(2))
  if (E.isLeft(args)) {
    console.error(args.left)
    return 2
  }
  const { name, seed, validation } = args.right
  const recipe = recipes[name]!
  const epochs = args.right.epochs ?? recipe.epochs
  const kernels = await useFnnKernels("fast", undefined)
  const data = await mnist()
  const parts =
    validation > 0
      ? split(data.train, { validation, key: T.random.key(1234) })
      : { train: data.train, validation: undefined }
  const input = (x: Tensor): Tensor => (recipe.center ? T.sub(x, meanPixel) : x)
  const layers: nn.Layer[] = []
  for (const units of recipe.hidden) layers.push(nn.Dense(units), recipe.activation)
  const net = nn.serial(...layers, nn.Dense(10))
  const [, params] = net.init(T.random.key(seed), [-1, 784])
  const optimizer = recipe.optimizer(epochs * Math.ceil(count(parts.train) / batchSize))
  const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
  const accuracy = (d: Dataset, p: nn.Params): number =>
    nn.evaluate(net, p, { x: input(d.images), y: d.labels }, { batchSize: 10_000 }).accuracy
  const percent = (a: number): string => `${(a * 100).toFixed(2)}%`
  console.log(
    `${name} seed ${seed}, ${epochs} epochs on ${count(parts.train)} images ` +
      `(kernels: ${E.isRight(kernels) ? kernels.right : "js"})`,
  )
  let state = nn.trainState(params, optimizer)
  const shuffle = T.random.foldIn(T.random.key(seed), 1)
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const b of batches(parts.train, { batchSize, key: T.random.foldIn(shuffle, epoch) }))
      state = step(state, { x: input(b.x), y: b.y }).state
    const v =
      parts.validation === undefined
        ? ""
        : `validation ${percent(accuracy(parts.validation, state.params))}  `
    console.log(
      `epoch ${epoch + 1}/${epochs}  ${v}test ${percent(accuracy(data.test, state.params))}`,
    )
  }
  return 0
}

process.exitCode = await main()
