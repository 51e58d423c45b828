/**
 * Worker threads that share one wasm memory with the main thread and help it through lists of
 * work items ("chunks"). The main thread's API stays synchronous: it publishes a job, works on
 * chunks itself, and waits (`Atomics.wait`, allowed on Node's main thread) only for chunks a
 * worker has claimed, so a worker that is slow to wake costs nothing but its share.
 *
 * Protocol over the control words at the start of the shared memory:
 * - the main thread writes `CLAIM = tag << 8` first (old claims now fail), then the chunk
 *   table, `TOTAL`, `DONE = 0`, and last `JOB = seq` (tag = seq & 0x7fffff), and notifies `JOB`;
 * - anyone claims chunk c by compare-and-swap of `CLAIM` from `tag << 8 | c` to `… | c + 1`
 *   while c < TOTAL and the tag is the job's; runs it; adds 1 to `DONE` and notifies `DONE`;
 * - the main thread returns once `DONE == TOTAL`. A new job starts only after every chunk of the
 *   previous one is done, so a claim that succeeds always reads the table of its own job.
 * @module
 */
import type { NodeWorker, NodeWorkerThreads, WasmMemory, WasmModule } from "./api.ts"
import { now } from "./api.ts"

/** Index of each control word (Int32 slots from byte 0). */
export const ctrl = {
  job: 0,
  claim: 1,
  done: 2,
  ready: 3,
  error: 4,
  total: 5,
  /** Bytes of A packing space per thread, and where thread 0's starts. */
  apStride: 6,
  apBase: 7,
  /** First word of the chunk table: `chunkWords` words per chunk. */
  table: 16,
} as const

/**
 * Words per chunk: the function then its arguments. Functions are numbered in pairs, one pair
 * per module: 2i is module i's packB (10 arguments), 2i + 1 its gemm (13, the last being the
 * thread's own A packing space, which the table leaves out).
 */
export const chunkWords = 13

/** Chunks one job can hold. */
export const maxChunks = 64

/**
 * `CLAIM` holds the job's tag above the next chunk's index: 8 bits of index (up to `maxChunks`)
 * and 23 of tag, so a claim read before a stall can only succeed again 2²³ jobs later.
 */
const chunkBits = 8
const chunkMask = (1 << chunkBits) - 1
const tagMask = (1 << (31 - chunkBits)) - 1

/** Bytes reserved for control words and the chunk table at the start of memory. */
export const controlBytes = 4096

/**
 * Loads of a control word (~10 ns each) before sleeping on it: the two jobs of one product follow
 * each other within microseconds, and waking from `Atomics.wait` costs tens of them.
 */
const spins = 4000

/** The worker's program (CommonJS, run with `eval: true`). */
const workerSource = `"use strict"
const { workerData } = require("node:worker_threads")
const { modules, memory, id, names } = workerData
const ctrl = new Int32Array(memory.buffer, 0, ${controlBytes / 4})
const fns = modules.flatMap((module, i) => {
  const exports = new WebAssembly.Instance(module, { env: { mem: memory } }).exports
  return names[i].map((name) => exports[name])
})
const run = (c) => {
  const t = ${ctrl.table} + c * ${chunkWords}
  const a = (i) => ctrl[t + 1 + i]
  const fn = ctrl[t]
  if (fn % 2 === 0) fns[fn](a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9))
  else
    fns[fn](a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10), a(11),
      ctrl[${ctrl.apBase}] + id * ctrl[${ctrl.apStride}])
}
let seen = Atomics.load(ctrl, ${ctrl.job})
Atomics.add(ctrl, ${ctrl.ready}, 1)
for (;;) {
  for (let i = 0; i < ${spins} && Atomics.load(ctrl, ${ctrl.job}) === seen; i++);
  Atomics.wait(ctrl, ${ctrl.job}, seen)
  seen = Atomics.load(ctrl, ${ctrl.job})
  const tag = seen & ${tagMask}
  for (;;) {
    const cur = Atomics.load(ctrl, ${ctrl.claim})
    if (cur >>> ${chunkBits} !== tag) break
    const c = cur & ${chunkMask}
    if (c >= Atomics.load(ctrl, ${ctrl.total})) break
    if (Atomics.compareExchange(ctrl, ${ctrl.claim}, cur, cur + 1) !== cur) continue
    try {
      run(c)
    } catch {
      Atomics.store(ctrl, ${ctrl.error}, 1)
    }
    Atomics.add(ctrl, ${ctrl.done}, 1)
    Atomics.notify(ctrl, ${ctrl.done})
  }
}
`

/** A chunk: which function (see `chunkWords`) and its arguments. */
export interface Chunk {
  readonly fn: number
  readonly args: ReadonlyArray<number>
}

/** An exported function of the GEMM modules (all take i32 arguments and return nothing). */
export type GemmFunction = (...args: number[]) => void

