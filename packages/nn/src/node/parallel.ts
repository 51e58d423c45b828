/**
 * Data-parallel training steps on worker threads. Each batch is cut into one shard per thread;
 * the calling thread computes the loss and gradients of the first shard while workers compute
 * the others at the same time, then the gradients are averaged (weighted by shard size) and the
 * optimizer update runs once, on the caller. Inputs, parameters and gradients travel through
 * shared memory and the caller waits with `Atomics.wait`, so a step stays a synchronous function.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { DType, Shape, Tensor, TypedArray } from "@fnn/tensor"
import {
  allocate,
  byteSize,
  defaultThreadCount,
  shapesEqual,
  showShape,
} from "@fnn/tensor/internal"
import type { FastKernelThresholds } from "@fnn/tensor/fast"
import { fastKernelThresholds, fastKernelsInstalled } from "@fnn/tensor/fast"
import type { Key } from "../initializers.ts"
import type { Params } from "../layers.ts"
import { describe, fromDescription } from "../layers.ts"
import { renderDescriptionError } from "../description.ts"
import type { OptState } from "../optimizers.ts"
import type { Batch, StepResult, TrainSpec, TrainState } from "../train.ts"
import { applyGradients, lossAndGrad, trainStep } from "../train.ts"
import type {
  ErrorMessage,
  LayoutMessage,
  LossName,
  SlotLayout,
  StartMessage,
  WorkerKernels,
  WorkerSetup,
} from "./protocol.ts"
import {
  claimedByCaller,
  controlWords,
  lossName,
  messageOf,
  op,
  rowSize,
  rowsView,
  shardBounds,
  spins,
  viewOf,
  word,
} from "./protocol.ts"
import type { NodeWorker, Port, WorkerThreads } from "./runtime.ts"
import { workerThreads } from "./runtime.ts"
import { checkOptions } from "../checks.ts"

/** What `parallelTrainStep` needs: `trainStep`'s spec, and how many threads to use. */
export interface ParallelSpec<P extends Params, S extends OptState> extends TrainSpec<P, S> {
  /**
   * Threads that compute shards, the caller included (default `"auto"`: one per core, up to 8).
   * With 1, the step is `trainStep`'s and no worker starts.
   */
  readonly threads?: number | "auto"
  /**
   * Kernels the workers install (each single-threaded): `"auto"` (the default) picks the fast
   * ones (`@fnn/tensor/fast`) when the caller runs them (`fastKernelsInstalled()`), else the
   * reference ones.
   */
  readonly kernels?: "auto" | WorkerKernels
}

/**
 * A training step that is called like `trainStep`'s, `(state, batch, key?) → { state, loss }`,
 * and runs on `threads` threads. `close()` stops its workers (they never keep a process alive,
 * but hold memory until closed); the step throws once closed.
 */
export interface ParallelStep<P extends Params, S extends OptState> {
  (state: TrainState<P, S>, batch: Batch, key?: Key): StepResult<P, S>
  /** Threads taking part in each step (the caller included). */
  readonly threads: number
  /** Stops the workers; resolves once they have exited. */
  readonly close: () => Promise<void>
}

const name = "parallelTrainStep"

const fail: (message: string) => never = (message) => {
  throw new T.TensorError(name, message)
}

const threadCount = (threads: ParallelSpec<Params, OptState>["threads"]): number => {
  if (threads === undefined || threads === "auto") return defaultThreadCount()
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 64)
    return fail(`threads must be "auto" or an integer in [1, 64], got ${String(threads)}`)
  return threads
}

const kernelsOf = (choice: ParallelSpec<Params, OptState>["kernels"]): WorkerKernels => {
  if (choice === "fast" || choice === "reference") return choice
  if (choice !== undefined && choice !== "auto")
    return fail(`kernels must be "auto", "fast" or "reference", got ${JSON.stringify(choice)}`)
  return fastKernelsInstalled() === undefined ? "reference" : "fast"
}

/** Whether two sets of thresholds (or their absence) pick the same kernels for every call. */
const sameThresholds = (
  a: FastKernelThresholds | undefined,
  b: FastKernelThresholds | undefined,
): boolean => a?.minMacs === b?.minMacs && a?.minElements === b?.minElements

/** A parameter tree's structure (flattened with an opaque leaf type, see `step`). */
type Def = T.tree.TreeDef<Tensor, Tensor>

