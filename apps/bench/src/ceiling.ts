/**
 * How much more than one thread this machine gives to N threads running fnn's training steps at
 * once. Data parallelism cuts a batch of `b` rows into N shards and runs a `b/N`-row step on
 * every thread at the same time; if N such steps at once each take longer than one alone (cores
 * sharing caches, memory bandwidth or a host's time), no data-parallel step can beat that. This
 * module measures it: steps on `b/N`-row batches on this thread alone, then on this thread and
 * N − 1 workers together, for the same wall-clock time each.
 *
 * The ceiling is `N · alone / together`: the speed-up N threads would give if the shards were the
 * whole step (no combining of gradients, no optimizer update on one thread, no waiting).
 * @module
 */
import { Worker } from "node:worker_threads"
import * as nn from "@fnn/nn"
import { installFastKernels } from "@fnn/tensor/fast"
import * as T from "@fnn/tensor"
import type { Batch, Batches } from "@fnn/mnist"
import type { Workload } from "./training.ts"
import { initialParams, network } from "./training.ts"

/** What `measureCeiling` found. */
export interface Ceiling {
  readonly threads: number
  /** Rows per step: the workload's batch cut into `threads` shards. */
  readonly rows: number
  /** Milliseconds per step on this thread alone (the mean of a run before and one after). */
  readonly aloneMs: number
  /** Milliseconds per step of each thread while all ran at once (this thread first). */
  readonly togetherMs: readonly number[]
  /** `threads · aloneMs / max(togetherMs)`. */
  readonly ceiling: number
}

/** Control words shared with the workers. */
const word = { ready: 0, go: 1, stop: 2 } as const

/** What a worker is given. */
interface CeilingSetup {
  readonly workload: Workload
  readonly batches: ReadonlyArray<{ readonly x: Float32Array; readonly y: Int32Array }>
  readonly control: SharedArrayBuffer
  readonly warmupSteps: number
  /** Whether the workers install the fast kernels (on one thread each), as this thread did. */
  readonly fast: boolean
}

/** What a worker reports. */
interface CeilingReport {
  readonly steps: number
  readonly ms: number
}

/** A loop of `trainStep`s over `batches` in turn, as every thread here runs it. */
const stepper = (w: Workload, batches: readonly Batch[]): (() => void) => {
  const net = network(w)
  const optimizer = nn.sgd(w.lr)
  const trainStep = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
  let state = nn.trainState(initialParams(w), optimizer)
  let i = 0
  return () => {
    state = trainStep(state, batches[i++ % batches.length]!).state
  }
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

/** The first `rows` rows of a batch, copied. */
const head = (b: Batch, rows: number): Batch => {
  const cut = (t: T.Tensor): T.Tensor => {
    const r = t.size / t.shape[0]!
    return new T.Tensor(t.dtype, [rows, ...t.shape.slice(1)], t.data.slice(0, rows * r))
  }
  return { x: cut(b.x), y: cut(b.y) }
}

/** The worker's side: build the same loop, say ready, step from `go` until `stop`. */
export const serveCeiling = (setup: CeilingSetup, report: (r: CeilingReport) => void): void => {
  if (setup.fast) installFastKernels({ threads: 1 })
  const control = new Int32Array(setup.control)
  const batches = setup.batches.map((b) => ({
    x: new T.Tensor("float32", [b.y.length, b.x.length / b.y.length], b.x),
    y: new T.Tensor("int32", [b.y.length], b.y),
  }))
  const step = stepper(setup.workload, batches)
  for (let i = 0; i < setup.warmupSteps; i++) step()
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

/**
 * Measures the ceiling for `threads` threads on workload `w`, with the first batches of `epoch`
 * cut to shard size, each phase lasting `ms` milliseconds. With `fast`, this thread must already
 * run the fast kernels on one thread; the workers install the same.
 * @example
 * const c = await measureCeiling(large, epochBatches(large, train, 0), { threads: 2, ms: 1500, fast: true })
 * c.ceiling // e.g. 1.93 on two free cores, 1.4 on two that get in each other's way
 */
export const measureCeiling = async (
  w: Workload,
  epoch: Batches,
  { threads, ms, fast }: { readonly threads: number; readonly ms: number; readonly fast: boolean },
): Promise<Ceiling> => {
  const rows = Math.floor(w.batchSize / threads)
  const batches = Array.from({ length: Math.min(32, epoch.length) }, (_, i) =>
    head(epoch.at(i), rows),
  )
  const warmupSteps = w.warmupSteps
  const step = stepper(w, batches)
  for (let i = 0; i < warmupSteps; i++) step()
  const alone = (): number => {
    const until = performance.now() + ms
    return perStep(stepUntil(step, () => performance.now() >= until))
  }
  const before = alone()

  const control = new Int32Array(new SharedArrayBuffer(4 * 3))
  const setup: CeilingSetup = {
    workload: w,
    batches: batches.map((b) => ({
      x: Float32Array.from(b.x.data),
      y: Int32Array.from(b.y.data),
    })),
    control: control.buffer,
    warmupSteps,
    fast,
  }
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
    const until = performance.now() + ms
    const own = perStep(stepUntil(step, () => performance.now() >= until))
    Atomics.store(control, word.stop, 1)
    const others = (await Promise.all(reports)).map(perStep)
    const after = alone()
    const aloneMs = (before + after) / 2
    const togetherMs = [own, ...others]
    return {
      threads,
      rows,
      aloneMs,
      togetherMs,
      ceiling: (threads * aloneMs) / Math.max(...togetherMs),
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
