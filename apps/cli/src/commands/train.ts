/**
 * `fnn train`: trains a network on MNIST, writing a checkpoint after every epoch.
 *
 * Determinism: the recipe (every flag that changes the result, not paths) decides the model
 * file bit for bit. The initial parameters come from `foldIn(key(seed), 0)`; epoch `e` shuffles
 * with `foldIn(foldIn(key(seed), 1), e)`. So the PRNG state of a run is just its position
 * (epoch, batch), which the checkpoint stores beside the parameters and the optimizer state.
 *
 * DP-SGD (`--dp-clip C --dp-noise σ`): per-example gradients are clipped to norm C, summed,
 * noised with N(0, (σC)²) from `foldIn(key(seed), 2)` and averaged before the optimizer.
 *
 * Interruption: Ctrl-C, SIGTERM or SIGHUP lets the current step finish, then the state after that
 * step is written (atomically) with the position of the next batch, and `fnn` exits with 128 +
 * the signal's number (130, 143, 129). `--resume` rebuilds
 * that epoch's shuffled order from its key and continues mid-epoch with the next batch, carrying
 * the epoch's running loss sum, so the run ends with the same bytes as one never interrupted.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import * as T from "@fnn/tensor"
import * as nn from "@fnn/nn"
import { batches, count, limit } from "@fnn/mnist"
import type { Dataset } from "@fnn/mnist"
import type { CliError } from "../errors.ts"
import { checkWritable, writeAtomic } from "../files.ts"
import { archFlag, choiceFlag, intFlag, numberFlag, optional } from "../flags.ts"
import type { RunIO } from "../io.ts"
import { columns, interruptedExitCode, printJson, println, resolvePath } from "../io.ts"
import type { Mnist, Model } from "../data.ts"
import { loadData, loadModel } from "../data.ts"
import type { EpochRecord, Progress, Recipe } from "../model.ts"
import {
  History,
  Progress as ProgressCodec,
  activations,
  buildNet,
  lossOf,
  losses,
  metaKeys,
  optimizerOf,
  optimizers,
  readMeta,
  sameStructure,
  schedules,
  stepsPerEpoch,
} from "../model.ts"
import { finish } from "../outcome.ts"
import type { Reporter } from "../progress.ts"
import { barReporter, jsonReporter, plainReporter } from "../progress.ts"
import { duration, percent, thousands } from "../render.ts"

/** The flags of `fnn train`, as commander gives them. */
export interface TrainFlags {
  readonly arch?: string
  readonly activation?: string
  readonly loss?: string
  readonly optimizer?: string
  readonly lr?: string
  readonly schedule?: string
  readonly weightDecay?: string
  readonly epochs?: string
  readonly batchSize?: string
  readonly seed?: string
  readonly data?: string
  readonly limit?: string
  readonly out?: string
  readonly resume?: string
  readonly json?: boolean
  readonly dpClip?: string
  readonly dpNoise?: string
}

/** The default recipe: the 3Blue1Brown network trained to about 96% test accuracy. */
export const defaults = {
  arch: "784-16-16-10",
  activation: "sigmoid",
  loss: "cross-entropy",
  optimizer: "momentum",
  schedule: "one-cycle",
  weightDecay: 1e-4,
  epochs: 40,
  batchSize: 32,
  seed: 0,
  out: "model.safetensors",
} as const

/** The default (peak) learning rate of each optimizer. */
export const defaultLr: Readonly<Record<Recipe["optimizer"], number>> = {
  sgd: 1,
  momentum: 0.5,
  adam: 0.01,
}

const command = "train"

/** The flags that make up the recipe: with `--resume` the checkpoint's recipe is used instead. */
const recipeFlags = [
  ["arch", "--arch"],
  ["activation", "--activation"],
  ["loss", "--loss"],
  ["optimizer", "--optimizer"],
  ["lr", "--lr"],
  ["schedule", "--schedule"],
  ["weightDecay", "--weight-decay"],
  ["epochs", "--epochs"],
  ["batchSize", "--batch-size"],
  ["seed", "--seed"],
  ["limit", "--limit"],
  ["dpClip", "--dp-clip"],
  ["dpNoise", "--dp-noise"],
] as const

