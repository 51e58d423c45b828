/**
 * Training as a pure step function, and evaluation. `trainStep({ net, loss, optimizer })` is
 * `(state, batch, key?) → { state, loss }`: one `valueAndGrad` of the loss with respect to the
 * parameters, one optimizer update, one `applyUpdates`. Nothing is mutated, so a training run is
 * a fold of the step over the batches, and the same key and batches give the same trajectory.
 * @module
 */
import { valueAndGrad } from "@fnn/autodiff"
import { jit } from "@fnn/jit"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import type { Key } from "./initializers.ts"
import type { Layer, Params } from "./layers.ts"
import type { Loss } from "./losses.ts"
import type { GradientTransformation, OptState } from "./optimizers.ts"
import { applyUpdates } from "./optimizers.ts"
import { checkOptions } from "./checks.ts"

const trainSpec = {
  net: "object",
  loss: "function",
  optimizer: "object",
  jit: "boolean",
} as const

/** Inputs and targets of a batch (or of a whole dataset). */
export type Batch = { readonly x: Tensor; readonly y: Tensor }

/** Where training is: parameters, optimizer state and the number of steps taken. */
export type TrainState<P extends Params = Params, S extends OptState = OptState> = {
  readonly params: P
  readonly optState: S
  readonly step: number
}

/**
 * The state before the first step: `params`, `optimizer.init(params)`, step 0.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const state = nn.trainState(params, nn.adam(1e-3)) // { params, optState, step: 0 }
 */
export const trainState = <P extends Params, S extends OptState>(
  params: P,
  optimizer: GradientTransformation<S>,
): TrainState<P, S> => ({ params, optState: optimizer.init(params), step: 0 })

/** What `trainStep` needs: the network, the loss of its output, the optimizer. */
export interface TrainSpec<P extends Params, S extends OptState> {
  readonly net: Layer<P>
  readonly loss: Loss
  readonly optimizer: GradientTransformation<S>
  /**
   * Compile the loss and its gradient with `@fnn/jit` (default false): traced once per batch
   * shape, then run as one memory-planned program. Results are the same bit for bit. Steps given
   * a `key` run eagerly (a key is not yet a tensor, so each new key would trace again).
   */
  readonly jit?: boolean
}

/** The result of a training step: the next state and the loss of the batch before the step. */
export interface StepResult<P extends Params, S extends OptState> {
  readonly state: TrainState<P, S>
  readonly loss: number
}

/**
 * A pure training step: the loss of `net` on the batch, its gradient with respect to the
 * parameters (one `valueAndGrad` call), the optimizer's updates and the new parameters. `key`
 * feeds stochastic layers such as `Dropout` (training mode); without it they are the identity.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
 * const optimizer = nn.momentum(0.1)
 * const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
 * let state = nn.trainState(net.init(T.random.key(0), [-1, 784])[1], optimizer)
 * for (const batch of batches) ({ state } = step(state, batch))
 */
export const trainStep = <P extends Params, S extends OptState>(
  spec: TrainSpec<P, S>,
): ((state: TrainState<P, S>, batch: Batch, key?: Key) => StepResult<P, S>) => {
  const { net, loss, optimizer, jit: compile } = checkOptions("trainStep", spec, trainSpec)
  const compiled =
    compile === true
      ? jit((params: P, x: Tensor, y: Tensor) => lossAndGrad(net, loss, params, { x, y }))
      : undefined
  return (state, batch, key) => {
    const [value, grads] =
      compiled !== undefined && key === undefined
        ? compiled(state.params, batch.x, batch.y)
        : lossAndGrad(net, loss, state.params, batch, key)
    return { state: applyGradients(optimizer, state, grads), loss: T.item(value) }
  }
}

/**
 * The first half of `trainStep`: the loss of `net` on the batch (in training mode, `key` feeding
 * stochastic layers) and its gradient with respect to `params`, from one `valueAndGrad`.
 */
export const lossAndGrad = <P extends Params>(
  net: Layer<P>,
  loss: Loss,
  params: P,
  batch: Batch,
  key?: Key,
): readonly [Tensor, P] => {
  const applyOptions = key === undefined ? { train: true } : { key, train: true }
  const objective = (p: P): Tensor => loss(net.apply(p, batch.x, applyOptions), batch.y)
  return valueAndGrad(objective)(params)
}

/**
 * The second half of `trainStep`: the optimizer's updates for `grads`, applied to the state's
 * parameters, and the step count advanced by one.
 */
export const applyGradients = <P extends Params, S extends OptState>(
  optimizer: GradientTransformation<S>,
  state: TrainState<P, S>,
  grads: P,
): TrainState<P, S> => {
  const [updates, optState] = optimizer.update(grads, state.optState, state.params)
  return { params: applyUpdates(state.params, updates), optState, step: state.step + 1 }
}

const labelsOf = (op: string, y: Tensor): Tensor => {
  if (y.dtype === "int32") return y
  if (y.rank < 1) throw new T.TensorError(op, `float targets must have a class axis, got a scalar`)
  return T.argmax(y, { axis: -1 })
}

