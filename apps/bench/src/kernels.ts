/**
 * `--kernels js|fast`: which kernels fnn runs on. `js` is the portable reference; `fast` installs
 * `@fnn/tensor`'s fast kernels (WebAssembly SIMD matrix products, worker threads for large ones)
 * once, before any suite runs, so every fnn measurement in the run uses them.
 * @module
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import * as E from "fp-ts/lib/Either.js"
import type { KernelChoice } from "./cli.ts"

/** What `installFastKernels` reports. */
interface FastKernels {
  readonly matmul: string
  readonly threads: number
}

/** The part of `@fnn/tensor/fast` the benchmarks use. */
interface FastModule {
  readonly installFastKernels: (options?: { readonly threads?: number }) => FastKernels
  readonly fastKernelsReady: (timeoutMs?: number) => Promise<number>
}

const isFastModule = (m: unknown): m is FastModule =>
  typeof m === "object" &&
  m !== null &&
  typeof (m as Partial<FastModule>).installFastKernels === "function" &&
  typeof (m as Partial<FastModule>).fastKernelsReady === "function"

const message = (reason: unknown): string =>
  reason instanceof Error ? reason.message : String(reason)

/**
 * `@fnn/tensor/fast`, or, while the package does not export that entry yet, the module it will
 * point at (`kernels/fast.ts` beside the package's main entry). The specifier is a variable so
 * that type checking does not depend on which of the two exists.
 */
const loadFast = async (): Promise<E.Either<string, FastModule>> => {
  const attempts: string[] = []
  const entry = "@fnn/tensor/fast"
  try {
    const m: unknown = await import(entry)
    if (isFastModule(m)) return E.right(m)
    attempts.push(`${entry} lacks installFastKernels`)
  } catch (reason) {
    attempts.push(`${entry}: ${message(reason)}`)
  }
  try {
    const main = createRequire(import.meta.url).resolve("@fnn/tensor")
    const m: unknown = await import(pathToFileURL(join(dirname(main), "kernels", "fast.ts")).href)
    if (isFastModule(m)) return E.right(m)
    attempts.push("kernels/fast.ts lacks installFastKernels")
  } catch (reason) {
    attempts.push(`kernels/fast.ts: ${message(reason)}`)
  }
  return E.left(`the fast kernels cannot be loaded (${attempts.join("; ")})`)
}

/**
 * Puts fnn on the chosen kernels and describes them for the report (`js`, or e.g.
 * `fast (wasm-simd matmul, 2 threads)`). With `fast`, waits for the worker threads to start so
 * that no measurement includes their start-up. A `Left` says why the fast kernels are missing.
 * @example
 * const kernels = await useFnnKernels("fast", undefined) // E.right("fast (wasm-simd matmul, 2 threads)")
 */
export const useFnnKernels = async (
  choice: KernelChoice,
  threads: number | undefined,
): Promise<E.Either<string, string>> => {
  if (choice === "js") return E.right("js")
  const fast = await loadFast()
  if (E.isLeft(fast)) return fast
  const installed = fast.right.installFastKernels(threads === undefined ? {} : { threads })
  const ready = await fast.right.fastKernelsReady()
  if (installed.matmul === "js") return E.left("the fast kernels fell back to JavaScript here")
  return E.right(
    `fast (${installed.matmul} matmul, ${ready} thread${ready === 1 ? "" : "s"} ready of ${installed.threads})`,
  )
}