/**
 * `out[t] = Σᵢ weights[i]·parts[i][t]`, summed in float64 in the order of `parts` and rounded
 * once to `out`'s type.
 */
const combine = (
  out: TypedArray,
  parts: ReadonlyArray<TypedArray>,
  weights: ReadonlyArray<number>,
): void => {
  const size = out.length
  const k = parts.length
  if (k === 2) {
    const [a, b] = parts as readonly [TypedArray, TypedArray]
    const [wa, wb] = weights as readonly [number, number]
    // four elements an iteration: the loop's own bookkeeping costs about as much as one
    let t = 0
    for (; t + 4 <= size; t += 4) {
      out[t] = wa * a[t]! + wb * b[t]!
      out[t + 1] = wa * a[t + 1]! + wb * b[t + 1]!
      out[t + 2] = wa * a[t + 2]! + wb * b[t + 2]!
      out[t + 3] = wa * a[t + 3]! + wb * b[t + 3]!
    }
    for (; t < size; t++) out[t] = wa * a[t]! + wb * b[t]!
    return
  }
  const first = parts[0]!
  const w0 = weights[0]!
  for (let t = 0; t < size; t++) {
    let sum = w0 * first[t]!
    for (let i = 1; i < k; i++) sum += weights[i]! * parts[i]![t]!
    out[t] = sum
  }
}

/**
 * The arrays of `grads` (one per leaf, computed on this thread in this step) that the combined
 * gradients may overwrite: those of the leaf's size that share memory with no other gradient,
 * parameter or batch array (a gradient can be a view of another value, e.g. through a reshape).
 * The others are `undefined`. `combine` reads element `t` of every part before writing it, so
 * an output that is also a part is fine.
 */
const writableGrads = (
  grads: ReadonlyArray<TypedArray>,
  leaves: ReadonlyArray<Tensor>,
  batch: Batch,
): ReadonlyArray<TypedArray | undefined> => {
  const uses = new Map<ArrayBufferLike, number>()
  const count = (a: TypedArray): void => {
    uses.set(a.buffer, (uses.get(a.buffer) ?? 0) + 1)
  }
  grads.forEach(count)
  leaves.forEach((l) => count(l.data))
  count(batch.x.data)
  count(batch.y.data)
  return grads.map((g, j) =>
    g.length === leaves[j]!.size &&
    g.constructor === leaves[j]!.data.constructor &&
    uses.get(g.buffer) === 1
      ? g
      : undefined,
  )
}

/** A shared buffer and its typed view. */
interface Shared {
  readonly buffer: SharedArrayBuffer
  readonly view: TypedArray
}

const share = (dtype: DType, n: number): Shared => {
  const buffer = new SharedArrayBuffer(n * byteSize(dtype))
  return { buffer, view: viewOf(dtype, buffer) }
}

interface Slot extends Shared {
  readonly dtype: DType
  readonly rowShape: Shape
  readonly capacity: number
}

const slotLayout = (s: Slot): SlotLayout => ({
  dtype: s.dtype,
  rowShape: s.rowShape,
  buffer: s.buffer,
})

/** A slot for `rows` rows like `t`'s: `current` if it fits, else a new one. */
const fitSlot = (current: Slot | undefined, t: Tensor, needed: number): Slot => {
  const rowShape = t.shape.slice(1)
  if (
    current !== undefined &&
    current.dtype === t.dtype &&
    shapesEqual(current.rowShape, rowShape) &&
    current.capacity >= needed
  )
    return current
  return {
    ...share(t.dtype, needed * rowSize(t.shape)),
    dtype: t.dtype,
    rowShape,
    capacity: needed,
  }
}

/** The shared buffers in use: parameters, gradients per worker, inputs. */
interface Layout {
  readonly version: number
  readonly def: Def
  readonly skeleton: unknown
  readonly leaves: ReadonlyArray<{ readonly dtype: DType; readonly shape: Shape } & Shared>
  /** `grads[w][i]`: worker `w`'s gradient of leaf `i`. */
  readonly grads: ReadonlyArray<ReadonlyArray<Shared>>
  readonly x: Slot
  readonly y: Slot
  /** The tensors whose values are in the shared parameter buffers now. */
  readonly written: (Tensor | undefined)[]
}

const sameLeaves = (layout: Layout, def: Def, leaves: Tensor[]): boolean =>
  layout.def.equals(def) &&
  leaves.every(
    (l, i) => l.dtype === layout.leaves[i]!.dtype && shapesEqual(l.shape, layout.leaves[i]!.shape),
  )

