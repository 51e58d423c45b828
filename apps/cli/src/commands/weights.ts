/**
 * `fnn weights --model FILE --out FILE.png [--layer 1]`: each neuron's incoming weights as a
 * picture. For layer 1 a neuron's 784 weights are laid out as the 28 × 28 image they multiply:
 * the video's picture of what a neuron "looks for". Deeper layers take neurons, not pixels, as
 * inputs; their weights are drawn as the squarest grid (16 inputs: 4 × 4, input i at cell i,
 * row by row), which shows their signs and sizes but is no picture of the digit.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import type { CliError } from "../errors.ts"
import { checkWritable, writeAtomic } from "../files.ts"
import { intFlag } from "../flags.ts"
import type { RunIO } from "../io.ts"
import { println, resolvePath } from "../io.ts"
import { loadModel } from "../data.ts"
import { denseWeights } from "../model.ts"
import { finish } from "../outcome.ts"
import { tileLayout, weightsPicture } from "../pictures.ts"
import { encodePng } from "../png.ts"

/** The flags of `fnn weights`, as commander gives them. */
export interface WeightsFlags {
  readonly model: string
  readonly out: string
  readonly layer?: string
}

const command = "weights"

/** Runs `fnn weights`. */
export const weights = (flags: WeightsFlags, io: RunIO): Promise<number> =>
  finish(
    io,
    pipe(
      TE.fromEither(intFlag("--layer", 1, undefined, command)(flags.layer ?? "1")),
      TE.bindTo("layer"),
      TE.tap(() => checkWritable(resolvePath(io, flags.out), flags.out)),
      TE.bind("model", () => loadModel(io, flags.model)),
      TE.flatMap(({ layer, model }) => {
        const ws = denseWeights(model.checkpoint.params)
        const w = ws[layer - 1]
        if (w === undefined)
          return TE.left<CliError>({
            _tag: "BadFlag",
            flag: "--layer",
            value: String(layer),
            expected: `an integer from 1 to ${ws.length} (the model has ${ws.length} layers of weights)`,
            command,
          })
        const [inputs, units] = w.shape as [number, number]
        const data = w.data instanceof Float64Array ? w.data : Float32Array.from(w.data)
        const png = encodePng(weightsPicture(data, inputs, units))
        return pipe(
          writeAtomic(resolvePath(io, flags.out), flags.out, png),
          TE.map(() => {
            const t = tileLayout(inputs)
            const what =
              inputs === 784
                ? "its 784 incoming weights as the 28×28 image they multiply"
                : `its ${inputs} incoming weights as a ${t.cols}×${t.rows} grid (input i at cell i, row by row; ` +
                  `these inputs are the neurons of layer ${layer - 1}, not pixels)`
            println(
              io,
              `wrote ${flags.out}: the ${units} neurons of layer ${layer}, each neuron ${what};`,
            )
            println(io, "red is positive, blue negative, white zero, scaled per neuron")
            return 0
          }),
        )
      }),
    ),
  )
