/**
 * Differentially private training: DP-SGD (Abadi et al., 2016). Each example's gradient is
 * clipped to an L2 norm of at most `clip`, the clipped gradients are summed, Gaussian noise of
 * standard deviation `noise · clip` is added to every coordinate, and the sum is divided by the
 * batch size. Per-example gradients come from one batched pass, `vmap(grad(exampleLoss))`.
 *
 * Only the mechanism is here (exact and tested); the privacy budget it buys (ε, δ) depends on
 * the sampling rate, the number of steps and `noise`, and needs an accountant.
 * @module
 */
import { vmap, valueAndGrad } from "@fnn/autodiff"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import { checkNumber, checkOptions } from "./checks.ts"
import type { Key } from "./initializers.ts"
import type { Layer, Params } from "./layers.ts"
import type { Loss } from "./losses.ts"
import type { CountState, GradientTransformation, OptState } from "./optimizers.ts"
import { transformation } from "./optimizers.ts"
import { leavesOf, mapParams, pathsOf } from "./pytree.ts"
import type { Batch, StepResult, TrainState } from "./train.ts"
import { applyGradients } from "./train.ts"

/**
 * The loss of one example `(x, y)` (no batch axis), as `loss` sees a batch of one.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const f = nn.exampleLoss(net, nn.softmaxCrossEntropy) // (params, x: [784], y: []) => loss
 */
export const exampleLoss =
  <P extends Params>(net: Layer<P>, loss: Loss) =>
  (params: P, x: Tensor, y: Tensor): Tensor =>
    loss(net.apply(params, T.expandDims(x, 0), { train: true }), T.expandDims(y, 0))

/**
 * Each example's loss and gradient, in one batched pass: `[losses, grads]` with `losses` of shape
 * `[batch]` and every leaf of `grads` shaped like its parameter with a leading batch axis.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const [losses, grads] = nn.perExampleGrads(net, nn.softmaxCrossEntropy, params, batch)
 * grads[0].w.shape // [batch, 784, 16]
 */
export const perExampleGrads = <P extends Params>(
  net: Layer<P>,
  loss: Loss,
  params: P,
  batch: Batch,
): readonly [Tensor, P] =>
  vmap(valueAndGrad(exampleLoss(net, loss)), { inAxes: [null, 0, 0] })(params, batch.x, batch.y)

/** The size of the batch axis shared by every leaf of per-example gradients. */
const batchSize = (op: string, grads: Params): number => {
  const leaves = leavesOf(grads)
  if (leaves.length === 0) throw new T.TensorError(op, "the gradients hold no tensors")
  const n = leaves[0]!.rank === 0 ? -1 : leaves[0]!.shape[0]!
  leaves.forEach((g, i) => {
    if (g.rank === 0 || g.shape[0] !== n)
      throw new T.TensorError(
        op,
        `per-example gradients need one leading batch axis of the same size on every leaf: leaf ${i} has shape [${g.shape.join(", ")}], leaf 0 [${leaves[0]!.shape.join(", ")}]`,
      )
  })
  return n
}

/**
 * Per-example gradients (leaves with a leading batch axis) with each example scaled by
 * `min(1, clip / ‖g_b‖)`, `‖g_b‖` the L2 norm of example b's gradient over every leaf: every
 * example's norm is then at most `clip`, and examples within it are unchanged.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const clipped = nn.clipPerExample(grads, 1)
 */
export const clipPerExample = <P extends Params>(grads: P, clip: number): P => {
  const factor = clipFactors("clipPerExample", grads, clip)
  return mapParams(grads, (g) => {
    const f = T.reshape(T.cast(factor, g.dtype), [g.shape[0]!, ...g.shape.slice(1).map(() => 1)])
    return T.mul(g, f)
  }) as P
}

/**
 * Each example's clipping factor `min(1, clip / ‖g_b‖)`, float64 `[batch]`. Reductions are
 * products with a vector of ones: one matrix product per leaf, the fastest reduction here.
 */
const clipFactors = (op: string, grads: Params, clip: number): Tensor => {
  checkNumber(op, "clip", clip, (c) => c > 0, "a finite number > 0")
  const n = batchSize(op, grads)
  const squares = leavesOf(grads).map((g) => {
    const rows = T.reshape(g, [n, -1])
    const s = T.matmul(T.square(rows), T.ones([rows.shape[1]!], { dtype: g.dtype }))
    return s.dtype === "float64" ? s : T.cast(s, "float64")
  })
  const norms = T.sqrt(squares.reduce((a, b) => T.add(a, b)))
  // ‖g_b‖ = 0 gives clip / 0 = ∞ and a factor of 1
  return T.minimum(T.div(clip, norms), 1)
}

/** Options of `differentiallyPrivateAggregate`. */
export interface PrivateAggregateOptions {
  /** The L2 norm each example's gradient is clipped to (C), > 0. */
  readonly clip: number
  /** The noise multiplier σ ≥ 0: the summed gradient gets noise of standard deviation σ·C. */
  readonly noise: number
  /** The key the noise comes from; step `count` uses `T.random.foldIn(key, count)`. */
  readonly key: Key
}

