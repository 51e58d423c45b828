/**
 * `@fnn/tensor/fast`: installs the fast kernels — matrix products in WebAssembly SIMD (float32
 * and float64) on the calling thread and, in Node ≥ 20.16, on worker threads that share its
 * memory; convolutions as those products over patch matrices (im2col); and float32 `add`, `sub`, `mul`, `div`, comparisons and `where` in WebAssembly SIMD on
 * the calling thread. Every other primitive, and every call a fast path declines (int32 products,
 * short arrays, unusual broadcasts, too big for its memory), keeps the reference kernel. Nothing
 * happens on import: a program opts in once, at startup. Browser-safe: worker threads are looked
 * up at run time, never imported.
 *
 * Elementwise results equal the reference kernels' bit for bit. Products equal them up to float
 * rounding: the fast float32 path sums in float32 (the reference sums in float64 and rounds
 * once), so elements can differ by about `k · 2⁻²⁴ · Σ|aᵢ||bᵢ|` (plus `k · 2⁻¹⁴⁹` where products
 * underflow); where a float32 partial sum overflows, the fast path gives ±∞ or NaN, as float32
 * BLAS does, where the reference's float64 sum can come back into range. Products do not depend
 * on the number of threads: each element is summed in the same order either way.
 * @module
 */
import type { Kernel } from "../dispatch.ts"
import { currentKernels, useKernels } from "../dispatch.ts"
import { defaultThreadCount, nodeWorkerThreads, wasmApi } from "./wasm/api.ts"
import type { CompiledModules, GemmEngine } from "./wasm/engine.ts"
import { compileModulesAsync, createEngine } from "./wasm/engine.ts"
import { wasmMatmul } from "./wasm/matmul.ts"
import { im2colConv } from "./im2col.ts"
import { compileElementwiseAsync, wasmElementwise } from "./wasm/elementwise.ts"

/** What `installFastKernels` put in place. */
export interface FastKernels {
  /** Which implementation float matrix products use. */
  readonly matmul: "wasm-simd" | "js"
  /** Which implementation float32 arithmetic, comparisons and `where` use. */
  readonly elementwise: "wasm-simd" | "js"
  /** Threads that may share a large product, the caller included (1: no workers). */
  readonly threads: number
}

/** Choices for `installFastKernels`; the defaults suit most programs. */
export interface FastKernelOptions {
  /**
   * Threads for large products, the caller included. `"auto"` (the default) is one per core, up
   * to 8, in Node ≥ 20.16, and 1 elsewhere (browsers never get workers from here).
   */
  readonly threads?: number | "auto"
  /** Products (per batch item) with fewer multiply-adds run in JavaScript (default: none). */
  readonly minMacs?: number
  /** Products with fewer multiply-adds (default 2²²) do not wake the workers. */
  readonly threadMinMacs?: number
  /** Elementwise results with fewer elements (default 128) are computed in JavaScript. */
  readonly minElements?: number
}

/**
 * Defaults measured on x86-64 (Node 20, 2 cores): WebAssembly wins from the smallest products
 * (4×4·4×4 takes ~0.4 µs against ~2 µs in JavaScript), and a second thread from a few million
 * multiply-adds (128×784·784×128: ~1.3× faster; 128×128·128×128 barely pays for waking a worker).
 * When other programs keep the cores busy, workers start late and a product waits for them;
 * after two such products in a row the next 16 large ones run on the calling thread alone.
 * Elementwise calls break even near 100 elements (float32 `add`, 256 elements: 2.2 µs against
 * 3.1 µs; 100,352: 74 µs against 290 µs).
 */
export const fastKernelDefaults = {
  minMacs: 0,
  threadMinMacs: 1 << 22,
  coolDown: 16,
  minElements: 128,
} as const

let installed:
  | {
      readonly engine: GemmEngine
      readonly matmul: Kernel<"matmul">
      readonly elementwise: boolean
      readonly thresholds: FastKernelThresholds
      readonly restore: () => void
    }
  | undefined

const threadCount = (threads: FastKernelOptions["threads"]): number => {
  if (threads === undefined || threads === "auto")
    return nodeWorkerThreads() === undefined ? 1 : defaultThreadCount()
  return Number.isFinite(threads) ? Math.max(1, Math.min(64, Math.floor(threads))) : 1
}

const sharedWanted = (threads: number): boolean =>
  threads > 1 && nodeWorkerThreads() !== undefined && typeof SharedArrayBuffer === "function"

const fallback: FastKernels = { matmul: "js", elementwise: "js", threads: 1 }

/**
 * What earlier installations made, kept until `uninstallFastKernels`: engines (with their memory
 * and worker threads) by thread count and threshold, elementwise kernels by threshold. A program
 * that installs again and again (a benchmark switching thread counts) reuses them rather than
 * leaving memories behind at every switch, which made V8 collect its whole heap every few dozen
 * steps for the rest of the process.
 */
const engines = new Map<string, GemmEngine>()
const elementwiseKernels = new Map<number, NonNullable<ReturnType<typeof wasmElementwise>>>()