interface Pool {
  readonly workers: ReadonlyArray<NodeWorker>
  /** The caller's ends of the workers' channels. */
  readonly ports: ReadonlyArray<Port>
  readonly control: Int32Array
  readonly losses: Float64Array
  /** Why a worker stopped after starting, once the caller's event loop has heard of it. */
  readonly failure: () => string | undefined
}

/**
 * The code a worker runs: an `import()` of its entry module (`worker.js` when built; from the
 * workspace's TypeScript sources, `worker-tsx.mjs`, which loads them through tsx).
 */
const bootstrap = (entry: string): string => `import(${JSON.stringify(entry)})`

/** The export condition under which workspace packages resolve to their TypeScript sources. */
const sourceCondition = "@fnn/source"

/** The young generation of each worker's heap, in MiB (see `startPool`). */
const youngGenerationMb = 4

/** Starts `count` workers and resolves once all of them are ready. */
const startPool = async (
  api: WorkerThreads,
  count: number,
  setup: Omit<WorkerSetup, "index" | "port" | "control" | "losses">,
): Promise<Pool> => {
  // Built code starts the built worker; the workspace's sources start theirs through tsx, with
  // the export condition that resolves the other workspace packages to their sources too.
  const fromSources = import.meta.url.endsWith(".ts")
  const entry = new URL(fromSources ? "./worker-tsx.mjs" : "./worker.js", import.meta.url).href
  const control = new Int32Array(new SharedArrayBuffer(4 * controlWords * count))
  const losses = new Float64Array(new SharedArrayBuffer(8 * count))
  const workers: NodeWorker[] = []
  const ports: Port[] = []
  let ready = false
  let failure: string | undefined
  const start = (index: number): Promise<void> => {
    const channel = new api.MessageChannel()
    const worker = new api.Worker(bootstrap(entry), {
      eval: true,
      workerData: {
        ...setup,
        index,
        port: channel.port2,
        control: control.buffer,
        losses: losses.buffer,
      } satisfies WorkerSetup,
      transferList: [channel.port2],
      // the program's own flags (a loader, --input-type) are not for this script
      execArgv: fromSources ? [`--conditions=${sourceCondition}`] : [],
      // A step's tensors die within the step: with a small young generation they are freed by
      // frequent cheap scavenges, where a large one let their buffers pile up until V8 ran a
      // full collection every few dozen steps, each stalling the whole step (784-128-64-10,
      // batch 128, 2 cores: 90th percentile of step times 5.3–6.0 ms → 3.7–4.6 ms).
      resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
    })
    workers.push(worker)
    ports.push(channel.port1)
    return new Promise<void>((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        const s = m as StartMessage
        if ("ready" in s) resolve()
        else reject(new T.TensorError(name, `a worker could not start: ${s.failed}`))
      }
      // both stay: after start-up they record why the pool stopped working (and a worker's error
      // must not become the caller's uncaught exception)
      const onError = (e: unknown): void => {
        if (ready) failure ??= `worker ${index + 1} failed: ${messageOf(e)}`
        reject(new T.TensorError(name, `a worker could not start: ${messageOf(e)}`))
      }
      const onExit = (code: unknown): void => {
        if (ready) failure ??= `worker ${index + 1} exited (code ${String(code)})`
        reject(new T.TensorError(name, `a worker exited while starting (code ${String(code)})`))
      }
      worker.on("message", onMessage)
      worker.on("error", onError)
      worker.on("exit", onExit)
    })
  }
  try {
    await Promise.all(Array.from({ length: count }, (_, index) => start(index)))
  } catch (e) {
    // the workers started so far, even if starting the next one threw
    await Promise.all(workers.map((w) => w.terminate()))
    for (const p of ports) p.close()
    throw e instanceof T.TensorError
      ? e
      : new T.TensorError(name, `a worker could not start: ${messageOf(e)}`)
  }
  ready = true
  // from now on a forgotten close() must not keep the process alive
  for (const w of workers) w.unref()
  return { workers, ports, control, losses, failure: () => failure }
}

