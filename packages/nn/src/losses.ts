/**
 * Losses: `(output, targets) → scalar tensor`, averaged over the batch (every axis but the last
 * for the class-based ones), built from tensor ops so they are differentiable.
 *
 * `targets` may be int32 class labels of shape `output.shape` without its last axis, or float
 * targets of `output`'s shape (one-hot rows or probabilities).
 * @module
 */
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"

/** A loss: network output and targets to a scalar tensor. */
export type Loss = (output: Tensor, targets: Tensor) => Tensor

const showShape = (s: ReadonlyArray<number>): string => `[${s.join(", ")}]`

/** Float targets of `output`'s shape: int32 labels become one-hot rows. */
const targetRows = (op: string, output: Tensor, targets: Tensor): Tensor => {
  if (output.rank < 1)
    throw new T.TensorError(op, `the output must have a class axis, got a scalar`)
  const classes = output.shape[output.rank - 1]!
  if (targets.dtype === "int32" && targets.rank === output.rank - 1) {
    if (!targets.shape.every((d, i) => d === output.shape[i]))
      throw new T.TensorError(
        op,
        `labels of shape ${showShape(targets.shape)} do not match outputs of shape ${showShape(output.shape)}`,
      )
    return T.oneHot(targets, classes, { dtype: output.dtype === "float64" ? "float64" : "float32" })
  }
  if (targets.rank !== output.rank || !targets.shape.every((d, i) => d === output.shape[i]))
    throw new T.TensorError(
      op,
      `targets of shape ${showShape(targets.shape)} (${targets.dtype}) fit neither outputs of shape ${showShape(output.shape)} nor their int32 labels ${showShape(output.shape.slice(0, -1))}`,
    )
  return targets.dtype === "int32" ? T.cast(targets, "float32") : targets
}

/**
 * 3Blue1Brown's cost: the sum over classes of squared differences between the outputs and the
 * targets (one-hot rows for int32 labels), averaged over the batch:
 * `mean_b Σ_c (output[b, c] − y[b, c])²`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const out = T.tensor([[0.5, 0.5], [1, 0]])
 * nn.mse(out, T.tensor([0, 0], { dtype: "int32" })) // ((0.25 + 0.25) + 0) / 2 = 0.25
 */
export const mse: Loss = (output, targets) => {
  const y = targetRows("mse", output, targets)
  return T.mean(T.sum(T.square(T.sub(output, y)), { axis: -1 }))
}

/**
 * Cross-entropy of `softmax(logits)` against the labels (int32 classes, or float probability
 * rows), averaged over the batch: `mean_b −Σ_c y[b, c]·logSoftmax(logits)[b, c]`. Takes logits,
 * not probabilities; computed through the stable `logSoftmax`, so it is finite for any finite
 * logits.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.softmaxCrossEntropy(T.tensor([[0, 0]]), T.tensor([1], { dtype: "int32" })) // log 2
 */
export const softmaxCrossEntropy: Loss = (logits, labels) => {
  const y = targetRows("softmaxCrossEntropy", logits, labels)
  // 0 − x rather than −x: a perfect prediction costs +0, not −0
  return T.sub(0, T.mean(T.sum(T.mul(y, T.logSoftmax(logits, { axis: -1 })), { axis: -1 })))
}

/**
 * `log(1 + eᶻ)` with the right derivative `σ(z)` everywhere, 0 included, and no overflow:
 * `max(z, 0) + log1p(e^(−|z|))`, where `−|z|` picks its branch so that its derivative at 0 is 1.
 */
const softplus = (z: Tensor): Tensor => {
  const positive = T.greater(z, 0)
  const negAbs = T.where(positive, T.neg(z), z)
  return T.add(T.where(positive, z, 0), T.log1p(T.exp(negAbs)))
}

/**
 * Binary cross-entropy of `σ(logits)` against targets in [0, 1] (float, or int32 zeros and ones)
 * of the same shape, averaged over every element: `mean(log(1 + eᶻ) − z·y)`, which equals
 * `−[y·log σ(z) + (1 − y)·log(1 − σ(z))]` and stays finite for any finite logits.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * nn.binaryCrossEntropy(T.tensor([0]), T.tensor([1])) // log 2
 */
export const binaryCrossEntropy: Loss = (logits, targets) => {
  if (targets.rank !== logits.rank || !targets.shape.every((d, i) => d === logits.shape[i]))
    throw new T.TensorError(
      "binaryCrossEntropy",
      `targets of shape ${showShape(targets.shape)} do not match logits of shape ${showShape(logits.shape)}`,
    )
  const y = targets.dtype === "int32" ? T.cast(targets, logits.dtype) : targets
  return T.mean(T.sub(softplus(logits), T.mul(logits, y)))
}
