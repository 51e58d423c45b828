/**
 * Loading what the commands work on — MNIST and model files — as `TaskEither`s whose errors are
 * `CliError`s.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import type { Dataset } from "@fnn/mnist"
import type { MnistSplit } from "@fnn/mnist/node"
import { loadMnistSplit } from "@fnn/mnist/node"
import * as nn from "@fnn/nn"
import type { CliError } from "./errors.ts"
import { readBytes } from "./files.ts"
import type { RunIO } from "./io.ts"
import { resolvePath } from "./io.ts"
import type { OutputKind, Recipe } from "./model.ts"
import { Recipe as RecipeCodec, metaKeys, outputKindOf, readMeta } from "./model.ts"
import { classes, inputs } from "./flags.ts"

/** The training and test sets. */
export interface Mnist {
  readonly train: Dataset
  readonly test: Dataset
}

// Datasets already loaded in this process, by directory ("" for the embedded copy) and split.
// Tensors never change, so sharing them between runs (in-process tests run many) is safe.
const loaded = new Map<string, Dataset>()

/**
 * One split of MNIST from `dir` (the standard files, raw or `.gz`), or the embedded copy, reading
 * only that split's files: at least one example, every image 28 × 28. A split that loaded once
 * is not read again by the same process.
 */
export const loadSplit = (
  io: RunIO,
  dir: string | undefined,
  split: MnistSplit,
): TE.TaskEither<CliError, Dataset> => {
  const resolved = dir === undefined ? undefined : resolvePath(io, dir)
  const key = `${split}:${resolved ?? ""}`
  const cached = loaded.get(key)
  if (cached !== undefined) return TE.right(cached)
  return pipe(
    loadMnistSplit(split, {
      imageSize: [28, 28],
      minExamples: 1,
      ...(resolved === undefined ? {} : { dir: resolved }),
    }),
    TE.mapLeft((error): CliError => ({ _tag: "DataError", error })),
    TE.tap((data) => {
      loaded.set(key, data)
      return TE.right(undefined)
    }),
  )
}

/** Both splits of MNIST (see `loadSplit`). */
export const loadData = (io: RunIO, dir: string | undefined): TE.TaskEither<CliError, Mnist> =>
  pipe(
    TE.Do,
    TE.apS("train", loadSplit(io, dir, "train")),
    TE.apS("test", loadSplit(io, dir, "test")),
  )

/** A model file, loaded and checked to map 784 pixels to 10 outputs. */
export interface Model {
  readonly checkpoint: nn.Checkpoint
  /** The training recipe, for models written by `fnn train`. */
  readonly recipe: Recipe | undefined
  readonly outputs: OutputKind
}

const showShape = (s: ReadonlyArray<number>): string => `[${s.join(", ")}]`

/** Checks that a checkpoint maps `[n, 784]` to `[n, 10]`. */
export const checkShapes = (c: nn.Checkpoint): E.Either<string, void> => {
  let out: ReadonlyArray<number>
  try {
    out = c.net.outputShape([-1, inputs])
  } catch {
    return E.left(
      `its network does not take ${inputs} pixels (it was built for inputs ${showShape(c.inputShape)})`,
    )
  }
  const last = c.inputShape[c.inputShape.length - 1]
  if (c.inputShape.length !== 2 || last !== inputs)
    return E.left(`its network takes inputs ${showShape(c.inputShape)}, not ${inputs} pixels`)
  if (out.length !== 2 || out[1] !== classes)
    return E.left(`its network gives outputs ${showShape(out)}, not ${classes} (one per digit)`)
  return E.right(undefined)
}

/** The largest model file read: 256 MiB, some 67 million float32 parameters. */
export const maxModelBytes = 256 * 2 ** 20

/** Reads a checkpoint file of any fnn network: safetensors whose tensors match its architecture. */
export const loadCheckpointFile = (
  io: RunIO,
  path: string,
): TE.TaskEither<CliError, nn.Checkpoint> =>
  pipe(
    readBytes(resolvePath(io, path), path, "model", maxModelBytes),
    TE.flatMapEither((bytes) =>
      pipe(
        nn.loadCheckpoint(bytes),
        E.mapLeft((e): CliError => ({
          _tag: "BadModel",
          path,
          reason: nn.renderCheckpointError(e),
        })),
      ),
    ),
  )

/**
 * Reads and checks a model file (a regular file of at most `maxModelBytes`): safetensors, an fnn architecture whose tensors match it, 784
 * inputs and 10 outputs, and (when present) a well-formed training recipe.
 */
export const loadModel = (io: RunIO, path: string): TE.TaskEither<CliError, Model> =>
  pipe(
    loadCheckpointFile(io, path),
    TE.flatMapEither((checkpoint) =>
      pipe(
        checkShapes(checkpoint),
        E.flatMap(() => readMeta(checkpoint.meta, metaKeys.recipe, RecipeCodec)),
        E.map((recipe) => ({
          checkpoint,
          recipe,
          outputs: outputKindOf(checkpoint.arch, recipe),
        })),
        E.mapLeft((reason): CliError => ({ _tag: "BadModel", path, reason })),
      ),
    ),
  )
