/**
 * `fnn eval --model FILE [--data DIR] [--json] [--png FILE]`: accuracy on the test set, each
 * digit's accuracy and the confusion matrix, as a table or a picture.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import * as nn from "@fnn/nn"
import { count } from "@fnn/mnist"
import type { Model } from "../data.ts"
import { loadModel, loadSplit } from "../data.ts"
import { checkWritable, writeAtomic } from "../files.ts"
import { classes } from "../flags.ts"
import type { RunIO } from "../io.ts"
import { printJson, println, resolvePath } from "../io.ts"
import { finish } from "../outcome.ts"
import { confusionPicture } from "../pictures.ts"
import { encodePng } from "../png.ts"
import { confusionTable, percent, perClassAccuracy, thousands } from "../render.ts"

/** The flags of `fnn eval`, as commander gives them. */
export interface EvalFlags {
  readonly model: string
  readonly data?: string
  readonly json?: boolean
  readonly png?: string
}

/** A short description of a model: its widths, activation and loss when known. */
export const describeModel = (model: Model): string => {
  const r = model.recipe
  const params = thousands(nn.paramCount(model.checkpoint.params))
  return r === undefined
    ? `${params} parameters`
    : `${r.arch.join("-")} ${r.activation}, ${r.loss}, ${params} parameters`
}

/** Runs `fnn eval`. */
export const evaluate = (flags: EvalFlags, io: RunIO): Promise<number> =>
  finish(
    io,
    pipe(
      flags.png === undefined
        ? TE.right(undefined)
        : checkWritable(resolvePath(io, flags.png), flags.png),
      TE.flatMap(() => loadModel(io, flags.model)),
      TE.bindTo("model"),
      TE.bind("test", () => loadSplit(io, flags.data, "test")),
      TE.flatMap(({ model, test }) => {
        const { net, params } = model.checkpoint
        const predicted = nn.predict(net, params, test.images)
        const matrix = nn.confusionMatrix(predicted, test.labels, classes)
        const counts = Array.from(matrix.data, Number)
        const n = count(test)
        let correct = 0
        for (let k = 0; k < classes; k++) correct += counts[k * classes + k]!
        const accuracy = correct / n
        const write =
          flags.png === undefined
            ? TE.right(undefined)
            : writeAtomic(
                resolvePath(io, flags.png),
                flags.png,
                encodePng(confusionPicture(counts, classes)),
              )
        return pipe(
          write,
          TE.map(() => {
            if (flags.json === true) {
              printJson(io, {
                model: flags.model,
                examples: n,
                correct,
                accuracy,
                perClass: perClassAccuracy(counts, classes),
                confusion: Array.from({ length: classes }, (_, t) =>
                  counts.slice(t * classes, (t + 1) * classes),
                ),
                png: flags.png ?? null,
              })
              return 0
            }
            println(io, `${flags.model}: ${describeModel(model)}`)
            println(
              io,
              `test accuracy ${percent(accuracy)} (${thousands(correct)} of ${thousands(n)} correct)`,
            )
            println(io)
            for (const line of confusionTable(counts, classes)) println(io, line)
            if (flags.png !== undefined) {
              println(io)
              println(io, `confusion matrix picture written to ${flags.png}`)
            }
            return 0
          }),
        )
      }),
    ),
  )
