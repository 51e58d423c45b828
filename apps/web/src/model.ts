/**
 * A checkpoint as the page shows it: the network cut into stages (a `Dense` layer and the
 * parameter-free layers after it, such as `Sigmoid`), so that one forward pass gives every
 * layer's activations, not just the outputs. The layers are rebuilt with `@fnn/nn` from the
 * checkpoint's own description, so the page runs exactly the function `fnn predict` runs.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as t from "io-ts"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import * as nn from "@fnn/nn"
import type { DenseWeights } from "./weights.ts"

/** A `Dense` layer and the parameter-free layers that follow it. */
export interface Stage {
  readonly dense: DenseWeights
  /** The names of the layers after the `Dense` (`["Sigmoid"]`, or none for logits). */
  readonly after: ReadonlyArray<string>
  readonly run: (x: Tensor) => Tensor
}

/** A network the page can draw: 784 inputs, any hidden layers, 10 outputs. */
export interface Model {
  readonly stages: ReadonlyArray<Stage>
  /** The parameter-free layers before the first `Dense` (e.g. `Flatten`), as one function. */
  readonly prelude: (x: Tensor) => Tensor
  /** The number of neurons of each stage: the hidden layers, then the 10 outputs. */
  readonly sizes: ReadonlyArray<number>
  /** How to read the outputs: softmax of logits, or as they are (already in [0, 1]). */
  readonly outputs: "softmax" | "raw"
  readonly parameters: number
  readonly meta: Readonly<Record<string, string>>
  /** The checkpoint this model came from, for `nn.saveCheckpoint` or `fnn`. */
  readonly checkpoint: nn.Checkpoint
}

/** Why bytes are not a model the page can show. */
export type ModelError =
  | { readonly _tag: "BadCheckpoint"; readonly error: nn.CheckpointError }
  | { readonly _tag: "Unsupported"; readonly reason: string }

/** The number of input pixels the page draws (28 × 28). */
export const inputSize = 784
/** The number of outputs the page draws: one per digit. */
export const outputSize = 10

const unsupported = (reason: string): E.Either<ModelError, never> =>
  E.left({ _tag: "Unsupported", reason })

const toFloat32 = (t: Tensor): Float32Array =>
  t.data instanceof Float32Array ? t.data : Float32Array.from(t.data)

const isTensor = (p: nn.Params | undefined): p is Tensor => p instanceof T.Tensor

/**
 * Cuts a loaded checkpoint into stages. Networks that are not a flat `serial` of layers, or
 * that do not map 784 pixels to 10 digits, are `Unsupported`.
 */
export const fromCheckpoint = (checkpoint: nn.Checkpoint): E.Either<ModelError, Model> => {
  const { arch, params } = checkpoint
  const descriptions = arch.layer === "Serial" ? arch.layers : [arch]
  const layerParams = (arch.layer === "Serial" ? params : [params]) as ReadonlyArray<nn.Params>
  const prelude: Array<(x: Tensor) => Tensor> = []
  const stages: Array<{ dense: DenseWeights; after: string[]; fs: Array<(x: Tensor) => Tensor> }> =
    []
  for (let i = 0; i < descriptions.length; i++) {
    const d = descriptions[i]!
    if (d.layer === "Serial") return unsupported("it nests serial networks")
    const built = nn.fromDescription(d)
    if (E.isLeft(built)) return unsupported(nn.renderDescriptionError(built.left))
    const layer = built.right
    const p = layerParams[i] ?? {}
    const f = (x: Tensor): Tensor => layer.apply(p, x)
    if (d.layer === "Dense") {
      const { w, b } = p as { readonly w?: nn.Params; readonly b?: nn.Params }
      if (!isTensor(w) || !isTensor(b) || w.rank !== 2)
        return unsupported("a Dense layer lacks w or b")
      const dense = { w: toFloat32(w), b: toFloat32(b), inputs: w.shape[0]!, units: w.shape[1]! }
      stages.push({ dense, after: [], fs: [f] })
    } else {
      const last = stages[stages.length - 1]
      if (last === undefined) prelude.push(f)
      else {
        last.after.push(d.layer)
        last.fs.push(f)
      }
    }
  }
  const first = stages[0]
  const final = stages[stages.length - 1]
  if (first === undefined || final === undefined) return unsupported("it has no Dense layer")
  if (first.dense.inputs !== inputSize)
    return unsupported(`it takes ${first.dense.inputs} inputs, not ${inputSize} pixels`)
  if (final.dense.units !== outputSize)
    return unsupported(`it has ${final.dense.units} outputs, not ${outputSize} digits`)
  const compose =
    (fs: ReadonlyArray<(x: Tensor) => Tensor>) =>
    (x: Tensor): Tensor =>
      fs.reduce((y, f) => f(y), x)
  const lastLayer = final.after[final.after.length - 1]
  return E.right({
    stages: stages.map((s) => ({ dense: s.dense, after: s.after, run: compose(s.fs) })),
    prelude: compose(prelude),
    sizes: stages.map((s) => s.dense.units),
    outputs: lastLayer === undefined || lastLayer === "LogSoftmax" ? "softmax" : "raw",
    parameters: nn.paramCount(params),
    meta: checkpoint.meta,
    checkpoint,
  })
}