/**
 * DP-SGD's aggregation as a gradient transformation (optax's
 * `differentially_private_aggregate`): per-example gradients in (leaves with a leading batch
 * axis of size B), `(Σ_b clip(g_b) + N(0, (σC)²)) / B` out, shaped like the parameters. Chain an
 * optimizer after it; `privateTrainStep` feeds it. The noise of step n comes from
 * `foldIn(key, n)`, so the same key and gradients give the same bits.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const optimizer = nn.chain(
 *   nn.differentiallyPrivateAggregate({ clip: 1, noise: 1.1, key: T.random.key(0) }),
 *   nn.sgd(0.1),
 * )
 */
export const differentiallyPrivateAggregate = (
  options: PrivateAggregateOptions,
): GradientTransformation<CountState> => {
  const op = "differentiallyPrivateAggregate"
  const { clip, noise, key } = checkOptions(op, options, aggregateSpec)
  checkNumber(op, "clip", clip, (c) => c > 0, "a finite number > 0")
  checkNumber(op, "noise", noise, (s) => s >= 0, "a finite number ≥ 0")
  if (!T.random.isKey(key))
    throw new T.TensorError(op, "option key must be a key from T.random.key")
  return transformation(
    op,
    ["count"],
    () => ({ count: 0 }),
    (updates, state, params) => {
      const where = `${op}.update`
      const n = batchSize(where, updates)
      if (params !== undefined) checkPerExample(where, updates, params)
      const factor = clipFactors(where, updates, clip)
      const leafKeys = T.random.split(T.random.foldIn(key, state.count), leavesOf(updates).length)
      let k = 0
      const aggregated = mapParams(updates, (g) => {
        // Σ_b factor_b g_b: the clipped sum as one product [B] · [B, …]
        const rows = T.reshape(g, [n, -1])
        const summed = T.reshape(T.matmul(T.cast(factor, g.dtype), rows), g.shape.slice(1))
        const leafKey = leafKeys[k++]!
        const dtype = summed.dtype === "float64" ? "float64" : "float32"
        const noisy =
          noise === 0
            ? summed
            : T.add(summed, T.random.normal(leafKey, summed.shape, { dtype, std: noise * clip }))
        return T.div(noisy, n)
      })
      return [aggregated, { count: state.count + 1 }]
    },
    "own",
  )
}

const aggregateSpec = {
  clip: "number",
  noise: "number",
  key: (k: unknown) => (T.random.isKey(k) ? undefined : "a key from T.random.key"),
} as const

/** Throws unless every leaf of `grads` is its parameter's shape with a batch axis in front. */
const checkPerExample = (op: string, grads: Params, params: Params): void => {
  const gs = leavesOf(grads)
  const ps = leavesOf(params)
  const paths = pathsOf(params)
  if (gs.length !== ps.length || !T.tree.structureEquals(grads, params))
    throw new T.TensorError(op, "the per-example gradients must have the structure of the params")
  ps.forEach((p, i) => {
    const g = gs[i]!
    if (g.rank !== p.rank + 1 || !p.shape.every((d, j) => d === g.shape[j + 1]))
      throw new T.TensorError(
        op,
        `per-example grads at ${paths[i]} are [${g.shape.join(", ")}], but params there are [${p.shape.join(", ")}]: a batch axis in front of the parameter's shape is expected`,
      )
  })
}

/** What `privateTrainStep` needs: the network, the loss, an optimizer fed per-example gradients. */
export interface PrivateTrainSpec<P extends Params, S extends OptState> {
  readonly net: Layer<P>
  readonly loss: Loss
  /** Starts with `differentiallyPrivateAggregate`: it receives per-example gradients. */
  readonly optimizer: GradientTransformation<S>
}

const privateSpec = { net: "object", loss: "function", optimizer: "object" } as const

/**
 * A DP-SGD training step: per-example gradients from one batched pass, fed to `optimizer`
 * (which starts with `differentiallyPrivateAggregate`), applied to the parameters. The loss
 * reported is the batch's mean loss before the step. Pure, like `trainStep`; stochastic layers
 * (`Dropout`) are the identity here.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const optimizer = nn.chain(
 *   nn.differentiallyPrivateAggregate({ clip: 1, noise: 1.1, key: T.random.key(0) }),
 *   nn.sgd(0.1),
 * )
 * const step = nn.privateTrainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
 * let state = nn.trainState(params, optimizer)
 * for (const batch of batches) ({ state } = step(state, batch))
 */
export const privateTrainStep = <P extends Params, S extends OptState>(
  spec: PrivateTrainSpec<P, S>,
): ((state: TrainState<P, S>, batch: Batch) => StepResult<P, S>) => {
  const { net, loss, optimizer } = checkOptions("privateTrainStep", spec, privateSpec)
  return (state, batch) => {
    const [losses, grads] = perExampleGrads(net, loss, state.params, batch)
    return { state: applyGradients(optimizer, state, grads), loss: T.item(T.mean(losses)) }
  }
}
