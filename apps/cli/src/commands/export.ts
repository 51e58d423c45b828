/**
 * `fnn export --model FILE --out FILE.onnx [--json]`: a model as an ONNX file for ONNX Runtime
 * and the other engines that read ONNX. The network takes any batch size; the checkpoint's
 * metadata (the training recipe, its history) goes along in the file's metadata.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { pipe } from "fp-ts/lib/function.js"
import * as nn from "@fnn/nn"
import * as T from "@fnn/tensor"
import type { Shape } from "@fnn/tensor"
import type { CliError } from "../errors.ts"
import { loadCheckpointFile } from "../data.ts"
import { checkWritable, writeAtomic } from "../files.ts"
import type { RunIO } from "../io.ts"
import { printJson, println, resolvePath } from "../io.ts"
import { finish } from "../outcome.ts"
import { thousands } from "../render.ts"

/** The flags of `fnn export`, as commander gives them. */
export interface ExportFlags {
  readonly model: string
  readonly out: string
  readonly json?: boolean
}

/** A shape as the ONNX file declares it: the first axis is the dynamic batch axis. */
const declared = (shape: Shape): Array<number | string> =>
  shape.map((d, i) => (i === 0 || d < 0 ? nn.batchAxisName : d))

const names = { input: "input", output: "output" } as const

const shown = (shape: Shape): string => `[${declared(shape).join(", ")}]`

/** Runs `fnn export`. */
export const exportCommand = (flags: ExportFlags, io: RunIO): Promise<number> =>
  finish(
    io,
    pipe(
      checkWritable(resolvePath(io, flags.out), flags.out),
      TE.flatMap(() => loadCheckpointFile(io, flags.model)),
      TE.flatMap((checkpoint) => {
        const { net, params, inputShape, meta } = checkpoint
        const bytes = pipe(
          nn.toOnnx(net, params, {
            inputShape,
            metadata: meta,
            inputName: names.input,
            outputName: names.output,
          }),
          E.mapLeft((e): CliError => ({
            _tag: "ExportFailed",
            path: flags.model,
            format: "ONNX",
            reason: nn.renderOnnxError(e),
          })),
        )
        return pipe(
          TE.fromEither(bytes),
          TE.tap((b) => writeAtomic(resolvePath(io, flags.out), flags.out, b)),
          TE.map((b) => {
            const outputShape = net.outputShape(inputShape)
            const dtype = T.tree.leaves<T.Tensor>(params)[0]?.dtype ?? "float32"
            const parameters = nn.paramCount(params)
            if (flags.json === true) {
              printJson(io, {
                model: flags.model,
                out: flags.out,
                format: "onnx",
                opset: nn.onnxOpset,
                irVersion: nn.onnxIrVersion,
                input: { name: names.input, dtype, shape: declared(inputShape) },
                output: { name: names.output, dtype, shape: declared(outputShape) },
                parameters,
                bytes: b.length,
              })
              return 0
            }
            println(
              io,
              `wrote ${flags.out}: ONNX opset ${nn.onnxOpset}, ${thousands(parameters)} parameters, ${thousands(b.length)} bytes`,
            )
            println(
              io,
              `input "${names.input}" ${dtype} ${shown(inputShape)} → output "${names.output}" ${dtype} ${shown(outputShape)}; the batch size is free`,
            )
            return 0
          }),
        )
      }),
    ),
  )
