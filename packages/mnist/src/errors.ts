/**
 * Everything that can be wrong with MNIST data from outside, as a tagged union, and the one
 * function that explains it to a person.
 * @module
 */
import type { IdxDType, IdxError } from "./idx.ts"
import { idxTypeCodes } from "./idx.ts"

/** One of the standard files is in neither its raw nor its `.gz` form. */
export interface MissingFile {
  readonly _tag: "MissingFile"
  /** The standard name, e.g. `train-images-idx3-ubyte`. */
  readonly file: string
  readonly dir: string
  /** Every path that was tried, in order. */
  readonly tried: ReadonlyArray<string>
}

/** The file exists but could not be read (permissions, a directory, …). */
export interface ReadFailed {
  readonly _tag: "ReadFailed"
  readonly file: string
  readonly message: string
}

/** The file is not a regular file (a device, a pipe, a socket): it could be endless or block. */
export interface NotAFile {
  readonly _tag: "NotAFile"
  readonly file: string
  /** What it is instead, e.g. `a character device`. */
  readonly kind: string
}

/**
 * An IDX file larger than `limit` bytes: on disk (`file`), as its header announces it
 * (`announced`), once inflated (`inflated`), or inflating past what its header announces
 * (`pastHeader`, `limit` then being the announced size).
 */
export interface TooLarge {
  readonly _tag: "TooLarge"
  readonly file: string
  readonly limit: number
  readonly what: "file" | "announced" | "inflated" | "pastHeader"
}

/** The dataset holds fewer examples than asked for (`minExamples`). */
export interface TooFewExamples {
  readonly _tag: "TooFewExamples"
  readonly count: number
  readonly min: number
  readonly file?: string
}

/** The file starts with the gzip magic `1f 8b` but does not decompress. */
export interface GzipGarbage {
  readonly _tag: "GzipGarbage"
  readonly file: string
  readonly message: string
}

/** An IDX array whose element type or rank is not what MNIST images or labels are. */
export interface WrongShape {
  readonly _tag: "WrongShape"
  readonly role: "images" | "labels"
  /** What was expected, for people: `ubyte [n, rows, cols]`. */
  readonly expected: string
  readonly dtype: IdxDType
  readonly shape: ReadonlyArray<number>
  readonly file?: string
}

/** The images file and the labels file disagree on the number of examples. */
export interface CountMismatch {
  readonly _tag: "CountMismatch"
  readonly images: number
  readonly labels: number
  readonly imagesFile?: string
  readonly labelsFile?: string
}

/** A label that is not a digit 0–9. */
export interface LabelOutOfRange {
  readonly _tag: "LabelOutOfRange"
  readonly index: number
  readonly value: number
  readonly file?: string
}

/** Why MNIST data could not be loaded. */
export type MnistError =
  | IdxError
  | MissingFile
  | ReadFailed
  | NotAFile
  | TooLarge
  | GzipGarbage
  | WrongShape
  | CountMismatch
  | LabelOutOfRange
  | TooFewExamples

const hex = (b: number): string => b.toString(16).padStart(2, "0")
const where = (file: string | undefined): string => (file === undefined ? "" : `${file}: `)
const bytes = (n: number): string => `${n} byte${n === 1 ? "" : "s"}`

const knownCodes = (Object.keys(idxTypeCodes) as IdxDType[])
  .map((d) => `0x${hex(idxTypeCodes[d])} ${d}`)
  .join(", ")

const tooLarge = (e: TooLarge): string => {
  const most = "the most fnn reads from an IDX file"
  switch (e.what) {
    case "file":
      return `${e.file} is larger than ${bytes(e.limit)}, ${most}`
    case "announced":
      return `${e.file}: its IDX header announces more than ${bytes(e.limit)}, ${most}`
    case "inflated":
      return `${e.file} inflates to more than ${bytes(e.limit)}, ${most}`
    case "pastHeader":
      return `${e.file} inflates to more than the ${bytes(e.limit)} its IDX header announces`
  }
}

/**
 * One or two sentences explaining `e` to a person: what is wrong, where, and what was expected.
 *
 * @example
 * import { renderMnistError } from "@fnn/mnist"
 * renderMnistError({ _tag: "LabelOutOfRange", index: 7, value: 12 })
 * // "label 12 at index 7 is not a digit 0–9"
 */
export const renderMnistError = (e: MnistError): string => {
  switch (e._tag) {
    case "MissingFile":
      return (
        `MNIST file ${e.file} not found in ${e.dir}` +
        ` (tried ${e.tried.join(", ")}); expected the raw file or its .gz`
      )
    case "ReadFailed":
      return `could not read ${e.file}: ${e.message}`
    case "NotAFile":
      return `${e.file} is ${e.kind}, not a regular file`
    case "TooLarge":
      return tooLarge(e)
    case "TooFewExamples":
      return (
        `${where(e.file)}holds ${e.count} example${e.count === 1 ? "" : "s"}, ` +
        `fewer than the ${e.min} needed`
      )
    case "GzipGarbage":
      return `${e.file}: starts like gzip (1f 8b) but does not decompress: ${e.message}`
    case "BadMagic":
      return (
        `${where(e.file)}not an IDX file: it starts with ` +
        `${e.found.length === 0 ? "nothing" : e.found.map(hex).join(" ")}, ` +
        "but an IDX file starts with 00 00, a type code and a rank"
      )
    case "UnsupportedDType":
      return `${where(e.file)}unsupported IDX type code 0x${hex(e.code)} (known: ${knownCodes})`
    case "Truncated":
      return (
        `${where(e.file)}truncated IDX file: its ${e.part === "header" ? "header needs" : "header announces"} ` +
        `${bytes(e.expected)} but the file has ${bytes(e.actual)}`
      )
    case "TrailingBytes":
      return (
        `${where(e.file)}IDX file too long: its header announces ${bytes(e.expected)} ` +
        `but the file has ${bytes(e.actual)} (${bytes(e.actual - e.expected)} too many)`
      )
    case "WrongShape":
      return (
        `${where(e.file)}expected ${e.role} as ${e.expected}, ` +
        `found ${e.dtype} [${e.shape.join(", ")}]`
      )
    case "CountMismatch":
      return (
        `${e.images} images${e.imagesFile === undefined ? "" : ` in ${e.imagesFile}`} but ` +
        `${e.labels} labels${e.labelsFile === undefined ? "" : ` in ${e.labelsFile}`}: ` +
        "the two files must hold the same number of examples"
      )
    case "LabelOutOfRange":
      return `${where(e.file)}label ${e.value} at index ${e.index} is not a digit 0–9`
  }
}