/**
 * Reads a safetensors checkpoint (as written by `fnn train`) into a `Model`. Never throws.
 *
 * @example
 * const model = loadModel(new Uint8Array(await (await fetch("model.safetensors")).arrayBuffer()))
 */
export const loadModel = (bytes: Uint8Array): E.Either<ModelError, Model> => {
  const checkpoint = nn.loadCheckpoint(bytes)
  return E.isLeft(checkpoint)
    ? E.left({ _tag: "BadCheckpoint", error: checkpoint.left })
    : fromCheckpoint(checkpoint.right)
}

/** One sentence about a `ModelError`. */
export const renderModelError = (e: ModelError): string =>
  e._tag === "BadCheckpoint"
    ? nn.renderCheckpointError(e.error)
    : `the page cannot draw this network: ${e.reason}`

/** Every layer's activations for one picture. */
export interface Thought {
  /** The 784 input pixels in [0, 1]. */
  readonly input: Float32Array
  /** The activations of each hidden layer. */
  readonly hidden: ReadonlyArray<Float32Array>
  /** The ten outputs as shown: probabilities for a network that gives logits. */
  readonly outputs: Float32Array
  /** The digit with the largest output. */
  readonly prediction: number
}

/** The index of the largest value (the first one on ties). */
export const argmax = (xs: ArrayLike<number>): number => {
  let best = 0
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i
  return best
}

/**
 * Runs the network on 784 pixels in [0, 1] and keeps every layer's activations.
 *
 * @example
 * const { hidden, outputs, prediction } = think(model, pixels)
 */
export const think = (model: Model, pixels: Float32Array): Thought => {
  let x = model.prelude(new T.Tensor("float32", [1, inputSize], pixels))
  const layers: Float32Array[] = []
  for (const stage of model.stages) {
    x = stage.run(x)
    layers.push(toFloat32(x))
  }
  const last = layers.pop()!
  const outputs =
    model.outputs === "softmax" ? toFloat32(T.softmax(x, { axis: -1 })) : Float32Array.from(last)
  return { input: pixels, hidden: layers, outputs, prediction: argmax(outputs) }
}

/** The architecture in `fnn`'s notation with its activations, e.g. `784-16-16-10 · Sigmoid`. */
export const summary = (model: Model): string => {
  const widths = [inputSize, ...model.sizes].join("-")
  const activations = [...new Set(model.stages.slice(0, -1).flatMap((s) => s.after))]
  return activations.length === 0 ? widths : `${widths} · ${activations.join(", ")}`
}

// `fnn train` keeps one record per epoch; the last one is the model's.
const History = t.readonlyArray(t.type({ testAccuracy: t.number }))
const testImagesOfFnn = 10_000

const json = (text: string | undefined): unknown => {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/**
 * The test accuracy a checkpoint says its network reached, and on how many test images: from
 * `train.history` (written by `fnn train`, on MNIST's 10,000 test images) or from the entries
 * "train in the browser" writes. `undefined` when it says nothing readable.
 *
 * @example
 * reportedAccuracy(model.meta) // { accuracy: 0.9612, images: 10000 }
 */
export const reportedAccuracy = (
  meta: Readonly<Record<string, string>>,
): { readonly accuracy: number; readonly images: number } | undefined => {
  const get = (k: string): string | undefined => (Object.hasOwn(meta, k) ? meta[k] : undefined)
  const history = History.decode(json(get("train.history")))
  if (E.isRight(history) && history.right.length > 0)
    return {
      accuracy: history.right[history.right.length - 1]!.testAccuracy,
      images: testImagesOfFnn,
    }
  const accuracy = Number(get("web.testAccuracy"))
  const images = Number(get("web.testImages"))
  return Number.isFinite(accuracy) && Number.isInteger(images) && images > 0
    ? { accuracy, images }
    : undefined
}
