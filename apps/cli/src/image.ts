/**
 * A PNG file to the 784 inputs of the network: read, decode, grey on white, preprocess.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import type { CliError } from "./errors.ts"
import { readBytes } from "./files.ts"
import type { RunIO } from "./io.ts"
import { resolvePath } from "./io.ts"
import { decodePng, renderPngError, toGrey } from "./png.ts"
import type { Preprocessed } from "@fnn/mnist"
import { preprocess, renderPreprocessError } from "@fnn/mnist"

/** The largest PNG file read: 64 MiB. */
export const maxImageBytes = 64 * 2 ** 20

/** Reads the PNG at `path` (a regular file of at most `maxImageBytes`) and preprocesses it the MNIST way. */
export const loadDigitImage = (io: RunIO, path: string): TE.TaskEither<CliError, Preprocessed> =>
  pipe(
    readBytes(resolvePath(io, path), path, "image", maxImageBytes),
    TE.flatMapEither((bytes) =>
      pipe(
        decodePng(bytes),
        E.mapLeft((e): CliError => ({ _tag: "BadPng", path, reason: renderPngError(e) })),
      ),
    ),
    TE.flatMapEither((rgba) =>
      pipe(
        preprocess(toGrey(rgba)),
        E.mapLeft((e): CliError =>
          e._tag === "BlankImage"
            ? { _tag: "BlankImage", path }
            : { _tag: "BadPng", path, reason: renderPreprocessError(e) },
        ),
      ),
    ),
  )
