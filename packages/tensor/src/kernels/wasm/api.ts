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
 * `node:worker_threads` through `process.getBuiltinModule` (Node ≥ 20.16): no import statement,
 * so bundlers for browsers see nothing to resolve, and other runtimes get `undefined`.
 */
export const nodeWorkerThreads = (): NodeWorkerThreads | undefined => {
  const proc = (globalThis as { readonly process?: NodeProcess }).process
  if (typeof proc?.getBuiltinModule !== "function") return undefined
  try {
    return proc.getBuiltinModule("node:worker_threads") as NodeWorkerThreads | undefined
  } catch {
    return undefined
  }
}

/** The number of logical processors Node reports, or 1 where it cannot tell. */
export const availableParallelism = (): number => {
  const proc = (globalThis as { readonly process?: NodeProcess }).process
  if (typeof proc?.getBuiltinModule !== "function") return 1
  try {
    const os = proc.getBuiltinModule("node:os") as { availableParallelism?: () => number }
    return Math.max(1, os.availableParallelism?.() ?? 1)
  } catch {
    return 1
  }
}

/** Milliseconds from a monotonic clock (`performance.now`, else `Date.now`). */
export const now = (): number => {
  const perf = (globalThis as { readonly performance?: { now(): number } }).performance
  return perf === undefined ? Date.now() : perf.now()
}
