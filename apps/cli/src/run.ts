/**
 * The `fnn` command as a function: `run(argv, io)` parses the arguments, runs one command and
 * resolves to the exit code (0 success, 1 runtime error, 2 usage error, 128 + n stopped by signal n). It
 * never exits the process and never throws, so tests call it in-process; `main.ts` is the thin
 * wrapper that hands it the real process.
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings"
import * as nn from "@fnn/nn"
import { fastKernelsInstalled, installFastKernels } from "@fnn/tensor/fast"
import type { CliError } from "./errors.ts"
import { errorLine, exitCodeOf } from "./errors.ts"
import type { RunIO } from "./io.ts"
import { evaluate } from "./commands/eval.ts"
import { exportCommand } from "./commands/export.ts"
import { predict } from "./commands/predict.ts"
import { show } from "./commands/show.ts"
import { defaultLr, defaults, trainCommand } from "./commands/train.ts"
import { weights } from "./commands/weights.ts"
import { activations, losses, optimizers, schedules } from "./model.ts"

export type { RunIO, Writer, Interrupt, StopSignal } from "./io.ts"

const examples = (lines: ReadonlyArray<string>): string =>
  `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`

const build = (io: RunIO, done: (code: number) => void): Command => {
  const program = new Command("fnn")
    .description(
      "Train and inspect the 3Blue1Brown MNIST network: 784 pixels → 16 → 16 → 10 digits.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .addHelpText(
      "after",
      examples([
        "fnn train",
        "fnn eval --model model.safetensors",
        "fnn predict --model model.safetensors --index 0",
        "fnn show --index 7",
        "fnn weights --model model.safetensors --out weights.png",
        "fnn export --model model.safetensors --out model.onnx",
      ]),
    )

  program
    .command("train")
    .summary("train a network on MNIST (defaults: the 3Blue1Brown network, about 96%)")
    .description(
      "Train a network on MNIST. The defaults train the 3Blue1Brown network (sigmoid, 13,002 " +
        "parameters) to about 96% test accuracy. A checkpoint is written after every epoch; " +
        "Ctrl-C, SIGTERM or SIGHUP finishes the current step, saves and exits with 128 + the " +
        "signal's number (130, 143, 129); --resume continues exactly.",
    )
    .option(
      "--arch <widths>",
      `layer widths from 784 pixels to 10 digits (default: ${defaults.arch})`,
    )
    .option("--activation <name>", `${activations.join(" | ")} (default: ${defaults.activation})`)
    .option(
      "--loss <name>",
      `${losses.join(" | ")}; with mse the outputs go through a sigmoid (default: ${defaults.loss})`,
    )
    .option(
      "--optimizer <name>",
      `${optimizers.join(" | ")} (default: ${defaults.optimizer}, β = 0.9)`,
    )
    .option(
      "--lr <rate>",
      `peak learning rate (default: ${Object.entries(defaultLr)
        .map(([o, lr]) => `${lr} for ${o}`)
        .join(", ")})`,
    )
    .option("--schedule <name>", `${schedules.join(" | ")} (default: ${defaults.schedule})`)
    .option(
      "--weight-decay <rate>",
      `L2 weight decay; decoupled (AdamW) with adam (default: ${defaults.weightDecay})`,
    )
    .option(
      "--dp-clip <norm>",
      "DP-SGD: clip each example's gradient to this L2 norm (with --dp-noise)",
    )
    .option(
      "--dp-noise <sigma>",
      "DP-SGD: Gaussian noise of standard deviation sigma × clip on the summed gradients",
    )
    .option("--epochs <n>", `passes over the training set (default: ${defaults.epochs})`)
    .option("--batch-size <n>", `examples per step (default: ${defaults.batchSize})`)
    .option(
      "--seed <n>",
      `seed of the initial weights and the shuffling (default: ${defaults.seed})`,
    )
    .option(
      "--data <dir>",
      "directory with the four MNIST files, raw or .gz (default: the embedded copy)",
    )
    .option("--limit <n>", "train on the first n training images only (the test set stays whole)")
    .option("--out <file>", `where the model goes (default: ${defaults.out}, or the --resume file)`)
    .option("--resume <file>", "continue an interrupted run from its checkpoint, with its recipe")
    .option("--json", "one JSON object per line: start, one per epoch, summary")
    .addHelpText(
      "after",
      examples([
        "fnn train",
        "fnn train --limit 2000 --epochs 1 --out small.safetensors",
        "fnn train --activation relu --optimizer adam --epochs 10",
        "fnn train --resume model.safetensors",
        "fnn train --dp-clip 1 --dp-noise 1.1 --epochs 5",
      ]),
    )
    .action(async (flags) => done(await trainCommand(flags, io)))

  program
    .command("eval")
    .summary("test accuracy, accuracy per digit and the confusion matrix")
    .description(
      "Accuracy of a model on the 10,000 test images, per digit, and its confusion matrix.",
    )
    .requiredOption("--model <file>", "a model written by fnn train")
    .option("--data <dir>", "directory with the four MNIST files (default: the embedded copy)")
    .option("--json", "print one JSON object instead of tables")
    .option("--png <file>", "also draw the confusion matrix as a PNG picture")
    .addHelpText("after", examples(["fnn eval --model model.safetensors --png confusion.png"]))
    .action(async (flags) => done(await evaluate(flags, io)))

  program
    .command("predict")
    .summary("a digit (MNIST or PNG) and the ten output activations as bars")
    .description(
      "Show a digit and the network's ten output activations as bars. A PNG of any size, dark " +
        "on light or light on dark, is centred and scaled the MNIST way first.",
    )
    .requiredOption("--model <file>", "a model written by fnn train")
    .option("--index <n>", "an MNIST image by its index")
    .option("--set <name>", "test | train, the set --index counts in (default: test)")
    .option("--image <file>", "a PNG picture of a digit instead of an MNIST image")
    .option("--data <dir>", "directory with the four MNIST files (default: the embedded copy)")
    .option("--json", "print one JSON object instead of pictures")
    .addHelpText(
      "after",
      examples([
        "fnn predict --model model.safetensors --index 0",
        "fnn predict --model model.safetensors --image my-digit.png --json",
      ]),
    )
    .action(async (flags) => done(await predict(flags, io)))

  program
    .command("show")
    .summary("draw an MNIST digit with its label")
    .description("Draw an MNIST digit in the terminal with its label.")
    .requiredOption("--index <n>", "the image's index")
    .option("--set <name>", "train | test (default: train)")
    .option("--data <dir>", "directory with the four MNIST files (default: the embedded copy)")
    .addHelpText("after", examples(["fnn show --index 7", "fnn show --index 0 --set test"]))
    .action(async (flags) => done(await show(flags, io)))

  program
    .command("weights")
    .summary("draw each neuron's incoming weights as a PNG")
    .description(
      "Draw each neuron's incoming weights as a picture (red positive, blue negative, scaled " +
        "per neuron). Layer 1 maps to pixels: 28×28 per neuron, what the neuron looks for. " +
        "Deeper layers take neurons as inputs and are drawn as grids (16 inputs: 4×4).",
    )
    .requiredOption("--model <file>", "a model written by fnn train")
    .requiredOption("--out <file>", "the PNG to write")
    .option("--layer <n>", "which layer of weights, 1 = from the pixels (default: 1)")
    .addHelpText("after", examples(["fnn weights --model model.safetensors --out weights.png"]))
    .action(async (flags) => done(await weights(flags, io)))

  program
    .command("export")
    .summary("write a model as an ONNX file for ONNX Runtime and other engines")
    .description(
      "Write a model as an ONNX file (opset " +
        String(nn.onnxOpset) +
        ') with a dynamic batch axis: input "input", output "output" (the network\'s own ' +
        "outputs: logits for a model trained with cross-entropy). The checkpoint's metadata goes " +
        "along in the file's metadata.",
    )
    .requiredOption("--model <file>", "a model written by fnn train")
    .requiredOption("--out <file>", "the ONNX file to write")
    .option("--json", "print one JSON object describing the file")
    .addHelpText("after", examples(["fnn export --model model.safetensors --out model.onnx"]))
    .action(async (flags) => done(await exportCommand(flags, io)))

  return program
}

const usageOf = (e: CommanderError, command: string | undefined): CliError => {
  const message = e.message.replace(/^error: /, "").replace(/\n/g, " ")
  return command === undefined ? { _tag: "Usage", message } : { _tag: "Usage", message, command }
}

/**
 * Runs `fnn` with `argv` (the arguments after the program name) and resolves to the exit code.
 *
 * @example
 * const out: string[] = []
 * const code = await run(["show", "--index", "0"], {
 *   stdout: { write: (s) => out.push(s) },
 *   stderr: { write: (s) => out.push(s) },
 *   env: {},
 *   isTTY: false,
 * })
 * // code === 0; out holds the digit and its label
 */
export const run = async (argv: ReadonlyArray<string>, io: RunIO): Promise<number> => {
  // every run uses the WebAssembly kernels, so in-process and spawned runs agree
  if (fastKernelsInstalled() === undefined) installFastKernels()
  let code = 0
  let current: string | undefined
  const program = build(io, (c) => {
    code = c
  })
  program.hook("preSubcommand", (_cmd, sub) => {
    current = sub.name()
  })
  try {
    await program.parseAsync([...argv], { from: "user" })
    return code
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0
      // `fnn` alone: the help went to stderr
      if (e.code === "commander.help") return 2
      const error = usageOf(e, current)
      io.stderr.write(errorLine(error))
      return exitCodeOf(error)
    }
    const message = e instanceof Error ? e.message : String(e)
    io.stderr.write(`fnn: internal error: ${message}\n`)
    if (io.env["FNN_DEBUG"] !== undefined && e instanceof Error && e.stack !== undefined)
      io.stderr.write(`${e.stack}\n`)
    return 1
  }
}
