/**
 * How much more than one thread this machine gives to N threads running fnn's work at once.
 * Running on N threads cuts a piece of work into N parts (a batch into shards of rows, a matrix
 * product into bands of rows) and runs the parts at the same time; if N parts at once each take
 * longer than one alone (cores sharing caches, memory bandwidth or a host's time), no threading
 * can beat that. This module measures it: the part on this thread alone, then on this thread and
 * N − 1 workers together, for the same wall-clock time each.
 *
 * The ceiling is `N · alone / together`: the speed-up N threads would give if the parts were the
 * whole work (nothing left to one thread, no waiting). Cutting the work has costs of its own (each
 * shard's backward pass writes a whole gradient, each band of a product reads the whole of B), so
 * the whole work is timed alone as well: `whole / together` is the speed-up of running the N parts
 * at once, if putting their results together were free.
 * @module
 */
import { Worker } from "node:worker_threads"
import { installFastKernels } from "@fnn/tensor/fast"
import * as T from "@fnn/tensor"
import type { Batch, Batches } from "@fnn/mnist"
import type { Workload } from "./training.ts"
import { sequence } from "./harness.ts"
import { useFastThreads } from "./threads.ts"
import { fnnTrainer, initialParams } from "./training.ts"

/**
 * One thread's part of the work, as data a worker can be sent: training steps of a workload on
 * shard-sized batches (taken in turn), or one matrix product.
 */
export type Part =
  | {
      readonly kind: "train"
      readonly workload: Workload
      readonly batches: ReadonlyArray<{ readonly x: Float32Array; readonly y: Int32Array }>
    }
  | { readonly kind: "matmul"; readonly m: number; readonly k: number; readonly n: number }

/** What `measureCeiling` found. */
export interface Ceiling {
  readonly threads: number
  /** The part each thread ran, e.g. `a 64-row training step` or `a 512×1024·1024×1024 product`. */
  readonly part: string
  /** Milliseconds per part on this thread alone (the mean of a run before and one after). */
  readonly aloneMs: number
  /** Milliseconds per part on each thread while all ran at once (this thread first). */
  readonly togetherMs: readonly number[]
  /** `threads · aloneMs / max(togetherMs)`. */
  readonly ceiling: number
  /** The whole work (`threads` parts' worth, e.g. `a 128-row training step`). */
  readonly whole: string
  /** Milliseconds for the whole work on this thread alone. */
  readonly wholeMs: number
  /** `wholeMs / max(togetherMs)`: the parts at once against the whole on one thread. */
  readonly split: number
}

/** Control words shared with the workers. */
const word = { ready: 0, go: 1, stop: 2 } as const

/** What a worker is given. */
interface CeilingSetup {
  readonly part: Part
  readonly control: SharedArrayBuffer
}

/** What a worker reports. */
interface CeilingReport {
  readonly steps: number
  readonly ms: number
}

/** The part as a function to call again and again (training steps take the batches in turn). */
const runnerOf = (part: Part): (() => void) => {
  if (part.kind === "matmul") {
    const a = new T.Tensor("float32", [part.m, part.k], sequence(part.m * part.k, 1))
    const b = new T.Tensor("float32", [part.k, part.n], sequence(part.k * part.n, 2))
    return () => void T.matmul(a, b)
  }
  const batches = part.batches.map((b) => ({
    x: new T.Tensor("float32", [b.y.length, b.x.length / b.y.length], b.x),
    y: new T.Tensor("int32", [b.y.length], b.y),
  }))
  const trainer = fnnTrainer(part.workload, initialParams(part.workload))
  let i = 0
  return () => void trainer.step(batches[i++ % batches.length]!)
}

/** Steps until `done()`; returns the steps taken and the milliseconds they took. */
const stepUntil = (step: () => void, done: () => boolean): CeilingReport => {
  const t0 = performance.now()
  let steps = 0
  while (!done()) {
    step()
    steps++
  }
  return { steps, ms: performance.now() - t0 }
}

const perStep = (r: CeilingReport): number => r.ms / r.steps

/**
 * One thread's part of `threads`: training steps on the first rows of the epoch's first batches
 * (a shard's worth; with `threads` 1, the whole batches).
 */
export const trainPart = (w: Workload, epoch: Batches, threads: number): Part => {
  const rows = Math.floor(w.batchSize / threads)
  const head = (b: Batch): { x: Float32Array; y: Int32Array } => ({
    x: Float32Array.from(b.x.data.subarray(0, rows * (b.x.size / b.x.shape[0]!))),
    y: Int32Array.from(b.y.data.subarray(0, rows)),
  })
  return {
    kind: "train",
    workload: w,
    batches: Array.from({ length: Math.min(32, epoch.length) }, (_, i) => head(epoch.at(i))),
  }
}

/**
 * One thread's part of `threads` of an `m×k · k×n` product: a band of ⌈m / threads⌉ rows (with
 * `threads` 1, the whole product).
 */
export const matmulPart = (m: number, k: number, n: number, threads: number): Part => ({
  kind: "matmul",
  m: Math.ceil(m / threads),
  k,
  n,
})

