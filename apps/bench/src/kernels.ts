/**
 * `--kernels js|fast`: which kernels fnn runs on. `js` is the portable reference; `fast` installs
 * `@fnn/tensor/fast` (WebAssembly SIMD matrix products, worker threads for large ones) once,
 * before any suite runs, so every fnn measurement in the run uses them.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import { fastKernelsReady, installFastKernels } from "@fnn/tensor/fast"
import type { KernelChoice } from "./cli.ts"

/**
 * Puts fnn on the chosen kernels and describes them for the report (`js`, or e.g.
 * `fast (wasm-simd matmul, wasm-simd elementwise, 2 threads ready of 2)`). With `fast`, waits
 * for the worker threads to start so that no measurement includes their start-up. A `Left` says
 * why the fast kernels are not running.
 * @example
 * const kernels = await useFnnKernels("fast", undefined)
 * // E.right("fast (wasm-simd matmul, wasm-simd elementwise, 2 threads ready of 2)")
 */
export const useFnnKernels = async (
  choice: KernelChoice,
  threads: number | undefined,
): Promise<E.Either<string, string>> => {
  if (choice === "js") return E.right("js")
  const installed = installFastKernels(threads === undefined ? {} : { threads })
  if (installed.matmul === "js") return E.left("the fast kernels fell back to JavaScript here")
  const ready = await fastKernelsReady()
  return E.right(
    `fast (${installed.matmul} matmul, ${installed.elementwise} elementwise, ${ready} ` +
      `thread${ready === 1 ? "" : "s"} ready of ${installed.threads})`,
  )
}