/** Worker threads sharing `memory`; `workers` of them plus the calling thread. */
export interface Pool {
  /** Workers that have started and can take chunks. */
  readonly ready: () => number
  /**
   * Runs every chunk, the caller taking part after `meanwhile` (work of its own that the chunks
   * do not need); false if one of them trapped.
   */
  readonly run: (chunks: ReadonlyArray<Chunk>, meanwhile?: () => void) => boolean
  /**
   * Milliseconds the caller spent on the jobs since the last call, working (its own work and
   * chunks) and then waiting for chunks that workers had claimed.
   */
  readonly takeTimes: () => { readonly worked: number; readonly waited: number }
  /** Chunks run so far: in all, and by workers (not the caller). */
  readonly stats: () => { readonly chunks: number; readonly byWorkers: number }
  /** Whether the pool still works (no worker has died). */
  readonly alive: () => boolean
  /** Stops the workers. */
  readonly terminate: () => void
}

/**
 * Starts `workers` threads that instantiate `modules` over the shared `memory`; `names[i]` are
 * module i's packB and gemm exports and `fns` the caller's own instances of them, in the same
 * order. The control words `apBase`/`apStride` place each thread's A packing space (thread 0 is
 * the caller).
 */
export const startPool = (
  threads: NodeWorkerThreads,
  modules: ReadonlyArray<WasmModule>,
  memory: WasmMemory,
  names: ReadonlyArray<readonly [string, string]>,
  fns: ReadonlyArray<GemmFunction>,
  workers: number,
): Pool => {
  const words = new Int32Array(memory.buffer, 0, controlBytes / 4)
  let alive = true
  let seq = Atomics.load(words, ctrl.job)
  const started: NodeWorker[] = []
  for (let id = 1; id <= workers; id++) {
    const w = new threads.Worker(workerSource, {
      eval: true,
      workerData: { modules, memory, id, names },
      // the program's own flags (a loader, --input-type=module) must not apply to this script
      execArgv: [],
    })
    w.unref()
    // the pool stops being used; chunks in flight still finish or set the error word
    w.on("error", () => {
      alive = false
    })
    w.on("exit", () => {
      alive = false
    })
    started.push(w)
  }

  let chunksRun = 0
  let byCaller = 0
  let worked = 0
  let waited = 0

  const runChunk = (c: number): void => {
    const t = ctrl.table + c * chunkWords
    const fn = words[t]!
    const args = Array.from(words.subarray(t + 1, t + 1 + (fn % 2 === 0 ? 10 : 12)))
    if (fn % 2 === 1) args.push(words[ctrl.apBase]!)
    fns[fn]!(...args)
  }

  const run = (chunks: ReadonlyArray<Chunk>, meanwhile?: () => void): boolean => {
    if (chunks.length > maxChunks) throw new Error(`at most ${maxChunks} chunks per job`)
    seq = (seq + 1) & tagMask
    Atomics.store(words, ctrl.claim, seq << chunkBits)
    chunks.forEach((chunk, c) => {
      const t = ctrl.table + c * chunkWords
      words[t] = chunk.fn
      words.set(chunk.args, t + 1)
    })
    Atomics.store(words, ctrl.total, chunks.length)
    Atomics.store(words, ctrl.done, 0)
    Atomics.store(words, ctrl.error, 0)
    Atomics.store(words, ctrl.job, seq)
    Atomics.notify(words, ctrl.job)
    const start = now()
    meanwhile?.()
    for (;;) {
      const cur = Atomics.load(words, ctrl.claim)
      const c = cur & chunkMask
      if (c >= chunks.length) break
      if (Atomics.compareExchange(words, ctrl.claim, cur, cur + 1) !== cur) continue
      byCaller++
      try {
        runChunk(c)
      } catch {
        // a trap: report it like a worker would, after the others are done with this job
        Atomics.store(words, ctrl.error, 1)
      }
      Atomics.add(words, ctrl.done, 1)
    }
    const idle = now()
    for (let i = 0; i < spins && Atomics.load(words, ctrl.done) < chunks.length; i++);
    for (;;) {
      const done = Atomics.load(words, ctrl.done)
      if (done >= chunks.length) break
      Atomics.wait(words, ctrl.done, done)
    }
    chunksRun += chunks.length
    worked += idle - start
    waited += now() - idle
    return Atomics.load(words, ctrl.error) === 0
  }

  return {
    ready: () => (alive ? Atomics.load(words, ctrl.ready) : 0),
    run,
    stats: () => ({ chunks: chunksRun, byWorkers: chunksRun - byCaller }),
    takeTimes: () => {
      const times = { worked, waited }
      worked = 0
      waited = 0
      return times
    },
    alive: () => alive,
    terminate: () => {
      alive = false
      for (const w of started) void w.terminate()
    },
  }
}