/**
 * A data-parallel `trainStep` for Node: each batch is cut into `threads` shards of nearly equal
 * size (shard `i` is rows `[⌊i·n/k⌋, ⌊(i+1)·n/k⌋)` with `k = min(threads, n)`); the caller
 * computes the first shard's loss and gradients while worker threads compute the others, the
 * gradients are combined as `Σᵢ (nᵢ/n)·gᵢ` (the gradient of the whole batch's mean loss) and the
 * optimizer update runs once. The step is synchronous and called exactly like `trainStep`'s.
 *
 * Results: the same thread count and inputs give bit-identical results (fixed shards, fixed
 * order of combination), but they differ from the one-thread step in the last bits (sums taken
 * in another order); with a `key`, shard `i` gets `T.random.foldIn(key, i)`, so dropout masks
 * differ from the one-thread step's. A batch of one row, or `threads: 1`, gives exactly
 * `trainStep`'s result.
 *
 * Speed: only the shards run in parallel; combining the gradients and the optimizer update run
 * on the caller alone, and every shard pays the fixed costs of a pass. It pays off when the
 * forward and backward passes of a batch dominate the step (large batches and layers), not for
 * small ones.
 *
 * Requirements: the loss is one of `mse`, `softmaxCrossEntropy`, `binaryCrossEntropy` (workers
 * rebuild it by name), and the network is rebuilt in each worker from `describe(net)` (layers of
 * this package). Workers use the fast kernels (single-threaded, with the caller's thresholds) if
 * the caller has installed them: install them with `threads: 1` on the caller, as the workers
 * already use the other cores. Kernels the caller sets with `useKernels` stay on the caller.
 * Workers start in the background, ready when the promise resolves; `close()` stops them.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import { parallelTrainStep } from "@fnn/nn/node"
 * import { installFastKernels } from "@fnn/tensor/fast"
 * installFastKernels({ threads: 1 })
 * const net = nn.serial(nn.Dense(128), nn.Relu, nn.Dense(64), nn.Relu, nn.Dense(10))
 * const optimizer = nn.sgd(0.1)
 * const step = await parallelTrainStep({ net, loss: nn.softmaxCrossEntropy, optimizer, threads: 2 })
 * let state = nn.trainState(params, optimizer)
 * for (const batch of batches) ({ state } = step(state, batch))
 * await step.close()
 */