const install = (options: FastKernelOptions, compiled?: CompiledModules): FastKernels => {
  installed?.restore()
  installed = undefined
  const api = wasmApi()
  if (api === undefined) {
    uninstallFastKernels()
    return fallback
  }
  const engineOptions = {
    threads: threadCount(options.threads),
    threadMinMacs: options.threadMinMacs ?? fastKernelDefaults.threadMinMacs,
    coolDown: fastKernelDefaults.coolDown,
  }
  const key = `${engineOptions.threads} ${engineOptions.threadMinMacs}`
  const engine = engines.get(key) ?? createEngine(api, engineOptions, compiled)
  if (engine === undefined) {
    uninstallFastKernels()
    return fallback
  }
  engines.set(key, engine)
  const thresholds: FastKernelThresholds = {
    minMacs: options.minMacs ?? fastKernelDefaults.minMacs,
    minElements: options.minElements ?? fastKernelDefaults.minElements,
  }
  const matmul = wasmMatmul(engine, thresholds)
  const elementwise =
    elementwiseKernels.get(thresholds.minElements) ?? wasmElementwise(api, thresholds)
  if (elementwise !== undefined) elementwiseKernels.set(thresholds.minElements, elementwise)
  const restore = useKernels({ matmul, conv: im2colConv(matmul), ...elementwise })
  installed = { engine, matmul, elementwise: elementwise !== undefined, thresholds, restore }
  return report(installed)
}

const report = (i: NonNullable<typeof installed>): FastKernels => ({
  matmul: "wasm-simd",
  elementwise: i.elementwise ? "wasm-simd" : "js",
  threads: i.engine.threads,
})

/**
 * Replaces the matmul and elementwise kernels with the WebAssembly SIMD ones (and starts worker
 * threads for products in Node). Synchronous; call it once at startup. Falls back to the
 * JavaScript kernels, and says so, where WebAssembly SIMD is missing or synchronous compilation
 * is refused (use `installFastKernelsAsync` there). Calling it again replaces the previous
 * installation; what earlier calls made (memory, worker threads, asleep) is kept for reuse until
 * `uninstallFastKernels`.
 * @example
 * import { installFastKernels } from "@fnn/tensor/fast"
 * const fast = installFastKernels()
 * // { matmul: "wasm-simd", elementwise: "wasm-simd", threads: 2 } on a 2-core machine
 */
export const installFastKernels = (options: FastKernelOptions = {}): FastKernels => install(options)

/**
 * As `installFastKernels`, compiling the modules asynchronously first: for browsers' main
 * threads, which refuse to compile large modules synchronously.
 * @example
 * import { installFastKernelsAsync } from "@fnn/tensor/fast"
 * const fast = await installFastKernelsAsync()
 */
export const installFastKernelsAsync = async (
  options: FastKernelOptions = {},
): Promise<FastKernels> => {
  const api = wasmApi()
  if (api === undefined) return install(options)
  try {
    const [gemm] = await Promise.all([
      compileModulesAsync(api, sharedWanted(threadCount(options.threads))),
      // without it, the elementwise kernels stay in JavaScript (or compile synchronously: the
      // module is small enough for any main thread)
      compileElementwiseAsync(api).catch(() => undefined),
    ])
    return install(options, gemm)
  } catch {
    uninstallFastKernels()
    return fallback
  }
}

/**
 * Takes back the kernels `installFastKernels` put in place (kernels set since with `useKernels`
 * stay), stops the worker threads and lets go of the memory of every installation so far.
 */
export const uninstallFastKernels = (): void => {
  installed?.restore()
  installed = undefined
  for (const engine of engines.values()) engine.dispose()
  engines.clear()
  elementwiseKernels.clear()
}

/**
 * The fast kernels in use now, or `undefined` when matrix products run on the reference kernel
 * (never installed, uninstalled, fallen back to JavaScript, or replaced since by `useKernels`).
 * @example
 * import { fastKernelsInstalled, installFastKernels } from "@fnn/tensor/fast"
 * fastKernelsInstalled() // undefined
 * installFastKernels({ threads: 1 })
 * fastKernelsInstalled() // { matmul: "wasm-simd", elementwise: "wasm-simd", threads: 1 }
 */
export const fastKernelsInstalled = (): FastKernels | undefined => {
  const i = inUse()
  return i === undefined ? undefined : report(i)
}

/** The installation whose kernels run now (none replaced since by `useKernels`), if any. */
const inUse = (): typeof installed =>
  installed !== undefined && currentKernels().matmul === installed.matmul ? installed : undefined

/** The sizes from which the fast kernels take a call (below them, the reference kernels run). */
export type FastKernelThresholds = Required<Pick<FastKernelOptions, "minMacs" | "minElements">>

/**
 * The thresholds of the fast kernels in use now (see `fastKernelsInstalled`), or `undefined`.
 * They decide which calls run in WebAssembly, and so the last bits of float32 products: another
 * thread that must compute bit for bit like this one installs its fast kernels with them.
 * @example
 * import { fastKernelThresholds, installFastKernels } from "@fnn/tensor/fast"
 * installFastKernels({ threads: 1, minMacs: 4096 })
 * fastKernelThresholds() // { minMacs: 4096, minElements: 128 }
 */
export const fastKernelThresholds = (): FastKernelThresholds | undefined => inUse()?.thresholds

type SetTimeout = (callback: () => void, ms: number) => unknown

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = (globalThis as { readonly setTimeout?: SetTimeout }).setTimeout
    if (timer === undefined) resolve()
    else timer(resolve, ms)
  })

/**
 * Resolves once the worker threads of the current installation are running (they start in the
 * background; until then large products run on the calling thread), or after `timeoutMs`. Gives
 * the number of threads ready, the caller included.
 * @example
 * import { installFastKernels, fastKernelsReady } from "@fnn/tensor/fast"
 * installFastKernels()
 * await fastKernelsReady() // e.g. 2
 */
export const fastKernelsReady = async (timeoutMs = 5000): Promise<number> => {
  const start = Date.now()
  for (;;) {
    const engine = installed?.engine
    if (engine === undefined) return 1
    const ready = engine.threadsReady()
    if (ready >= engine.threads || Date.now() - start >= timeoutMs) return ready
    await sleep(5)
  }
}