/** The recipe in a fixed key order, so equal recipes are written as equal bytes. */
const canonical = (r: Recipe): Recipe => ({
  arch: [...r.arch],
  activation: r.activation,
  loss: r.loss,
  optimizer: r.optimizer,
  lr: r.lr,
  schedule: r.schedule,
  weightDecay: r.weightDecay,
  epochs: r.epochs,
  batchSize: r.batchSize,
  seed: r.seed,
  limit: r.limit,
  ...(r.dp === undefined ? {} : { dp: { clip: r.dp.clip, noise: r.dp.noise } }),
})

/** DP-SGD's `--dp-clip C --dp-noise σ`: both or neither. */
const decodeDp = (flags: TrainFlags): E.Either<CliError, Recipe["dp"]> => {
  const { dpClip, dpNoise } = flags
  if (dpClip === undefined && dpNoise === undefined) return E.right(undefined)
  if (dpClip === undefined || dpNoise === undefined)
    return E.left({
      _tag: "FlagConflict",
      message: `DP-SGD needs both --dp-clip and --dp-noise; got only ${dpClip === undefined ? "--dp-noise" : "--dp-clip"}`,
      command,
    })
  return pipe(
    E.Do,
    E.apS("clip", numberFlag("--dp-clip", false, command)(dpClip)),
    E.apS("noise", numberFlag("--dp-noise", true, command)(dpNoise)),
  )
}

/**
 * The recipe the flags ask for, defaults filled in. Pure; every bad value is a `BadFlag`.
 *
 * @example
 * decodeRecipe({ epochs: "3", optimizer: "adam" }) // right({ …, epochs: 3, optimizer: "adam", lr: 0.01 })
 * decodeRecipe({ epochs: "-3" }) // left(BadFlag --epochs: a positive integer)
 */
export const decodeRecipe = (flags: TrainFlags): E.Either<CliError, Recipe> =>
  pipe(
    E.Do,
    E.apS("arch", archFlag(command)(flags.arch ?? defaults.arch)),
    E.apS(
      "activation",
      choiceFlag("--activation", activations, command)(flags.activation ?? defaults.activation),
    ),
    E.apS("loss", choiceFlag("--loss", losses, command)(flags.loss ?? defaults.loss)),
    E.apS(
      "optimizer",
      choiceFlag("--optimizer", optimizers, command)(flags.optimizer ?? defaults.optimizer),
    ),
    E.apS("lr", optional(flags.lr, numberFlag("--lr", false, command))),
    E.apS(
      "schedule",
      choiceFlag("--schedule", schedules, command)(flags.schedule ?? defaults.schedule),
    ),
    E.apS("weightDecay", optional(flags.weightDecay, numberFlag("--weight-decay", true, command))),
    E.apS(
      "epochs",
      intFlag("--epochs", 1, 100_000, command)(flags.epochs ?? String(defaults.epochs)),
    ),
    E.apS(
      "batchSize",
      intFlag("--batch-size", 1, 1_000_000, command)(flags.batchSize ?? String(defaults.batchSize)),
    ),
    E.apS("seed", intFlag("--seed", 0, undefined, command)(flags.seed ?? String(defaults.seed))),
    E.apS("limit", optional(flags.limit, intFlag("--limit", 1, undefined, command))),
    E.apS("dp", decodeDp(flags)),
    E.map(({ dp, ...r }) =>
      canonical({
        ...r,
        lr: r.lr ?? defaultLr[r.optimizer],
        weightDecay: r.weightDecay ?? defaults.weightDecay,
        limit: r.limit ?? null,
        ...(dp === undefined ? {} : { dp }),
      }),
    ),
  )

/** The training set a recipe uses: the first `limit` examples, or all. */
const trainingSet = (data: Mnist, recipe: Recipe): Dataset =>
  recipe.limit === null ? data.train : limit(data.train, recipe.limit)

/** Where a run starts: fresh, or from a checkpoint. */
interface Start {
  readonly recipe: Recipe
  readonly state: nn.TrainState
  readonly progress: Progress
  readonly history: ReadonlyArray<EpochRecord>
  /** The checkpoint resumed from. */
  readonly resumed?: string
}

