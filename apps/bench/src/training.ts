/**
 * The MNIST training workloads and one training loop per engine, written so that every engine
 * starts from the same weights (made by fnn, copied into TensorFlow.js variables) and sees the
 * same batches in the same order (cut by `@fnn/mnist`'s `batches` from fnn's PRNG).
 *
 * A step on any engine is: cut the next batch from the shuffled training set (the same code for
 * every engine), compute the softmax cross-entropy of the network's logits, its gradient with
 * respect to the weights, and the plain SGD update `p ← p − lr·g`; the batch's loss is read back
 * as a number.
 * @module
 */
import type { Batch, Batches, Dataset } from "@fnn/mnist"
import { batches } from "@fnn/mnist"
import * as nn from "@fnn/nn"
import { parallelTrainStep } from "@fnn/nn/node"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import { tf, useBackend } from "./tfjs.ts"
import type { TfBackend } from "./tfjs.ts"

// -------------------------------------------------------------------------------------------
// workloads
// -------------------------------------------------------------------------------------------

/** Epoch times in seconds quoted by the issue for this machine (medians, 2 cores). */
export interface ReferenceTimes {
  readonly pytorch: number
  readonly tfjsWasm: number
  readonly tfjsCpu: number
}

/** A network, its optimizer settings and how one epoch is cut into batches. */
export interface Workload {
  readonly name: "small" | "large"
  /** e.g. `784-16-16-10 sigmoid, SGD lr 0.1, batch 32`. */
  readonly label: string
  readonly hidden: readonly number[]
  readonly activation: "sigmoid" | "relu"
  readonly batchSize: number
  readonly lr: number
  /** Untimed steps each engine takes before its first timed epoch (JIT tiers, caches). */
  readonly warmupSteps: number
  /** The most epochs TensorFlow.js's cpu backend is timed for (it is slow); none if absent. */
  readonly cpuEpochs?: number
  readonly reference: ReferenceTimes
}

/** 3Blue1Brown's network: 784-16-16-10 with sigmoid hidden layers, batches of 32. */
export const small: Workload = {
  name: "small",
  label: "784-16-16-10 sigmoid, SGD lr 0.1, batch 32",
  hidden: [16, 16],
  activation: "sigmoid",
  batchSize: 32,
  lr: 0.1,
  warmupSteps: 300,
  reference: { pytorch: 0.41, tfjsWasm: 1.57, tfjsCpu: 5.16 },
}

/** A wider ReLU network, 784-128-64-10, batches of 128. */
export const large: Workload = {
  name: "large",
  label: "784-128-64-10 ReLU, SGD lr 0.1, batch 128",
  hidden: [128, 64],
  activation: "relu",
  batchSize: 128,
  lr: 0.1,
  warmupSteps: 100,
  cpuEpochs: 1,
  reference: { pytorch: 0.45, tfjsWasm: 7.64, tfjsCpu: 39.6 },
}

const inputs = 784
const classes = 10
const seed = 0

/**
 * The workload's network as an fnn layer: `Dense, activation` per hidden layer, then `Dense(10)`
 * giving logits.
 * @example
 * const net = network(small) // serial(Dense(16), Sigmoid, Dense(16), Sigmoid, Dense(10))
 */
export const network = (w: Workload): nn.Layer => {
  const act = w.activation === "sigmoid" ? nn.Sigmoid : nn.Relu
  return nn.serial(...w.hidden.flatMap((units) => [nn.Dense(units), act]), nn.Dense(classes))
}

const [initKey, shuffleKey] = T.random.split(T.random.key(seed), 2)

/** fnn's initial parameters (Glorot-uniform weights, zero biases), the same on every run. */
export const initialParams = (w: Workload): nn.Params => network(w).init(initKey!, [-1, inputs])[1]

/** The batches of epoch `epoch`: a permutation from fnn's PRNG, the same for every engine. */
export const epochBatches = (w: Workload, train: Dataset, epoch: number): Batches =>
  batches(train, { batchSize: w.batchSize, key: T.random.foldIn(shuffleKey!, epoch) })

