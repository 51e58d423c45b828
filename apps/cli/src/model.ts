/**
 * The training recipe of `fnn train` as a value, the network and optimizer it describes, and how
 * recipes, progress and history travel inside a checkpoint's metadata (checked with io-ts when
 * read back).
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import * as t from "io-ts"
import * as nn from "@fnn/nn"
import type { Tensor } from "@fnn/tensor"
import * as T from "@fnn/tensor"
import { Tensor as TensorClass, safetensors } from "@fnn/tensor"
import { archProblem, maxWidths, spatialToken } from "./flags.ts"

// -------------------------------------------------------------------------------------------
// recipe
// -------------------------------------------------------------------------------------------

/** The activations `--activation` accepts. */
export const activations = ["sigmoid", "relu", "tanh"] as const
/** The losses `--loss` accepts. */
export const losses = ["cross-entropy", "mse"] as const
/** The optimizers `--optimizer` accepts. */
export const optimizers = ["sgd", "momentum", "adam"] as const
/** The schedules `--schedule` accepts. */
export const schedules = ["constant", "cosine", "one-cycle"] as const

const literals = <const A extends readonly [string, string, ...string[]]>(xs: A) =>
  t.union(
    xs.map((x) => t.literal(x)) as unknown as [
      t.LiteralC<A[number]>,
      t.LiteralC<A[number]>,
      ...t.LiteralC<A[number]>[],
    ],
  )

const refined = (name: string, ok: (n: number) => boolean): t.Type<number, number, unknown> =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === "number" && ok(u),
    (u, c) => (typeof u === "number" && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  )

/**
 * An array of at most `maxLength` elements of `codec`, decoded up to its first bad element: a
 * hostile file's million bad elements cost one error, not a million.
 */
const boundedArray = <A>(
  codec: t.Type<A, A, unknown>,
  maxLength: number,
): t.Type<ReadonlyArray<A>, ReadonlyArray<A>, unknown> =>
  new t.Type<ReadonlyArray<A>, ReadonlyArray<A>, unknown>(
    `array of at most ${maxLength} ${codec.name}`,
    (u): u is ReadonlyArray<A> => Array.isArray(u) && u.length <= maxLength && u.every(codec.is),
    (u, c) => {
      if (!Array.isArray(u) || u.length > maxLength) return t.failure(u, c)
      const items = u as ReadonlyArray<unknown>
      for (let i = 0; i < items.length; i++) {
        const r = codec.validate(items[i], t.appendContext(c, String(i), codec, items[i]))
        if (E.isLeft(r)) return r
      }
      return t.success(items as ReadonlyArray<A>)
    },
    t.identity,
  )

const finite = refined("finite number", Number.isFinite)
const positive = refined("positive number", (n) => Number.isFinite(n) && n > 0)
const nonNegative = refined("number ≥ 0", (n) => Number.isFinite(n) && n >= 0)
const count = refined("non-negative integer", (n) => Number.isSafeInteger(n) && n >= 0)
const positiveCount = refined("positive integer", (n) => Number.isSafeInteger(n) && n > 0)

/** The most epochs a recipe has (as `--epochs` takes). */
export const maxEpochs = 100_000

const archEntry = t.union([positiveCount, t.string])

/** Layers that `--arch` would accept: dense widths from 784 to 10, convolution and pooling tokens. */
const arch = new t.Type<ReadonlyArray<number | string>, ReadonlyArray<number | string>, unknown>(
  "layers from 784 to 10",
  (u): u is ReadonlyArray<number | string> =>
    Array.isArray(u) &&
    u.length <= maxWidths &&
    u.every(archEntry.is) &&
    archProblem(u) === undefined,
  (u, c) => {
    const r = boundedArray(archEntry, maxWidths).validate(u, c)
    return E.isLeft(r) || archProblem(r.right) === undefined ? r : t.failure(u, c)
  },
  t.identity,
)

/** Everything that decides a training run's result; two equal recipes give equal model files. */
export const Recipe = t.readonly(
  t.intersection([
    t.type({
      /** Dense widths from 784 to 10, with convolution and pooling tokens among them. */
      arch,
      activation: literals(activations),
      loss: literals(losses),
      optimizer: literals(optimizers),
      lr: positive,
      schedule: literals(schedules),
      weightDecay: nonNegative,
      epochs: refined(
        `integer from 1 to ${maxEpochs}`,
        (n) => Number.isSafeInteger(n) && n >= 1 && n <= maxEpochs,
      ),
      batchSize: positiveCount,
      seed: count,
      limit: t.union([positiveCount, t.null]),
    }),
    // DP-SGD: each example's gradient clipped to `clip`, noise σ = `noise` (absent: plain SGD)
    t.partial({ dp: t.readonly(t.type({ clip: positive, noise: nonNegative })) }),
  ]),
)
/** A training recipe (see `Recipe`). */
export type Recipe = t.TypeOf<typeof Recipe>

