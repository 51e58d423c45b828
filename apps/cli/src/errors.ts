/**
 * Everything that can go wrong in a run of `fnn`, as one tagged union, the exit code of each
 * (2 for a mistake on the command line, 1 for a problem met while running) and the one function
 * that turns them into the `fnn: error: …` line people read.
 * @module
 */
import type { MnistError } from "@fnn/mnist"
import { renderMnistError } from "@fnn/mnist"

/** The command line does not parse: unknown command or flag, missing value (from commander). */
export interface Usage {
  readonly _tag: "Usage"
  readonly message: string
  /** The subcommand whose `--help` explains it, if known. */
  readonly command?: string
}

/** A flag's value is not of the expected form, e.g. `--epochs -3`. */
export interface BadFlag {
  readonly _tag: "BadFlag"
  readonly flag: string
  readonly value: string
  /** What would have been accepted, e.g. `a positive integer`. */
  readonly expected: string
  readonly command?: string
}

/** Two flags that cannot be used together, or a required one of several is missing. */
export interface FlagConflict {
  readonly _tag: "FlagConflict"
  readonly message: string
  readonly command?: string
}

/** The MNIST files are missing or damaged. */
export interface DataError {
  readonly _tag: "DataError"
  readonly error: MnistError
}

/** A file that should exist does not. */
export interface FileNotFound {
  readonly _tag: "FileNotFound"
  readonly path: string
  /** What it was meant to be: `model`, `image`, `checkpoint`. */
  readonly what: string
}

/** A file could not be read (permissions, a directory, …). */
export interface ReadFailed {
  readonly _tag: "ReadFailed"
  readonly path: string
  readonly message: string
}

/** An output file could not be written; nothing was left behind. */
export interface WriteFailed {
  readonly _tag: "WriteFailed"
  readonly path: string
  readonly message: string
}

/** A model file that is not a model fnn can use; `reason` says why. */
export interface BadModel {
  readonly _tag: "BadModel"
  readonly path: string
  readonly reason: string
}

/** A model that cannot be written in another format (a layer ONNX cannot express…). */
export interface ExportFailed {
  readonly _tag: "ExportFailed"
  readonly path: string
  /** The format it was to be written in, e.g. `ONNX`. */
  readonly format: string
  readonly reason: string
}

/** A file given as a PNG image is not one. */
export interface BadPng {
  readonly _tag: "BadPng"
  readonly path: string
  readonly reason: string
}

/** An image with nothing drawn on it: every pixel is the background. */
export interface BlankImage {
  readonly _tag: "BlankImage"
  readonly path: string
}

/** Training stopped because the loss stopped being a finite number. */
export interface Diverged {
  readonly _tag: "Diverged"
  /** 1-based, as training reports them. */
  readonly epoch: number
  readonly batch: number
  readonly loss: number
  /** The checkpoint that keeps the last finished epoch, if one was written. */
  readonly kept: string | undefined
}

/** Why a run of `fnn` failed. */
export type CliError =
  | Usage
  | BadFlag
  | FlagConflict
  | DataError
  | FileNotFound
  | ReadFailed
  | WriteFailed
  | BadModel
  | ExportFailed
  | BadPng
  | BlankImage
  | Diverged

/** 2 for mistakes on the command line (fix the flags), 1 for everything met while running. */
export const exitCodeOf = (e: CliError): 1 | 2 => {
  switch (e._tag) {
    case "Usage":
    case "BadFlag":
    case "FlagConflict":
      return 2
    default:
      return 1
  }
}

const helpHint = (command: string | undefined): string =>
  ` (see "fnn ${command === undefined ? "" : `${command} `}--help")`

/**
 * The message for people, without the `fnn: error: ` prefix.
 *
 * @example
 * renderCliError({ _tag: "BadFlag", flag: "--epochs", value: "-3", expected: "a positive integer" })
 * // '--epochs must be a positive integer, got "-3" (see "fnn --help")'
 */
export const renderCliError = (e: CliError): string => {
  switch (e._tag) {
    case "Usage":
      return `${e.message}${helpHint(e.command)}`
    case "BadFlag":
      return `${e.flag} must be ${e.expected}, got ${JSON.stringify(e.value)}${helpHint(e.command)}`
    case "FlagConflict":
      return `${e.message}${helpHint(e.command)}`
    case "DataError":
      return `cannot load MNIST: ${renderMnistError(e.error)}`
    case "FileNotFound":
      return `${e.what} file ${e.path} does not exist`
    case "ReadFailed":
      return `cannot read ${e.path}: ${e.message}`
    case "WriteFailed":
      return `cannot write ${e.path}: ${e.message} (nothing was written)`
    case "BadModel":
      return `${e.path} is not a usable fnn model: ${e.reason}`
    case "ExportFailed":
      return `cannot export ${e.path} to ${e.format}: ${e.reason}`
    case "BadPng":
      return `${e.path} is not a PNG image fnn can read: ${e.reason}`
    case "BlankImage":
      return `${e.path} has nothing drawn on it: every pixel has the background colour`
    case "Diverged":
      return (
        `training diverged: the loss of batch ${e.batch} in epoch ${e.epoch} is ${e.loss} ` +
        `(a lower --lr may help); ${e.kept === undefined ? "nothing was written" : `${e.kept} keeps the last state saved before it`}`
      )
  }
}

/** The full line written to stderr for `e`. */
export const errorLine = (e: CliError): string => `fnn: error: ${renderCliError(e)}\n`