const badCheckpoint = (path: string, reason: string): CliError => ({
  _tag: "BadModel",
  path,
  reason,
})

/** The state saved in a checkpoint written by `fnn train`, checked against its recipe. */
const resumeFrom = (path: string, model: Model): E.Either<CliError, Start> => {
  const { checkpoint, recipe } = model
  if (recipe === undefined)
    return E.left(
      badCheckpoint(path, "it has no training recipe, so it was not written by fnn train"),
    )
  return pipe(
    readMeta(checkpoint.meta, metaKeys.progress, ProgressCodec),
    E.bindTo("progress"),
    E.bind("history", () => readMeta(checkpoint.meta, metaKeys.history, History)),
    E.mapLeft((reason) => badCheckpoint(path, reason)),
    E.flatMap(({ progress, history }) => {
      const optState = checkpoint.optState
      if (progress === undefined || optState === undefined)
        return E.left(
          badCheckpoint(path, "it holds no training progress or optimizer state to resume"),
        )
      const built = canonical(recipe)
      const net = buildNet(built)
      if (JSON.stringify(nn.describe(net)) !== JSON.stringify(checkpoint.arch))
        return E.left(badCheckpoint(path, "its architecture does not match its training recipe"))
      const fresh = optimizerOf(built, Math.max(1, progress.examples)).init(checkpoint.params)
      if (!sameStructure(fresh, optState))
        return E.left(
          badCheckpoint(
            path,
            `its optimizer state does not fit the ${recipe.optimizer} optimizer of its recipe`,
          ),
        )
      const steps = stepsPerEpoch(progress.examples, recipe.batchSize)
      if (
        progress.epoch > recipe.epochs ||
        progress.batch >= Math.max(1, steps) ||
        (history ?? []).length !== progress.epoch
      )
        return E.left(badCheckpoint(path, "its training progress is inconsistent"))
      return E.right({
        recipe: built,
        state: { params: checkpoint.params, optState, step: progress.step },
        progress,
        history: history ?? [],
        resumed: path,
      })
    }),
  )
}

const freshStart = (recipe: Recipe, examples: number): Start => {
  const net = buildNet(recipe)
  const [, params] = net.init(T.random.foldIn(T.random.key(recipe.seed), 0), [-1, 784])
  const optimizer = optimizerOf(recipe, examples)
  return {
    recipe,
    state: nn.trainState(params, optimizer),
    progress: { epoch: 0, batch: 0, step: 0, lossSum: 0, lossCount: 0, examples },
    history: [],
  }
}