const describePart = (part: Part): string =>
  part.kind === "train"
    ? `a ${part.batches[0]?.y.length ?? 0}-row training step`
    : `a ${part.m}×${part.k}·${part.k}×${part.n} product`

/** The worker's side: build the same loop, say ready, step from `go` until `stop`. */
export const serveCeiling = (setup: CeilingSetup, report: (r: CeilingReport) => void): void => {
  installFastKernels({ threads: 1 })
  const control = new Int32Array(setup.control)
  const step = runnerOf(setup.part)
  warmUp(step)
  Atomics.add(control, word.ready, 1)
  Atomics.notify(control, word.ready)
  Atomics.wait(control, word.go, 0)
  report(stepUntil(step, () => Atomics.load(control, word.stop) === 1))
}

/** Code a worker runs: this module through tsx (the bench runs from its TypeScript sources). */
const workerCode = (tsxApi: string, module: string): string =>
  [
    `const { register } = await import(${JSON.stringify(tsxApi)})`,
    `register()`,
    `const { workerData, parentPort } = await import("node:worker_threads")`,
    `const { serveCeiling } = await import(${JSON.stringify(module)})`,
    `serveCeiling(workerData, (r) => parentPort.postMessage(r))`,
  ].join("\n")

/** Runs `step` for half a second and at least three times: JIT tiers, caches, memory. */
const warmUp = (step: () => void): void => {
  const until = performance.now() + 500
  for (let i = 0; i < 3 || performance.now() < until; i++) step()
}

/**
 * Measures the ceiling of `threads` threads, each running `part` of the `whole` work (see
 * `trainPart`, `matmulPart`), each phase lasting `ms` milliseconds, on the fast kernels
 * (single-threaded on every thread; this thread's are left so).
 * @example
 * const epoch = epochBatches(large, train, 0)
 * const c = await measureCeiling(trainPart(large, epoch, 2), trainPart(large, epoch, 1), {
 *   threads: 2,
 *   ms: 1500,
 * })
 * c.ceiling // e.g. 1.93 on two free cores, 1.4 on two that get in each other's way
 * c.split // e.g. 1.6: two 64-row steps at once against one 128-row step
 */
export const measureCeiling = async (
  part: Part,
  whole: Part,
  { threads, ms }: { readonly threads: number; readonly ms: number },
): Promise<Ceiling> => {
  await useFastThreads(1)
  /** Milliseconds per step of `run` on this thread over `ms` milliseconds. */
  const timed = (run: () => void): number => {
    const until = performance.now() + ms
    return perStep(stepUntil(run, () => performance.now() >= until))
  }
  const wholeStep = runnerOf(whole)
  warmUp(wholeStep)
  const wholeMs = timed(wholeStep)
  const step = runnerOf(part)
  warmUp(step)
  const before = timed(step)

  const control = new Int32Array(new SharedArrayBuffer(4 * 3))
  const setup: CeilingSetup = { part, control: control.buffer }
  const code = workerCode(
    import.meta.resolve("tsx/esm/api"),
    new URL("./ceiling.ts", import.meta.url).href,
  )
  const workers = Array.from(
    { length: threads - 1 },
    () => new Worker(code, { eval: true, workerData: setup, execArgv: [] }),
  )
  try {
    const reports = workers.map(
      (worker) =>
        new Promise<CeilingReport>((resolve, reject) => {
          worker.once("message", (r: CeilingReport) => resolve(r))
          worker.once("error", reject)
          worker.once("exit", (code) => reject(new Error(`a worker exited (code ${code})`)))
        }),
    )
    // a worker that fails after another one did is not news
    for (const r of reports) r.catch(() => undefined)
    // wait (without blocking this thread's event loop, where the workers' errors arrive) until
    // every worker is warm, then start all at once
    const failed = Promise.race(reports)
    for (;;) {
      if (Atomics.load(control, word.ready) === threads - 1) break
      const result = await Promise.race([
        failed.then(() => "done" as const),
        new Promise((r) => setTimeout(r, 20)),
      ])
      if (result === "done") throw new Error("a worker stopped before it was ready")
    }
    Atomics.store(control, word.go, 1)
    Atomics.notify(control, word.go)
    const own = timed(step)
    Atomics.store(control, word.stop, 1)
    const others = (await Promise.all(reports)).map(perStep)
    const after = timed(step)
    const aloneMs = (before + after) / 2
    const togetherMs = [own, ...others]
    return {
      threads,
      part: describePart(part),
      aloneMs,
      togetherMs,
      ceiling: (threads * aloneMs) / Math.max(...togetherMs),
      whole: describePart(whole),
      wholeMs,
      split: wholeMs / Math.max(...togetherMs),
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

/** A ceiling as a progress line. */
export const describeCeiling = (c: Ceiling): string =>
  `${c.threads} threads can give at most ${c.ceiling.toFixed(2)}× here: ${c.part} ` +
  `took ${c.aloneMs.toFixed(2)} ms alone and ` +
  `${c.togetherMs.map((t) => t.toFixed(2)).join(" / ")} ms with ${c.threads} at once; ` +
  `${c.whole} took ${c.wholeMs.toFixed(2)} ms alone, so ${c.threads} parts at once give at most ` +
  `${c.split.toFixed(2)}× even if joining them were free`
