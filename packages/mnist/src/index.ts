/**
 * MNIST for fnn: a pure IDX codec, checked datasets, deterministic shuffled batches, validation
 * splits and digits drawn as text. Runs in browsers; reading files lives in `@fnn/mnist/node`.
 * @module
 */
export type { IdxArray, IdxDType, IdxDataOf, IdxError } from "./idx.ts"
export type { BadMagic, UnsupportedDType, Truncated, TrailingBytes } from "./idx.ts"
export { parseIdx, encodeIdx, isGzip, idxTypeCodes, idxByteSize } from "./idx.ts"
export type {
  MnistError,
  MissingFile,
  ReadFailed,
  NotAFile,
  TooLarge,
  TooFewExamples,
  GzipGarbage,
  WrongShape,
  CountMismatch,
  LabelOutOfRange,
} from "./errors.ts"
export { renderMnistError } from "./errors.ts"
export type { Dataset, DatasetOptions, SplitOptions } from "./dataset.ts"
export { dataset, normalise, count, limit, take, subset, split, labelHistogram } from "./dataset.ts"
export type { Batch, BatchOptions, Batches } from "./batches.ts"
export { batches } from "./batches.ts"
export { renderDigit, shades } from "./render.ts"
export type { GreyImage, Preprocessed, PreprocessError } from "./preprocess.ts"
export { preprocess, renderPreprocessError, boxSize, resample } from "./preprocess.ts"
