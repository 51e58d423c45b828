/**
 * `fnn show --index N [--set train|test]`: one MNIST digit drawn in the terminal with its label.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import { count, renderDigit } from "@fnn/mnist"
import type { Dataset } from "@fnn/mnist"
import type { CliError } from "../errors.ts"
import { choiceFlag, intFlag } from "../flags.ts"
import type { RunIO } from "../io.ts"
import { println } from "../io.ts"
import { loadSplit } from "../data.ts"
import { finish } from "../outcome.ts"

/** The flags of `fnn show`, as commander gives them. */
export interface ShowFlags {
  readonly index: string
  readonly set?: string
  readonly data?: string
}

/** The two MNIST sets. */
export const sets = ["train", "test"] as const
/** One of the two MNIST sets. */
export type SetName = (typeof sets)[number]

/** Checks `--index` against the size of the chosen set. */
export const pickIndex = (
  d: Dataset,
  set: SetName,
  index: number,
  command: string,
): E.Either<CliError, number> =>
  index < count(d)
    ? E.right(index)
    : E.left({
        _tag: "BadFlag",
        flag: "--index",
        value: String(index),
        expected: `an integer from 0 to ${count(d) - 1} (the ${set} set has ${count(d)} images)`,
        command,
      })

/** The 784 pixels of example `i`. */
export const pixelsOf = (d: Dataset, i: number): Float32Array => {
  const p = d.rows * d.cols
  return Float32Array.from(d.images.data.subarray(i * p, (i + 1) * p))
}

/** Runs `fnn show`. */
export const show = (flags: ShowFlags, io: RunIO): Promise<number> =>
  finish(
    io,
    pipe(
      TE.Do,
      TE.apS("index", TE.fromEither(intFlag("--index", 0, undefined, "show")(flags.index))),
      TE.apS("set", TE.fromEither(choiceFlag("--set", sets, "show")(flags.set ?? "train"))),
      TE.bind("d", ({ set }) => loadSplit(io, flags.data, set)),
      TE.flatMapEither(({ index, set, d }) =>
        pipe(
          pickIndex(d, set, index, "show"),
          E.map((i) => {
            println(io, `${set} #${i}: label ${d.labels.data[i]}`)
            println(io, renderDigit(pixelsOf(d, i), { width: d.cols }))
            return 0
          }),
        ),
      ),
    ),
  )
