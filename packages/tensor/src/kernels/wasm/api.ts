/**
 * The parts of the WebAssembly and Node APIs the fast kernels use, typed here because the package
 * compiles against ES2022 only (no DOM or Node typings), and looked up at run time so that their
 * absence means "fall back", never a load error.
 * @module
 */

/** A compiled module (opaque). */
export type WasmModule = object

/** A linear memory; `buffer` is replaced (same contents) each time it grows. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow(pages: number): number
}

/** The subset of the `WebAssembly` namespace in use. */
export interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule
  readonly Instance: new (
    module: WasmModule,
    imports: { readonly env: { readonly mem: WasmMemory } },
  ) => { readonly exports: Readonly<Record<string, unknown>> }
  readonly Memory: new (descriptor: {
    initial: number
    maximum: number
    shared?: boolean
  }) => WasmMemory
  validate(bytes: Uint8Array): boolean
  compile(bytes: Uint8Array): Promise<WasmModule>
}

/** `WebAssembly`, if this runtime has it. */
export const wasmApi = (): WasmApi | undefined =>
  (globalThis as unknown as { readonly WebAssembly?: WasmApi }).WebAssembly

/** A `node:worker_threads` Worker, as far as the pool uses it. */
export interface NodeWorker {
  unref(): void
  terminate(): Promise<number>
  on(event: "error" | "exit", listener: (value: unknown) => void): void
}

/** The subset of `node:worker_threads` in use. */
export interface NodeWorkerThreads {
  readonly Worker: new (
    code: string,
    options: {
      readonly eval: true
      readonly workerData: unknown
      readonly execArgv: ReadonlyArray<string>
    },
  ) => NodeWorker
  readonly isMainThread: boolean
}

interface NodeProcess {
  readonly getBuiltinModule?: (id: string) => unknown
}

/**
 * A Node built-in module through `process.getBuiltinModule` (Node ≥ 20.16): no import statement,
 * so bundlers for browsers see nothing to resolve, and other runtimes get `undefined`.
 */
export const nodeBuiltin = <M>(id: string): M | undefined => {
  const proc = (globalThis as { readonly process?: NodeProcess }).process
  if (typeof proc?.getBuiltinModule !== "function") return undefined
  try {
    return proc.getBuiltinModule(id) as M | undefined
  } catch {
    return undefined
  }
}

/** `node:worker_threads`, or `undefined` outside Node (see `nodeBuiltin`). */
export const nodeWorkerThreads = (): NodeWorkerThreads | undefined =>
  nodeBuiltin<NodeWorkerThreads>("node:worker_threads")

/** The number of logical processors Node reports, or 1 where it cannot tell. */
export const availableParallelism = (): number => {
  const os = nodeBuiltin<{ availableParallelism?: () => number }>("node:os")
  return Math.max(1, os?.availableParallelism?.() ?? 1)
}

/** Threads to use when asked for "auto": one per logical processor, up to 8. */
export const defaultThreadCount = (): number => Math.min(8, availableParallelism())

/** Milliseconds from a monotonic clock (`performance.now`, else `Date.now`). */
export const now = (): number => {
  const perf = (globalThis as { readonly performance?: { now(): number } }).performance
  return perf === undefined ? Date.now() : perf.now()
}
