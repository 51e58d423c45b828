/**
 * The program of a `parallelTrainStep` worker thread: rebuilds the network from its description
 * and the loss from its name, installs the same kind of kernels as the caller (single-threaded),
 * says it is ready, then computes the loss and gradients of the shards it is given, forever (see
 * `protocol.ts`). Started by `parallel.ts`; not an entry point for users.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import * as T from "@fnn/tensor"
import type { DType, Shape, Tensor, TypedArray } from "@fnn/tensor"
import { installFastKernels } from "@fnn/tensor/fast"
import { renderDescriptionError } from "../description.ts"
import { fromDescription } from "../build.ts"
import type { Params } from "../layers.ts"
import { lossAndGrad } from "../train.ts"
import type {
  ErrorMessage,
  LayoutMessage,
  SlotLayout,
  StartMessage,
  WorkerSetup,
} from "./protocol.ts"
import {
  claimedByWorker,
  controlWords,
  lossesByName,
  op,
  messageOf,
  rowsView,
  spins,
  viewOf,
  word,
} from "./protocol.ts"
import type { Port, WorkerThreads } from "./runtime.ts"
import { workerThreads } from "./runtime.ts"

interface Slot {
  readonly dtype: DType
  readonly rowShape: Shape
  readonly data: TypedArray
}

/** A layout message made usable: typed views and the parameter tree over shared memory. */
interface Layout {
  readonly version: number
  readonly params: Params
  readonly grads: ReadonlyArray<TypedArray>
  readonly x: Slot
  readonly y: Slot
}

const slot = (s: SlotLayout): Slot => ({
  dtype: s.dtype,
  rowShape: s.rowShape,
  data: viewOf(s.dtype, s.buffer),
})

const isIndex = (x: unknown): x is number => typeof x === "number"

const layoutOf = (m: LayoutMessage): Layout => {
  // Tensors over memory the caller rewrites between jobs: they live for one job only.
  const leaves = m.params.map((p) => new T.Tensor(p.dtype, p.shape, viewOf(p.dtype, p.buffer)))
  const [indices, def] = T.tree.flatten(m.skeleton as T.Tree<number>, { isLeaf: isIndex })
  return {
    version: m.version,
    params: T.tree.unflatten(
      def,
      indices.map((i) => leaves[i]!),
    ) as Params,
    grads: m.grads.map((g, i) => viewOf(m.params[i]!.dtype, g)),
    x: slot(m.x),
    y: slot(m.y),
  }
}

const serve = (threads: WorkerThreads, setup: WorkerSetup, parent: Port): void => {
  const port = setup.port as Port
  if (setup.kernels === "fast") installFastKernels({ threads: 1, ...setup.thresholds })
  const built = fromDescription(setup.description)
  if (E.isLeft(built)) {
    parent.postMessage({ failed: renderDescriptionError(built.left) } satisfies StartMessage)
    return
  }
  const net = built.right
  const loss = lossesByName[setup.loss]
  const control = new Int32Array(setup.control)
  const losses = new Float64Array(setup.losses)
  const base = setup.index * controlWords
  const at = (w: number): number => base + w
  let layout: Layout | undefined
  // Layout messages are posted before the job that needs them is published.
  const adopt = (version: number): Layout => {
    for (;;) {
      const received = threads.receiveMessageOnPort(port)
      if (received === undefined) {
        Atomics.wait(control, at(word.job), Atomics.load(control, at(word.job)), 1)
        continue
      }
      const m = received.message as LayoutMessage
      if (m.version === version) return layoutOf(m)
    }
  }
  // read before saying "ready": the first job may be published at once after that
  let seen = Atomics.load(control, at(word.job))
  parent.postMessage({ ready: true } satisfies StartMessage)
  for (;;) {
    for (let i = 0; i < spins && Atomics.load(control, at(word.job)) === seen; i++);
    Atomics.wait(control, at(word.job), seen)
    const job = Atomics.load(control, at(word.job))
    if (job === seen) continue
    seen = job
    if (control[at(word.op)] === op.stop) return
    // the caller may have taken the job already; then there is nothing to do until the next
    if (Atomics.compareExchange(control, at(word.claim), job, claimedByWorker) !== job) continue
    let status = 0
    try {
      const version = control[at(word.layout)]!
      if (layout?.version !== version) layout = adopt(version)
      const offset = control[at(word.offset)]!
      const rows = control[at(word.rows)]!
      const key =
        control[at(word.hasKey)] === 1
          ? T.random.keyFromData([control[at(word.key0)]! >>> 0, control[at(word.key1)]! >>> 0])
          : undefined
      const rowsOf = (s: Slot): Tensor =>
        rowsView(s.dtype, s.rowShape, s.data, offset, offset + rows)
      const batch = { x: rowsOf(layout.x), y: rowsOf(layout.y) }
      const [value, grads] = lossAndGrad(net, loss, layout.params, batch, key)
      const g = T.tree.leaves(grads)
      layout.grads.forEach((out, i) => out.set(g[i]!.data))
      losses[setup.index] = T.item(value)
    } catch (e) {
      port.postMessage({ error: messageOf(e) } satisfies ErrorMessage)
      status = 1
    }
    control[at(word.status)] = status
    Atomics.store(control, at(word.done), seen)
    Atomics.notify(control, at(word.done))
  }
}

const threads = workerThreads()
if (threads !== undefined && !threads.isMainThread && threads.parentPort !== null)
  serve(threads, threads.workerData as WorkerSetup, threads.parentPort)