/** Where a run is: the next epoch and batch to do, the global step and the running loss sum. */
export const Progress = t.readonly(
  t.type({
    epoch: count,
    batch: count,
    step: count,
    /** Sum and count of the batch losses of the epoch under way. */
    lossSum: finite,
    lossCount: count,
    /** The number of training examples, to refuse resuming on other data. */
    examples: count,
  }),
)
/** Where a run is (see `Progress`). */
export type Progress = t.TypeOf<typeof Progress>

/** What one finished epoch measured. */
export const EpochRecord = t.readonly(t.type({ epoch: count, loss: finite, testAccuracy: finite }))
/** What one finished epoch measured. */
export type EpochRecord = t.TypeOf<typeof EpochRecord>

/** The history of a run: one record per finished epoch. */
export const History = boundedArray(EpochRecord, maxEpochs)

/** Metadata keys the CLI stores in a checkpoint. */
export const metaKeys = {
  recipe: "train.recipe",
  progress: "train.progress",
  history: "train.history",
} as const

// -------------------------------------------------------------------------------------------
// network and optimizer
// -------------------------------------------------------------------------------------------

const activationLayer = (a: Recipe["activation"]): nn.Layer => {
  switch (a) {
    case "sigmoid":
      return nn.Sigmoid
    case "relu":
      return nn.Relu
    case "tanh":
      return nn.Tanh
  }
}

/**
 * The network of a recipe: `Dense` layers of the widths after the first (Glorot-uniform weights,
 * zero biases) with the activation between them. With cross-entropy the last layer gives logits;
 * with mse a `Sigmoid` follows it, as in 3Blue1Brown's network, so outputs are in (0, 1) like the
 * one-hot targets.
 *
 * @example
 * buildNet({ ...recipe, arch: [784, 16, 16, 10], activation: "sigmoid", loss: "cross-entropy" })
 * // serial(Dense(16), Sigmoid, Dense(16), Sigmoid, Dense(10))
 */
export const buildNet = (recipe: Pick<Recipe, "arch" | "activation" | "loss">): nn.Layer => {
  const layers: nn.AnyLayer[] = []
  const rest = recipe.arch.slice(1)
  const spatial = rest.some((u) => typeof u === "string")
  if (spatial) layers.push(nn.Reshape([-1, 28, 28, 1]))
  let flat = !spatial
  rest.forEach((u, i) => {
    const last = i === rest.length - 1
    if (typeof u === "string") {
      const m = spatialToken.exec(u)!
      if (m[2] !== undefined) {
        const padding = m[4] === "v" ? "VALID" : "SAME"
        layers.push(
          nn.Conv(Number(m[2]), Number(m[3]), {
            padding,
            init: nn.glorotUniform,
            biasInit: nn.zeros,
          }),
        )
        layers.push(activationLayer(recipe.activation))
      } else layers.push((m[5] === "p" ? nn.MaxPool : nn.AvgPool)(Number(m[6])))
      return
    }
    if (!flat) {
      layers.push(nn.Flatten)
      flat = true
    }
    layers.push(nn.Dense(u, { init: nn.glorotUniform, biasInit: nn.zeros }))
    if (!last) layers.push(activationLayer(recipe.activation))
  })
  if (recipe.loss === "mse") layers.push(nn.Sigmoid)
  return nn.serial(...layers)
}

/** The loss function of a recipe. */
export const lossOf = (loss: Recipe["loss"]): nn.Loss =>
  loss === "mse" ? nn.mse : nn.softmaxCrossEntropy

/** The number of optimizer steps of one epoch of `examples` examples. */
export const stepsPerEpoch = (examples: number, batchSize: number): number =>
  Math.ceil(examples / batchSize)

/** The learning rate schedule of a recipe over `totalSteps` steps. */
export const scheduleOf = (recipe: Recipe, totalSteps: number): nn.Schedule => {
  switch (recipe.schedule) {
    case "constant":
      return nn.constant(recipe.lr)
    case "cosine":
      return nn.cosine(recipe.lr, Math.max(1, totalSteps))
    case "one-cycle":
      return nn.oneCycle(Math.max(1, totalSteps), recipe.lr)
  }
}

/**
 * The optimizer of a recipe. Weight decay is PyTorch's coupled L2 for sgd and momentum
 * (`g + wd·p` before the step) and decoupled (AdamW) for adam. With DP-SGD, the private
 * aggregate of the per-example gradients comes first; its noise comes from
 * `foldIn(key(seed), 2)`.
 */
