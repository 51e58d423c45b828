/**
 * `fnn predict --model FILE (--index N [--set test|train] | --image FILE.png) [--json]`: the
 * digit as the network sees it and its ten output activations as bars.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import * as T from "@fnn/tensor"
import { renderDigit } from "@fnn/mnist"
import type { CliError } from "../errors.ts"
import { choiceFlag, intFlag } from "../flags.ts"
import type { RunIO } from "../io.ts"
import { printJson, println } from "../io.ts"
import type { Model } from "../data.ts"
import { loadModel, loadSplit } from "../data.ts"
import { loadDigitImage } from "../image.ts"
import { finish } from "../outcome.ts"
import { outputBars, percent } from "../render.ts"
import { pickIndex, pixelsOf, sets } from "./show.ts"
import type { SetName } from "./show.ts"
import { describeModel } from "./eval.ts"

/** The flags of `fnn predict`, as commander gives them. */
export interface PredictFlags {
  readonly model: string
  readonly index?: string
  readonly set?: string
  readonly image?: string
  readonly data?: string
  readonly json?: boolean
}

type Source =
  | { readonly kind: "dataset"; readonly set: SetName; readonly index: number }
  | { readonly kind: "image"; readonly path: string }

const command = "predict"

const decodeSource = (flags: PredictFlags): E.Either<CliError, Source> => {
  const conflict = (message: string): E.Either<CliError, never> =>
    E.left({ _tag: "FlagConflict", message, command })
  if (flags.index !== undefined && flags.image !== undefined)
    return conflict("give either --index N or --image FILE.png, not both")
  if (flags.index === undefined && flags.image === undefined)
    return conflict("say which digit: --index N (an MNIST image) or --image FILE.png")
  if (flags.image !== undefined) {
    if (flags.set !== undefined) return conflict("--set goes with --index, not with --image")
    if (flags.data !== undefined) return conflict("--data goes with --index, not with --image")
    return E.right({ kind: "image", path: flags.image })
  }
  return pipe(
    E.Do,
    E.apS("index", intFlag("--index", 0, undefined, command)(flags.index!)),
    E.apS("set", choiceFlag("--set", sets, command)(flags.set ?? "test")),
    E.map(({ index, set }): Source => ({ kind: "dataset", set, index })),
  )
}

/** The digit to predict: its 784 pixels, and its label when it comes from MNIST. */
interface Input {
  readonly pixels: Float32Array
  readonly label: number | undefined
  readonly title: string
}

const inputOf = (io: RunIO, flags: PredictFlags, source: Source): TE.TaskEither<CliError, Input> =>
  source.kind === "image"
    ? pipe(
        loadDigitImage(io, source.path),
        TE.map((p) => ({
          pixels: p.pixels,
          label: undefined,
          title: `${source.path} (${p.box.width}×${p.box.height} ink box${p.inverted ? ", inverted" : ""}, fitted to ${p.fitted.width}×${p.fitted.height})`,
        })),
      )
    : pipe(
        loadSplit(io, flags.data, source.set),
        TE.flatMapEither((d) =>
          pipe(
            pickIndex(d, source.set, source.index, command),
            E.map((i) => {
              const label = d.labels.data[i]!
              return {
                pixels: pixelsOf(d, i),
                label,
                title: `${source.set} #${i}, label ${label}`,
              }
            }),
          ),
        ),
      )

/** The ten outputs of `model` for one image: softmax probabilities or the raw outputs. */
export const outputsOf = (model: Model, pixels: Float32Array): number[] => {
  const { net, params } = model.checkpoint
  const x = new T.Tensor("float32", [1, pixels.length], Float32Array.from(pixels))
  const out = net.apply(params, x)
  const shown = model.outputs === "softmax" ? T.softmax(out, { axis: -1 }) : out
  return Array.from(shown.data, Number)
}

const argmax = (xs: ReadonlyArray<number>): number =>
  xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0)

/** Runs `fnn predict`. */
export const predict = (flags: PredictFlags, io: RunIO): Promise<number> =>
  finish(
    io,
    pipe(
      TE.fromEither(decodeSource(flags)),
      TE.bindTo("source"),
      TE.bind("model", () => loadModel(io, flags.model)),
      TE.bind("input", ({ source }) => inputOf(io, flags, source)),
      TE.map(({ source, model, input }) => {
        const outputs = outputsOf(model, input.pixels)
        const prediction = argmax(outputs)
        if (flags.json === true) {
          printJson(io, {
            model: flags.model,
            source:
              source.kind === "image"
                ? { image: source.path }
                : { set: source.set, index: source.index },
            label: input.label ?? null,
            prediction,
            outputKind: model.outputs,
            outputs,
          })
          return 0
        }
        println(io, `${flags.model}: ${describeModel(model)}`)
        println(io, input.title)
        println(io, renderDigit(input.pixels))
        println(io)
        println(
          io,
          model.outputs === "softmax" ? "output layer (softmax of the outputs):" : "output layer:",
        )
        for (const line of outputBars(outputs, 30)) println(io, line)
        const confidence =
          model.outputs === "softmax" ? ` (${percent(outputs[prediction]!, 1)})` : ""
        const verdict =
          input.label === undefined
            ? ""
            : input.label === prediction
              ? ", correct"
              : `, but the label is ${input.label}`
        println(io, `prediction: ${prediction}${confidence}${verdict}`)
        return 0
      }),
    ),
  )