/** The `Dense` layers' `{ w, b }` in order, out of `serial`'s parameter tuple. */
const denseParams = (params: nn.Params): nn.DenseParams[] => {
  if (!Array.isArray(params)) throw new Error("expected serial's parameter tuple")
  return (params as readonly nn.Params[]).filter(
    (p): p is nn.DenseParams => !Array.isArray(p) && !T.isTensor(p) && "w" in p && "b" in p,
  )
}

// -------------------------------------------------------------------------------------------
// trainers
// -------------------------------------------------------------------------------------------

/** One engine's training loop. */
export interface Trainer {
  readonly engine: string
  /** Untimed: makes this engine's backend the active one. */
  readonly enter: () => Promise<void>
  /** Untimed: back to the initial weights and a fresh optimizer. */
  readonly reset: () => void
  /** One SGD step on `batch`; returns the batch's loss before the step. */
  readonly step: (batch: Batch) => number
  /** The fraction of `test` classified correctly by the current weights. */
  readonly accuracy: (test: Dataset) => number
  /** Frees what the engine holds outside the JavaScript heap (stops worker threads). */
  readonly release: () => void | Promise<void>
}

/**
 * An fnn trainer around `step` (called as `nn.trainStep`'s step is), starting from `params` with
 * a fresh `optimizer` state.
 */
const fnnStepTrainer = <S extends nn.OptState>(
  w: Workload,
  params: nn.Params,
  engine: string,
  optimizer: nn.GradientTransformation<S>,
  step: (state: nn.TrainState<nn.Params, S>, batch: Batch) => nn.StepResult<nn.Params, S>,
  release: () => void | Promise<void>,
): Trainer => {
  const net = network(w)
  let state = nn.trainState(params, optimizer)
  return {
    engine,
    enter: () => Promise.resolve(),
    reset: () => {
      state = nn.trainState(params, optimizer)
    },
    step: (batch) => {
      const result = step(state, batch)
      state = result.state
      return result.loss
    },
    accuracy: (test) =>
      nn.evaluate(net, state.params, { x: test.images, y: test.labels }, { batchSize: 1000 })
        .accuracy,
    release,
  }
}

/**
 * fnn: `nn.trainStep` with `nn.sgd` and `nn.softmaxCrossEntropy`, as a user would write it;
 * `jit` compiles the loss and its gradient (`trainStep`'s `jit` option).
 */
export const fnnTrainer = (
  w: Workload,
  params: nn.Params,
  engine = "fnn",
  jit = false,
): Trainer => {
  const optimizer = nn.sgd(w.lr)
  const step = nn.trainStep({ net: network(w), loss: nn.softmaxCrossEntropy, optimizer, jit })
  return fnnStepTrainer(w, params, engine, optimizer, step, () => undefined)
}

/**
 * fnn on `threads` threads by data parallelism: `parallelTrainStep` from `@fnn/nn/node`, which
 * cuts each batch into one shard per thread and averages the shards' gradients. For speed the
 * calling thread's kernels should be single-threaded (the workers use the other cores).
 * @example
 * const trainer = await fnnParallelTrainer(large, params, 2) // engine "fnn 2 threads"
 */
export const fnnParallelTrainer = async (
  w: Workload,
  params: nn.Params,
  threads: number,
  engine = `fnn ${threads} threads`,
): Promise<Trainer> => {
  const optimizer = nn.sgd(w.lr)
  const step = await parallelTrainStep({
    net: network(w),
    loss: nn.softmaxCrossEntropy,
    optimizer,
    threads,
  })
  return fnnStepTrainer(w, params, engine, optimizer, step, () => step.close())
}

const upload = (t: Tensor): tf.Tensor => tf.tensor(t.data, [...t.shape], "float32")