export const optimizerOf = (recipe: Recipe, examples: number): nn.GradientTransformation => {
  const lr = scheduleOf(recipe, recipe.epochs * stepsPerEpoch(examples, recipe.batchSize))
  const wd = recipe.weightDecay
  const decayed = (o: nn.GradientTransformation): nn.GradientTransformation =>
    wd > 0 ? nn.chain(nn.weightDecay(wd), o) : o
  const base = (): nn.GradientTransformation => {
    switch (recipe.optimizer) {
      case "sgd":
        return decayed(nn.sgd(lr))
      case "momentum":
        return decayed(nn.momentum(lr, { beta: 0.9 }))
      case "adam":
        return wd > 0 ? nn.adamw(lr, { weightDecay: wd }) : nn.adam(lr)
    }
  }
  const dp = recipe.dp
  if (dp === undefined) return base()
  const key = T.random.foldIn(T.random.key(recipe.seed), dpNoiseStream)
  return nn.chain(nn.differentiallyPrivateAggregate({ ...dp, key }), base())
}

/** The stream of `key(seed)` DP-SGD's noise comes from (0: initial weights, 1: shuffling). */
export const dpNoiseStream = 2

const isList = (x: nn.OptState): x is ReadonlyArray<nn.OptState> => Array.isArray(x)

/** Whether two optimizer states have the same structure, tensor shapes and dtypes. */
export const sameStructure = (a: nn.OptState, b: nn.OptState): boolean => {
  if (a instanceof TensorClass || b instanceof TensorClass)
    return (
      a instanceof TensorClass &&
      b instanceof TensorClass &&
      a.dtype === b.dtype &&
      a.shape.length === b.shape.length &&
      a.shape.every((d, i) => d === b.shape[i])
    )
  if (typeof a === "number" || typeof b === "number") return typeof a === typeof b
  if (a === null || b === null) return a === b
  if (isList(a) || isList(b))
    return (
      isList(a) && isList(b) && a.length === b.length && a.every((x, i) => sameStructure(x, b[i]!))
    )
  const ra = a as Readonly<Record<string, nn.OptState>>
  const rb = b as Readonly<Record<string, nn.OptState>>
  const ka = Object.keys(ra).sort()
  const kb = Object.keys(rb).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameStructure(ra[k]!, rb[k]!))
}

// -------------------------------------------------------------------------------------------
// outputs
// -------------------------------------------------------------------------------------------

/** How to read a model's ten outputs. */
export type OutputKind = "softmax" | "raw"

/**
 * Softmax probabilities for a model trained with cross-entropy (its outputs are logits); the
 * outputs themselves otherwise (a sigmoid layer for mse). Without a recipe, a model ending in a
 * `Dense` layer is taken to give logits.
 */
export const outputKindOf = (arch: nn.LayerDescription, recipe: Recipe | undefined): OutputKind => {
  if (recipe !== undefined) return recipe.loss === "cross-entropy" ? "softmax" : "raw"
  const last = (d: nn.LayerDescription): nn.LayerDescription =>
    d.layer === "Serial" && d.layers.length > 0 ? last(d.layers[d.layers.length - 1]!) : d
  return last(arch).layer === "Dense" ? "softmax" : "raw"
}

/** The `Dense` weight matrices of a loaded model, in order (`[inputs, units]` each). */
export const denseWeights = (params: nn.Params): Tensor[] => {
  const out: Tensor[] = []
  const go = (p: nn.Params): void => {
    if (p instanceof TensorClass) return
    if (Array.isArray(p)) {
      for (const q of p as ReadonlyArray<nn.Params>) go(q)
      return
    }
    const r = p as Readonly<Record<string, nn.Params>>
    const w = r["w"]
    if (w instanceof TensorClass && r["b"] instanceof TensorClass && w.rank === 2) out.push(w)
    else for (const k of Object.keys(r)) go(r[k]!)
  }
  go(params)
  return out
}

// -------------------------------------------------------------------------------------------
// metadata
// -------------------------------------------------------------------------------------------

/** A metadata entry decoded from JSON with a codec; `undefined` when absent. */
export const readMeta = <A>(
  meta: Readonly<Record<string, string>>,
  key: string,
  codec: t.Decoder<unknown, A>,
): E.Either<string, A | undefined> => {
  if (!Object.hasOwn(meta, key)) return E.right(undefined)
  const json = safetensors.parseJson(meta[key]!)
  if (E.isLeft(json))
    return E.left(
      json.left._tag === "NotJson"
        ? `its metadata entry ${JSON.stringify(key)} is not JSON`
        : `its metadata entry ${JSON.stringify(key)} is too large to parse: ${safetensors.renderJsonError(json.left)}`,
    )
  return pipe(
    codec.decode(json.right),
    E.mapLeft((errors) => {
      const first = errors[0]
      const path = first?.context
        .map((c) => c.key)
        .filter((k) => k !== "")
        .join(".")
      return `its metadata entry ${JSON.stringify(key)} is malformed${path === undefined || path === "" ? "" : ` at ${path}`}`
    }),
  )
}
