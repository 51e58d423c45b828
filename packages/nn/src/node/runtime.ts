/**
 * The parts of Node this folder uses, typed here (the package compiles without Node's typings,
 * like `@fnn/tensor`'s fast kernels) and looked up through `process.getBuiltinModule`
 * (Node ≥ 20.16), so that a runtime without them means "no workers", never a load error.
 * @module
 */
import { nodeBuiltin } from "@fnn/tensor/internal"

/** A `node:worker_threads` MessagePort, as far as this folder uses it. */
export interface Port {
  postMessage(value: unknown): void
  close(): void
}

/** A `node:worker_threads` Worker, as far as this folder uses it. */
export interface NodeWorker {
  unref(): void
  terminate(): Promise<number>
  on(event: "message" | "error" | "exit", listener: (value: unknown) => void): void
}

/** The subset of `node:worker_threads` in use. */
export interface WorkerThreads {
  readonly Worker: new (
    code: string,
    options: {
      readonly eval: true
      readonly workerData: unknown
      readonly transferList: ReadonlyArray<unknown>
      readonly execArgv: ReadonlyArray<string>
      readonly resourceLimits: { readonly maxYoungGenerationSizeMb: number }
    },
  ) => NodeWorker
  readonly MessageChannel: new () => { readonly port1: Port; readonly port2: Port }
  readonly receiveMessageOnPort: (port: Port) => { readonly message: unknown } | undefined
  readonly workerData: unknown
  readonly parentPort: Port | null
  readonly isMainThread: boolean
}

/** `node:worker_threads`, where threads with shared memory and `Atomics.wait` are available. */
export const workerThreads = (): WorkerThreads | undefined =>
  typeof SharedArrayBuffer === "function" && typeof Atomics === "object"
    ? nodeBuiltin<WorkerThreads>("node:worker_threads")
    : undefined