const showShape = (s: ReadonlyArray<number>): string => `[${s.join(", ")}]`

/**
 * The predicted class of each input: the index of the largest output (int32, the output's shape
 * without its last axis).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.predict(net, params, x) // int32 [batch]
 */
export const predict = <P extends Params>(net: Layer<P>, params: P, x: Tensor): Tensor =>
  T.argmax(net.apply(params, x), { axis: -1 })

/**
 * The fraction of rows whose largest logit is at the label (int32 labels, or one-hot / float
 * rows whose largest entry is the label). Throws for an empty batch.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.accuracy(T.tensor([[0.1, 0.9], [0.8, 0.2]]), T.tensor([1, 1], { dtype: "int32" })) // 0.5
 */
export const accuracy = (logits: Tensor, labels: Tensor): number => {
  const l = labelsOf("accuracy", labels)
  const predicted = T.argmax(logits, { axis: -1 })
  if (predicted.rank !== l.rank || !predicted.shape.every((d, i) => d === l.shape[i]))
    throw new T.TensorError(
      "accuracy",
      `labels of shape ${showShape(l.shape)} do not match logits of shape ${showShape(logits.shape)}`,
    )
  if (l.size === 0) throw new T.TensorError("accuracy", "no examples to score")
  return T.item(T.sum(T.equal(predicted, l))) / l.size
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /** Examples per forward pass (default 1000); the result does not depend on it. */
  readonly batchSize?: number
  /** A loss to average over the examples as well. */
  readonly loss?: Loss
}

/** What `evaluate` measured. */
export interface Evaluation {
  /** The mean loss per example, when a loss was given. */
  readonly loss?: number
  /** The fraction of examples classified correctly. */
  readonly accuracy: number
}

/**
 * Accuracy (and the mean loss, when `loss` is given) of `net` over a whole dataset `{ x, y }`,
 * in batches of `batchSize` along the first axis, in evaluation mode.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const { loss, accuracy } = nn.evaluate(net, params, test, { batchSize: 1000, loss: nn.softmaxCrossEntropy })
 */
export const evaluate = <P extends Params>(
  net: Layer<P>,
  params: P,
  data: Batch,
  given?: EvaluateOptions,
): Evaluation => {
  const options = checkOptions("evaluate", given, { batchSize: "number", loss: "function" })
  const batchSize = options.batchSize ?? 1000
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new T.TensorError("evaluate", `batchSize must be a positive integer, got ${batchSize}`)
  const { x, y } = data
  if (x.rank < 1 || y.rank < 1 || x.shape[0] !== y.shape[0])
    throw new T.TensorError(
      "evaluate",
      `x ${showShape(x.shape)} and y ${showShape(y.shape)} must have the same number of examples on their first axis`,
    )
  const n = x.shape[0]!
  if (n === 0) throw new T.TensorError("evaluate", "no examples to evaluate")
  let correct = 0
  let lossSum = 0
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize)
    const xb = n <= batchSize ? x : T.slice(x, [start], [end])
    const yb = n <= batchSize ? y : T.slice(y, [start], [end])
    const out = net.apply(params, xb)
    const predicted = T.argmax(out, { axis: -1 })
    correct += T.item(T.sum(T.equal(predicted, labelsOf("evaluate", yb))))
    if (options.loss !== undefined) lossSum += T.item(options.loss(out, yb)) * (end - start)
  }
  return options.loss === undefined
    ? { accuracy: correct / n }
    : { loss: lossSum / n, accuracy: correct / n }
}

/**
 * Counts of (true label, predicted label) pairs: entry `[i, j]` is the number of examples of
 * class `i` predicted as `j` (int32 `[classes, classes]`; rows are true labels, as in
 * scikit-learn). Labels must be int32 in `[0, classes)`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const m = nn.confusionMatrix(nn.predict(net, params, test.x), test.y, 10)
 */
export const confusionMatrix = (predicted: Tensor, labels: Tensor, classes: number): Tensor => {
  const op = "confusionMatrix"
  if (!Number.isSafeInteger(classes) || classes < 1 || classes > 65536)
    throw new T.TensorError(op, `classes must be an integer in [1, 65536], got ${classes}`)
  if (predicted.dtype !== "int32" || labels.dtype !== "int32")
    throw new T.TensorError(
      op,
      `predictions and labels must be int32, got ${predicted.dtype} and ${labels.dtype}`,
    )
  if (predicted.size !== labels.size)
    throw new T.TensorError(
      op,
      `predictions ${showShape(predicted.shape)} and labels ${showShape(labels.shape)} differ in size`,
    )
  const p = predicted.data
  const l = labels.data
  const counts = new Int32Array(classes * classes)
  for (let i = 0; i < l.length; i++) {
    const a = l[i]!
    const b = p[i]!
    if (a < 0 || a >= classes || b < 0 || b >= classes)
      throw new T.TensorError(
        op,
        `at position ${i}: label ${a} or prediction ${b} is outside [0, ${classes})`,
      )
    counts[a * classes + b]! += 1
  }
  return new T.Tensor("int32", [classes, classes], counts)
}