/**
 * TensorFlow.js on one backend: a custom loop over `tf.variable`s holding fnn's initial
 * weights, `tf.train.sgd(lr).minimize` of `tf.losses.softmaxCrossEntropy` (mean over the batch).
 * Each layer is `tf.add(tf.matMul(h, w), b)` then the activation: with gradients on, that beat
 * `tf.fused.matMul` with a bias by 1.3–1.6× per step on both backends here.
 */
export const tfjsTrainer = async (
  backend: TfBackend,
  w: Workload,
  params: nn.Params,
): Promise<Trainer> => {
  await useBackend(backend)
  const layers = denseParams(params)
  const initial = layers.map(({ w, b }) => ({ w: upload(w), b: upload(b) }))
  const vars = initial.map(({ w, b }) => ({ w: tf.variable(w.clone()), b: tf.variable(b.clone()) }))
  const varList = vars.flatMap(({ w, b }) => [w, b])
  const activation = w.activation === "sigmoid" ? tf.sigmoid : tf.relu
  let optimizer = tf.train.sgd(w.lr)
  const forward = (x: tf.Tensor): tf.Tensor =>
    vars.reduce((h, { w, b }, i) => {
      const z = tf.add(tf.matMul(h, w), b)
      return i === vars.length - 1 ? z : activation(z)
    }, x)
  return {
    engine: `tfjs-${backend}`,
    enter: () => useBackend(backend),
    reset: () => {
      vars.forEach((v, i) => {
        v.w.assign(initial[i]!.w)
        v.b.assign(initial[i]!.b)
      })
      optimizer.dispose()
      optimizer = tf.train.sgd(w.lr)
    },
    step: (batch) =>
      tf.tidy(() => {
        const x = tf.tensor2d(batch.x.data as Float32Array, [batch.x.shape[0]!, inputs])
        const labels = tf.tensor1d(batch.y.data as Int32Array, "int32")
        // int32 one-hot, then a cast: the wasm backend's oneHot with dtype float32 writes the
        // integer bit patterns (1 reads as 1.4e-45) in 4.22.0
        const y = tf.cast(tf.oneHot(labels, classes), "float32")
        const cost = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, forward(x)),
          true,
          varList,
        )
        return cost!.dataSync()[0]!
      }),
    accuracy: (test) => {
      const n = test.labels.shape[0]!
      const images = test.images.data as Float32Array
      const labels = test.labels.data
      let correct = 0
      for (let start = 0; start < n; start += 1000) {
        const end = Math.min(n, start + 1000)
        const predicted = tf.tidy(() =>
          tf
            .argMax(
              forward(
                tf.tensor2d(images.subarray(start * inputs, end * inputs), [end - start, inputs]),
              ),
              -1,
            )
            .dataSync(),
        )
        for (let i = 0; i < end - start; i++) if (predicted[i] === labels[start + i]) correct++
      }
      return correct / n
    },
    release: () => {
      optimizer.dispose()
      for (const t of [...initial.flatMap(({ w, b }) => [w, b]), ...varList]) t.dispose()
    },
  }
}

// -------------------------------------------------------------------------------------------
// loops
// -------------------------------------------------------------------------------------------

/** What running some steps took. */
export interface StepsRun {
  readonly ms: number
  readonly steps: number
  /** The mean of the batches' losses. */
  readonly meanLoss: number
}

/**
 * Runs the first `steps` batches of `epoch` (all of them by default) through `trainer` and times
 * them: cutting each batch, the step, and reading its loss back.
 * @example
 * const { ms, meanLoss } = runSteps(trainer, epochBatches(small, train, 0))
 */
export const runSteps = (trainer: Trainer, epoch: Batches, steps = epoch.length): StepsRun => {
  const n = Math.min(steps, epoch.length)
  let loss = 0
  const t0 = performance.now()
  for (let i = 0; i < n; i++) loss += trainer.step(epoch.at(i))
  return { ms: performance.now() - t0, steps: n, meanLoss: loss / n }
}