/** Lets Ctrl-C and the terminal through between steps. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

const describeRecipe = (r: Recipe, parameters: number): string =>
  `${r.arch.join("-")} ${r.activation} (${thousands(parameters)} parameters), ${r.loss} loss, ` +
  `${r.optimizer} lr ${r.lr} ${r.schedule}, weight decay ${r.weightDecay}, batch ${r.batchSize}, ` +
  `${r.epochs} epoch${r.epochs === 1 ? "" : "s"}, seed ${r.seed}` +
  (r.dp === undefined ? "" : `, DP-SGD clip ${r.dp.clip} noise ${r.dp.noise}`)

/** The loop itself, from `start` to the end or to Ctrl-C. Resolves to the exit code. */
const loop = async (
  io: RunIO,
  flags: TrainFlags,
  out: string,
  data: Mnist,
  start: Start,
): Promise<E.Either<CliError, number>> => {
  const { recipe } = start
  const train = trainingSet(data, recipe)
  const examples = count(train)
  const net = buildNet(recipe)
  const optimizer = optimizerOf(recipe, examples)
  const spec = { net, loss: lossOf(recipe.loss), optimizer }
  const step =
    recipe.dp === undefined ? nn.trainStep({ ...spec, jit: true }) : nn.privateTrainStep(spec)
  const arch = nn.describe(net)
  const shuffleRoot = T.random.foldIn(T.random.key(recipe.seed), 1)
  const parameters = nn.paramCount(start.state.params)
  const json = flags.json === true
  const reporter: Reporter = json
    ? jsonReporter(io.stdout)
    : io.isTTY
      ? barReporter(io.stdout, columns(io))
      : plainReporter(io.stdout)
  const outPath = resolvePath(io, out)
  const testSet = { x: data.test.images, y: data.test.labels }

  let state = start.state
  let progress = start.progress
  const history = [...start.history]

  const save = (): TE.TaskEither<CliError, void> =>
    writeAtomic(
      outPath,
      out,
      nn.saveCheckpoint({
        params: state.params,
        arch,
        optState: state.optState,
        meta: {
          [metaKeys.recipe]: JSON.stringify(recipe),
          [metaKeys.progress]: JSON.stringify(progress),
          [metaKeys.history]: JSON.stringify(history),
        },
      }),
    )

  if (json)
    printJson(io, {
      type: "start",
      recipe,
      parameters,
      examples,
      testExamples: count(data.test),
      out,
      resumed: start.resumed ?? null,
      epoch: progress.epoch,
      batch: progress.batch,
    })
  else {
    println(io, `training ${describeRecipe(recipe, parameters)}`)
    println(
      io,
      `on ${thousands(examples)} training images, testing on ${thousands(count(data.test))}`,
    )
    if (start.resumed !== undefined)
      println(
        io,
        `resuming ${start.resumed} at epoch ${progress.epoch + 1}, batch ${progress.batch} of ${stepsPerEpoch(examples, recipe.batchSize)}`,
      )
  }

  const began = performance.now()
  let unsaved = false
  let wrote = false
  for (let epoch = progress.epoch; epoch < recipe.epochs; epoch++) {
    const epochBatches = batches(train, {
      batchSize: recipe.batchSize,
      key: T.random.foldIn(shuffleRoot, epoch),
    })
    const epochStart = performance.now()
    let samples = 0
    reporter.epochStart(epoch + 1, recipe.epochs, epochBatches.length, progress.batch)
    for (let b = progress.batch; b < epochBatches.length; b++) {
      if (io.interrupt?.interrupted === true) {
        reporter.clear()
        return interrupted(io, json, out, unsaved, wrote, progress, epochBatches.length, save)
      }
      const batch = epochBatches.at(b)
      const r = step(state, batch)
      // a diverged state is never saved: the checkpoint keeps the last finished epoch
      if (!Number.isFinite(r.loss)) {
        reporter.clear()
        return E.left({
          _tag: "Diverged",
          epoch: epoch + 1,
          batch: b + 1,
          loss: r.loss,
          kept: wrote ? out : start.resumed,
        })
      }
      state = r.state
      progress = {
        ...progress,
        batch: b + 1,
        step: state.step,
        lossSum: progress.lossSum + r.loss,
        lossCount: progress.lossCount + 1,
      }
      unsaved = true
      samples += batch.y.size
      reporter.step(b + 1, samples, progress.lossSum / progress.lossCount)
      await breathe()
    }
    const trainingSeconds = (performance.now() - epochStart) / 1000
    const testAccuracy = nn.evaluate(net, state.params, testSet, { batchSize: 10_000 }).accuracy
    const loss = progress.lossCount === 0 ? 0 : progress.lossSum / progress.lossCount
    history.push({ epoch: epoch + 1, loss, testAccuracy })
    progress = { ...progress, epoch: epoch + 1, batch: 0, lossSum: 0, lossCount: 0 }
    const saved = await save()()
    if (E.isLeft(saved)) {
      reporter.clear()
      return saved
    }
    unsaved = false
    wrote = true
    const seconds = (performance.now() - epochStart) / 1000
    reporter.epochEnd({
      epoch: epoch + 1,
      epochs: recipe.epochs,
      loss,
      testAccuracy,
      seconds,
      samplesPerSecond: trainingSeconds > 0 ? samples / trainingSeconds : 0,
    })
  }

  const seconds = (performance.now() - began) / 1000
  const final = history[history.length - 1]
  if (json)
    printJson(io, {
      type: "summary",
      testAccuracy: final?.testAccuracy ?? null,
      epochs: recipe.epochs,
      seconds,
      parameters,
      model: out,
    })
  else {
    println(
      io,
      `done in ${duration(seconds)}: test accuracy ${final === undefined ? "—" : percent(final.testAccuracy)}`,
    )
    println(io, `model written to ${out}`)
  }
  return E.right(0)
}