export const parallelTrainStep = async <P extends Params, S extends OptState>(
  spec: ParallelSpec<P, S>,
): Promise<ParallelStep<P, S>> => {
  const { net, loss, optimizer, threads } = checkOptions("parallelTrainStep", spec, {
    net: "object",
    loss: "function",
    optimizer: "object",
    threads: (v) => (v === "auto" || typeof v === "number" ? undefined : `"auto" or an integer`),
    kernels: ["auto", "fast", "reference"],
  })
  const threadsWanted = threadCount(threads)
  const single = trainStep({ net, loss, optimizer })
  const api = workerThreads()
  if (threadsWanted === 1 || api === undefined) {
    let over = false
    return Object.assign(
      (state: TrainState<P, S>, batch: Batch, key?: Key) => {
        if (over) fail("this step was closed")
        return single(state, batch, key)
      },
      {
        threads: 1,
        close: () => {
          over = true
          return Promise.resolve()
        },
      },
    )
  }
  const named: LossName | undefined = lossName(loss)
  if (named === undefined)
    fail(
      "the loss must be one of nn.mse, nn.softmaxCrossEntropy, nn.binaryCrossEntropy (workers " +
        "rebuild it by name; a wrapper or custom loss cannot be sent to them)",
    )
  const described = describe(net)
  const description: unknown = JSON.parse(JSON.stringify(described))
  const rebuilt = fromDescription(description)
  if (E.isLeft(rebuilt))
    fail(
      `workers rebuild the network from nn.describe(net), which does not describe it: ` +
        renderDescriptionError(rebuilt.left),
    )
  const workerKernels = kernelsOf(spec.kernels)
  const workerThresholds = workerKernels === "fast" ? fastKernelThresholds() : undefined
  const pool = await startPool(api, threadsWanted - 1, {
    description: described,
    loss: named,
    kernels: workerKernels,
    thresholds: workerThresholds,
  })
  const { control, losses, ports, workers } = pool
  const at = (w: number, slot: number): number => w * controlWords + slot

  let layout: Layout | undefined
  let seq = 0
  let closed = false

  /** The layout version each worker was sent last. */
  const posted: number[] = workers.map(() => 0)

  /**
   * Sends worker `w` layout `l` unless it has it. Only a worker given a job needs the layout, so
   * workers a small batch leaves idle are not sent layouts they would never read.
   */
  const sendLayout = (w: number, l: Layout): void => {
    if (posted[w] === l.version) return
    ports[w]!.postMessage({
      version: l.version,
      skeleton: l.skeleton,
      params: l.leaves.map((leaf) => ({
        dtype: leaf.dtype,
        shape: leaf.shape,
        buffer: leaf.buffer,
      })),
      grads: l.grads[w]!.map((g) => g.buffer),
      x: slotLayout(l.x),
      y: slotLayout(l.y),
    } satisfies LayoutMessage)
    posted[w] = l.version
  }

  /** The layout for these parameters and inputs (workers get it with their next job). */
  const ensureLayout = (
    def: Def,
    leaves: Tensor[],
    x: Tensor,
    y: Tensor,
    workerRows: number,
  ): Layout => {
    const keep = layout !== undefined && sameLeaves(layout, def, leaves)
    const xSlot = fitSlot(layout?.x, x, workerRows)
    const ySlot = fitSlot(layout?.y, y, workerRows)
    if (keep && xSlot === layout!.x && ySlot === layout!.y) return layout!
    const params = keep
      ? layout!.leaves
      : leaves.map((l) => ({ dtype: l.dtype, shape: l.shape, ...share(l.dtype, l.size) }))
    const grads = keep
      ? layout!.grads
      : workers.map(() => leaves.map((l) => share(l.dtype, l.size)))
    const next: Layout = {
      version: (layout?.version ?? 0) + 1,
      def,
      skeleton: keep
        ? layout!.skeleton
        : T.tree.unflatten(
            def,
            leaves.map((_, i) => i),
          ),
      leaves: params,
      grads,
      x: xSlot,
      y: ySlot,
      written: keep ? layout!.written : leaves.map(() => undefined),
    }
    layout = next
    return next
  }

  const awaitDone = (w: number, job: number): void => {
    const done = at(w, word.done)
    for (let i = 0; i < spins && Atomics.load(control, done) !== job; i++);
    for (;;) {
      const value = Atomics.load(control, done)
      if (value === job) return
      Atomics.wait(control, done, value)
    }
  }

  const workerError = (w: number): string => {
    let message = "failed"
    for (let m = api.receiveMessageOnPort(ports[w]!); m !== undefined;) {
      message = (m.message as ErrorMessage).error
      m = api.receiveMessageOnPort(ports[w]!)
    }
    return message
  }

  /** A shard computed on this thread: its mean loss and gradient leaves. */
  type Local = { readonly loss: number; readonly grads: ReadonlyArray<TypedArray> }

  const computeLocal = (params: P, batch: Batch, key: Key | undefined): Local => {
    const [value, grads] = lossAndGrad(net, loss, params, batch, key)
    return { loss: T.item(value), grads: T.tree.leaves<Tensor>(grads).map((g) => g.data) }
  }

  const step = (state: TrainState<P, S>, batch: Batch, key?: Key): StepResult<P, S> => {
    if (closed) fail("this step was closed")
    const failure = pool.failure()
    if (failure !== undefined) fail(`its worker threads stopped: ${failure}`)
    const { x, y } = batch
    if (!T.isTensor(x) || !T.isTensor(y) || x.rank < 1 || y.rank < 1 || x.shape[0] !== y.shape[0])
      fail(
        `the batch's x and y must be tensors with the same number of rows on their first axis, ` +
          `got ${T.isTensor(x) ? showShape(x.shape) : typeof x} and ${T.isTensor(y) ? showShape(y.shape) : typeof y}`,
      )
    const n = x.shape[0]!
    if (n === 0) fail("the batch is empty")
    const k = Math.min(workers.length + 1, n)
    if (k === 1) return single(state, batch, key)
    const bounds = shardBounds(n, k)
    const first = bounds[1]!
    const shard = (i: number): Batch => ({
      x: rowsView(x.dtype, x.shape.slice(1), x.data, bounds[i]!, bounds[i + 1]!),
      y: rowsView(y.dtype, y.shape.slice(1), y.data, bounds[i]!, bounds[i + 1]!),
    })
    const keys =
      key === undefined ? undefined : bounds.slice(0, k).map((_, i) => T.random.foldIn(key, i))
    const shardKey = (i: number): Key | undefined => keys?.[i]
    // flattened as an opaque leaf type: the structure is the caller's, P again when rebuilt
    const [leaves, def] = T.tree.flatten<Tensor>(state.params as unknown as Tensor)
    const l = ensureLayout(def, leaves, x, y, n - first)
    leaves.forEach((leaf, i) => {
      if (l.written[i] === leaf) return
      l.leaves[i]!.view.set(leaf.data)
      l.written[i] = leaf
    })
    l.x.view.set(x.data.subarray(first * rowSize(x.shape)))
    l.y.view.set(y.data.subarray(first * rowSize(y.shape)))
    seq = seq === 0x7fffffff ? 1 : seq + 1
    for (let w = 0; w < k - 1; w++) {
      sendLayout(w, l)
      control[at(w, word.op)] = op.step
      control[at(w, word.layout)] = l.version
      control[at(w, word.offset)] = bounds[w + 1]! - first
      control[at(w, word.rows)] = bounds[w + 2]! - bounds[w + 1]!
      const wKey = shardKey(w + 1)
      control[at(w, word.hasKey)] = wKey === undefined ? 0 : 1
      if (wKey !== undefined) {
        const [k0, k1] = T.random.keyData(wKey)
        control[at(w, word.key0)] = k0 | 0
        control[at(w, word.key1)] = k1 | 0
      }
      // the job's words above are complete once `claim` says the job is there
      Atomics.store(control, at(w, word.claim), seq)
      Atomics.store(control, at(w, word.job), seq)
      Atomics.notify(control, at(w, word.job))
    }
    // A shard whose worker has not claimed it by the time this thread is done with its own
    // (the worker is slow to wake, or the machine is busy) is computed here. The result is
    // the same bits either way, as long as both threads use the same kernels with the same
    // thresholds (which calls run in WebAssembly decides how float32 products round).
    const steal =
      kernelsOf("auto") === workerKernels &&
      sameThresholds(fastKernelThresholds(), workerThresholds)
    const computed: (Local | undefined)[] = []
    let localError: unknown
    try {
      computed[0] = computeLocal(state.params, shard(0), shardKey(0))
    } catch (e) {
      localError = e
    }
    for (let w = 0; w < k - 1; w++) {
      const taken =
        steal &&
        localError === undefined &&
        Atomics.compareExchange(control, at(w, word.claim), seq, claimedByCaller) === seq
      if (!taken) {
        // the worker reads the shared buffers until it is done: wait for it even after an error
        awaitDone(w, seq)
        continue
      }
      try {
        computed[w + 1] = computeLocal(state.params, shard(w + 1), shardKey(w + 1))
      } catch (e) {
        localError = e
      }
    }
    if (localError !== undefined)
      throw localError instanceof Error
        ? localError
        : new T.TensorError(name, messageOf(localError))
    for (let w = 0; w < k - 1; w++)
      if (computed[w + 1] === undefined && control[at(w, word.status)] !== 0)
        fail(
          `the shard of worker ${w + 1}, rows ${bounds[w + 1]!} to ${bounds[w + 2]! - 1} of the ` +
            `batch, failed (positions below count from row ${bounds[w + 1]!}): ${workerError(w)}`,
        )
    const weights = Array.from({ length: k }, (_, i) => (bounds[i + 1]! - bounds[i]!) / n)
    let meanLoss = 0
    for (let i = 0; i < k; i++) meanLoss += weights[i]! * (computed[i]?.loss ?? losses[i - 1]!)
    // the sum goes into this thread's own gradient arrays where nothing else can see them
    const own = writableGrads(computed[0]!.grads, leaves, batch)
    const combined = leaves.map((leaf, j) => {
      const parts = Array.from(
        { length: k },
        (_, i) => computed[i]?.grads[j] ?? l.grads[i - 1]![j]!.view,
      )
      const out = own[j] ?? allocate(leaf.dtype, leaf.size)
      combine(out, parts, weights)
      return new T.Tensor(leaf.dtype, leaf.shape, out)
    })
    const grads = T.tree.unflatten(def, combined) as unknown as P
    return { state: applyGradients(optimizer, state, grads), loss: meanLoss }
  }

  let closing: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    closed = true
    seq = seq === 0x7fffffff ? 1 : seq + 1
    workers.forEach((_, w) => {
      control[at(w, word.op)] = op.stop
      Atomics.store(control, at(w, word.job), seq)
      Atomics.notify(control, at(w, word.job))
    })
    await Promise.all(workers.map((w) => w.terminate()))
    for (const p of ports) p.close()
  }
  // every call, the first included, resolves once the workers have exited
  const close = (): Promise<void> => (closing ??= stop())

  return Object.assign(step, { threads: threadsWanted, close })
}
