/**
 * Puts a network trained by `fnn train` into the page: checks that the page can draw it, drops
 * what only resuming needs (the optimizer state and the progress entry), so the file is just
 * the 13,002 weights and biases with their architecture and training record, and writes it to
 * `public/model.safetensors`.
 *
 *     pnpm fnn train --out /tmp/model.safetensors
 *     pnpm --filter @fnn/web ship-model /tmp/model.safetensors
 * @module
 */
import { readFile, writeFile } from "node:fs/promises"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as E from "fp-ts/lib/Either.js"
import * as nn from "@fnn/nn"
import { loadModel, renderModelError, reportedAccuracy, summary } from "../src/model.ts"

const target = fileURLToPath(new URL("../public/model.safetensors", import.meta.url))
const resumeOnly = new Set(["train.progress"])

const main = async (): Promise<number> => {
  const source = process.argv[2]
  if (source === undefined) {
    console.error("usage: ship-model <model.safetensors written by fnn train>")
    return 2
  }
  const model = loadModel(
    new Uint8Array(await readFile(resolve(process.env["INIT_CWD"] ?? ".", source))),
  )
  if (E.isLeft(model)) {
    console.error(`${source}: ${renderModelError(model.left)}`)
    return 1
  }
  const { checkpoint } = model.right
  const meta = Object.fromEntries(
    Object.entries(checkpoint.meta).filter(([k]) => !resumeOnly.has(k)),
  )
  const bytes = nn.saveCheckpoint({
    params: checkpoint.params,
    arch: checkpoint.arch,
    meta,
    inputShape: checkpoint.inputShape,
  })
  await writeFile(target, bytes)
  const accuracy = reportedAccuracy(meta)
  console.log(
    `${summary(model.right)}${accuracy === undefined ? "" : `, ${(100 * accuracy.accuracy).toFixed(2)}% test accuracy`}: ` +
      `${bytes.length.toLocaleString("en-US")} bytes written to public/model.safetensors`,
  )
  return 0
}

process.exitCode = await main()