const interrupted = async (
  io: RunIO,
  json: boolean,
  out: string,
  unsaved: boolean,
  wrote: boolean,
  progress: Progress,
  batchesPerEpoch: number,
  save: () => TE.TaskEither<CliError, void>,
): Promise<E.Either<CliError, number>> => {
  if (!unsaved && !wrote) {
    if (json) printJson(io, { type: "interrupted", saved: false })
    else println(io, "interrupted before the first step; nothing written")
    return E.right(interruptedExitCode(io.interrupt))
  }
  if (unsaved) {
    const saved = await save()()
    if (E.isLeft(saved)) return saved
  }
  if (json)
    printJson(io, {
      type: "interrupted",
      saved: true,
      model: out,
      epoch: progress.epoch,
      batch: progress.batch,
      step: progress.step,
    })
  else {
    const where =
      progress.batch === 0
        ? `after epoch ${progress.epoch}`
        : `in epoch ${progress.epoch + 1} after batch ${progress.batch} of ${batchesPerEpoch}`
    println(io, `interrupted ${where}; saved to ${out}`)
    println(io, `continue with: fnn train --resume ${out}`)
  }
  return E.right(interruptedExitCode(io.interrupt))
}

/** Refuses recipe flags next to `--resume`: the checkpoint's recipe is the one that continues. */
const checkResumeFlags = (flags: TrainFlags): E.Either<CliError, void> => {
  const given = recipeFlags.filter(([k]) => flags[k] !== undefined).map(([, f]) => f)
  return given.length === 0
    ? E.right(undefined)
    : E.left({
        _tag: "FlagConflict",
        message: `--resume continues with the recipe saved in the checkpoint; leave out ${given.join(", ")}`,
        command,
      })
}

/** Runs `fnn train`. */
export const trainCommand = (flags: TrainFlags, io: RunIO): Promise<number> => {
  const out = flags.out ?? flags.resume ?? defaults.out
  const fresh = flags.resume === undefined
  const begin: TE.TaskEither<CliError, { readonly data: Mnist; readonly start: Start }> = fresh
    ? pipe(
        TE.fromEither(decodeRecipe(flags)),
        TE.tap(() => checkWritable(resolvePath(io, out), out)),
        TE.bindTo("recipe"),
        TE.bind("data", () => loadData(io, flags.data)),
        TE.map(({ recipe, data }) => ({
          data,
          start: freshStart(recipe, count(trainingSet(data, recipe))),
        })),
      )
    : pipe(
        TE.fromEither(checkResumeFlags(flags)),
        TE.tap(() => checkWritable(resolvePath(io, out), out)),
        TE.flatMap(() => loadModel(io, flags.resume!)),
        TE.flatMapEither((model) => resumeFrom(flags.resume!, model)),
        TE.bindTo("start"),
        TE.bind("data", () => loadData(io, flags.data)),
        TE.flatMapEither(({ start, data }) => {
          const n = count(trainingSet(data, start.recipe))
          return n === start.progress.examples
            ? E.right({ start, data })
            : E.left(
                badCheckpoint(
                  flags.resume!,
                  `it was trained on ${thousands(start.progress.examples)} images but the data has ${thousands(n)}`,
                ),
              )
        }),
      )
  return finish(
    io,
    pipe(
      begin,
      TE.flatMap(({ data, start }) => {
        if (start.progress.epoch >= start.recipe.epochs) {
          if (flags.json === true)
            printJson(io, { type: "finished", model: flags.resume, epochs: start.recipe.epochs })
          else
            println(
              io,
              `${flags.resume} has finished all ${start.recipe.epochs} epochs; nothing to do`,
            )
          return TE.right(0)
        }
        return () => loop(io, flags, out, data, start)
      }),
    ),
  )
}
