/**
 * TensorFlow.js in one process with two backends: the plain JavaScript `cpu` backend and the
 * WebAssembly (XNNPACK, SIMD) `wasm` backend, switched with `useBackend` between measurements.
 * @module
 */
import { createRequire } from "node:module"
import { dirname, sep } from "node:path"
import * as tf from "@tensorflow/tfjs"
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm"

export { tf }

/** The TensorFlow.js backends the benchmarks compare against. */
export type TfBackend = "cpu" | "wasm"

let wasmPathSet = false
let prodMode = false

/**
 * Makes `name` the active backend, starting it on first use. In Node the wasm binaries are read
 * from the package's own `dist` folder, found through Node's resolver.
 * @example
 * await useBackend("wasm")
 * tf.matMul(a, b)
 */
export const useBackend = async (name: TfBackend): Promise<void> => {
  if (!prodMode) {
    // What TensorFlow.js recommends for production: skips debug-only validation.
    tf.enableProdMode()
    prodMode = true
  }
  if (name === "wasm" && !wasmPathSet) {
    const require = createRequire(import.meta.url)
    setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + sep)
    wasmPathSet = true
  }
  if (!(await tf.setBackend(name)))
    throw new Error(`TensorFlow.js could not start its ${name} backend`)
  await tf.ready()
}

/** Versions and the wasm flavour actually running (call after the wasm backend has started). */
export const tfjsContext = async (): Promise<Record<string, string | number | boolean>> => ({
  tfjs: tf.version_core,
  "tfjs-wasm simd": (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true,
  "tfjs-wasm threads": getThreadsCount(),
})
