/**
 * Memory over a long run: fnn trains the large workload (784-128-64-10 ReLU, batch 128) for five
 * epochs, a new batch order each epoch, and the process's resident set size is sampled during
 * and after every epoch. Garbage collection is left to Node, as in a user's program. Memory that
 * grows epoch after epoch is a leak (a cache keyed by tensors, say); flat memory is the goal.
 * Opt-in (`--suite memory`): it takes a few minutes.
 * @module
 */
import { mnist } from "../mnist.ts"
import type { Check, Column, RunConfig, Suite, SuiteResult } from "../suite.ts"
import { epochBatches, fnnTrainer, initialParams, large } from "../training.ts"

/** The last epoch's RSS may differ from the second's by at most this fraction. */
export const flatTolerance = 0.1

/** Steps between RSS samples inside an epoch (for the peak). */
const sampleEvery = 25

const mib = (bytes: number): number => bytes / 2 ** 20

const columns: readonly Column[] = [
  { key: "epoch", header: "epoch", kind: "number", digits: 0 },
  { key: "seconds", header: "epoch s", kind: "number", digits: 2 },
  { key: "loss", header: "mean loss", kind: "number", digits: 4 },
  { key: "accuracy", header: "test acc %", kind: "number", digits: 2 },
  { key: "rss", header: "RSS after MiB", kind: "number", digits: 1 },
  { key: "peak", header: "peak RSS in epoch MiB", kind: "number", digits: 1 },
  { key: "heap", header: "JS heap used MiB", kind: "number", digits: 1 },
  { key: "buffers", header: "array buffers MiB", kind: "number", digits: 1 },
]

const run = async (config: RunConfig): Promise<SuiteResult> => {
  const epochs = config.quick ? 3 : 5
  config.log("memory: loading MNIST")
  const { train, test } = await mnist()
  const trainer = fnnTrainer(large, initialParams(large))
  const before = process.memoryUsage()
  const rows: Record<string, number>[] = []
  let peak = before.rss
  for (let e = 0; e < epochs; e++) {
    const epoch = epochBatches(large, train, e)
    let epochPeak = 0
    let loss = 0
    const t0 = performance.now()
    for (let i = 0; i < epoch.length; i++) {
      loss += trainer.step(epoch.at(i))
      if (i % sampleEvery === 0) epochPeak = Math.max(epochPeak, process.memoryUsage.rss())
    }
    const ms = performance.now() - t0
    const after = process.memoryUsage()
    epochPeak = Math.max(epochPeak, after.rss)
    peak = Math.max(peak, epochPeak)
    const accuracy = trainer.accuracy(test)
    rows.push({
      epoch: e + 1,
      seconds: ms / 1000,
      loss: loss / epoch.length,
      accuracy: 100 * accuracy,
      rss: mib(after.rss),
      peak: mib(epochPeak),
      heap: mib(after.heapUsed),
      buffers: mib(after.arrayBuffers),
    })
    config.log(
      `memory epoch ${e + 1}/${epochs}: ${(ms / 1000).toFixed(2)} s, RSS ${mib(after.rss).toFixed(1)} MiB ` +
        `(peak ${mib(epochPeak).toFixed(1)}), test accuracy ${(100 * accuracy).toFixed(2)}%`,
    )
  }
  const second = rows[1]!.rss!
  const lastRss = rows[rows.length - 1]!.rss!
  const drift = (lastRss - second) / second
  const checks: Check[] = [
    {
      name: `RSS flat (epoch ${epochs} within ${100 * flatTolerance}% of epoch 2)`,
      pass: Math.abs(drift) <= flatTolerance,
      detail:
        `epoch 2 ${second.toFixed(1)} MiB, epoch ${epochs} ${lastRss.toFixed(1)} MiB ` +
        `(${drift >= 0 ? "+" : ""}${(100 * drift).toFixed(1)}%); peak ${mib(peak).toFixed(1)} MiB, ` +
        `${mib(before.rss).toFixed(1)} MiB before training`,
    },
  ]
  return {
    suite: "memory",
    title: `memory: fnn trains ${large.label} for ${epochs} epochs; resident set size per epoch`,
    columns,
    rows,
    checks,
    context: {
      "fnn kernels": config.fnnKernels,
      "RSS before training MiB": Number(mib(before.rss).toFixed(1)),
      "peak RSS MiB": Number(mib(peak).toFixed(1)),
      "steps between RSS samples": sampleEvery,
    },
    measurements: [{ before, rows, peakBytes: peak }],
  }
}

/** `--suite memory` (opt-in): RSS over five epochs of the large workload on fnn. */
export const memorySuite: Suite = {
  name: "memory",
  title: "fnn memory over five epochs",
  optIn: true,
  run,
}
