/**
 * Matrix-product throughput of the reference kernel, the WebAssembly kernel on one thread, on
 * two threads for every product, and with `installFastKernels`' defaults (two threads for large
 * products only): `tsx scripts/bench-matmul.ts [repeats]`. Prints GFLOP/s (2·m·n·k per product),
 * the median of the repeats (default 7), by wall-clock time and, in parentheses, by the process's
 * CPU time (steadier on a busy machine; for two threads it counts both).
 * @module
 */
import { referenceKernels } from "../src/internal.ts"
import { Tensor } from "../src/tensor.ts"
import type { Kernel } from "../src/dispatch.ts"
import { wasmApi } from "../src/kernels/wasm/api.ts"
import { createEngine } from "../src/kernels/wasm/engine.ts"
import { wasmMatmul } from "../src/kernels/wasm/matmul.ts"
import { fastKernelDefaults } from "../src/kernels/fast.ts"

const repeats = Number(process.argv[2] ?? 7)
const shapes: ReadonlyArray<readonly [number, number, number]> = [
  [32, 16, 10],
  [64, 64, 64],
  [32, 784, 16],
  [256, 256, 256],
  [128, 784, 128],
  [1024, 1024, 1024],
]

let seed = 12345
const next = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed / 2 ** 32 - 0.5
}
const random = (shape: readonly [number, number]): Tensor =>
  new Tensor("float32", shape, Float32Array.from({ length: shape[0] * shape[1] }, next))

const api = wasmApi()
if (api === undefined) throw new Error("no WebAssembly here")
const single = createEngine(api, { threads: 1, threadMinMacs: Infinity, coolDown: 0 })!
const multi = createEngine(api, { threads: 2, threadMinMacs: 0, coolDown: 0 })!
// what installFastKernels({ threads: 2 }) gives: threads for large products only
const auto = createEngine(api, { ...fastKernelDefaults, threads: 2 })!
const kernels: ReadonlyArray<readonly [string, Kernel<"matmul">]> = [
  ["js", referenceKernels.matmul],
  ["wasm", wasmMatmul(single, { minMacs: 0 })],
  ["wasm×2", wasmMatmul(multi, { minMacs: 0 })],
  ["default", wasmMatmul(auto, fastKernelDefaults)],
]

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

// let the workers start
const until = Date.now() + 2000
while ((multi.threadsReady() < 2 || auto.threadsReady() < 2) && Date.now() < until)
  await new Promise((r) => setTimeout(r, 10))

console.log(`GFLOP/s, wall (cpu)  ${kernels.map(([name]) => name.padStart(15)).join("")}`)
for (const [m, k, n] of shapes) {
  const a = random([m, k])
  const b = random([k, n])
  const flops = 2 * m * n * k
  const row: string[] = []
  for (const [, kernel] of kernels) {
    const run = (): Tensor => kernel([a, b], { transposeA: false, transposeB: false })
    const calls = Math.max(1, Math.round(1e8 / flops))
    for (let i = 0; i < Math.max(3, calls); i++) run()
    const wall: number[] = []
    const cpu: number[] = []
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      for (let i = 0; i < calls; i++) run()
      const c = process.cpuUsage(c0)
      wall.push((performance.now() - t0) / calls)
      cpu.push((c.user + c.system) / 1000 / calls)
    }
    const rate = (ms: number): string => ((flops / ms) * 1e-6).toFixed(1)
    row.push(`${rate(median(wall))} (${rate(median(cpu))})`.padStart(15))
  }
  console.log(`${m}×${k}·${k}×${n}`.padEnd(20) + row.join(""))
}
const { chunks, byWorkers } = multi.stats()
console.log(
  `threads ready: ${multi.threadsReady()}; chunks of threaded products: ${chunks}, by the worker: ${byWorkers}`,
)
multi.dispose()
auto.dispose()
