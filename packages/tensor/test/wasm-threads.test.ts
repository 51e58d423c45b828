import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { nodeWorkerThreads, wasmApi } from "../src/kernels/wasm/api.ts"
import type { WasmMemory } from "../src/kernels/wasm/api.ts"
import { decodeBase64 } from "../src/kernels/wasm/base64.ts"
import { createEngine } from "../src/kernels/wasm/engine.ts"
import { f32ModuleShared, f64ModuleShared } from "../src/kernels/wasm/gemm.generated.ts"
import { wasmMatmul } from "../src/kernels/wasm/matmul.ts"
import type { GemmFunction } from "../src/kernels/wasm/pool.ts"
import { controlBytes, ctrl, startPool } from "../src/kernels/wasm/pool.ts"
import { Tensor } from "../src/tensor.ts"
import { dyadicArb, expectLikeReference, matmulCaseArb, moderateArb } from "./wasm-support.ts"

const api = wasmApi()!
// every product is split across the threads, however small
const engine = createEngine(api, { threads: 2, threadMinMacs: 0, coolDown: 0 })!
const kernel = wasmMatmul(engine, { minMacs: 0 })

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const waitFor = async (ready: () => boolean): Promise<void> => {
  for (let i = 0; i < 1000 && !ready(); i++) await sleep(10)
}

beforeAll(() => waitFor(() => engine.threadsReady() === 2))
afterAll(() => engine.dispose())

describe("products shared with a worker thread", () => {
  it("start a worker in Node", () => {
    expect(nodeWorkerThreads()).toBeDefined()
    expect(engine.threads).toBe(2)
    expect(engine.threadsReady()).toBe(2)
  })

  it("agree bit for bit with the reference kernel on exact float32 sums", () => {
    fc.assert(
      fc.property(matmulCaseArb("float32", dyadicArb, { m: 150, k: 300, n: 90 }), (c) =>
        expectLikeReference(kernel, c, true),
      ),
      { numRuns: 60 },
    )
  })

  it("agree within rounding on float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const)
      fc.assert(
        fc.property(matmulCaseArb(dtype, moderateArb, { m: 70, k: 40, n: 200 }), (c) =>
          expectLikeReference(kernel, c),
        ),
        { numRuns: 40 },
      )
  })

  it("give the single-threaded result bit for bit (each element is summed in one order)", () => {
    const single = createEngine(api, { threads: 1, threadMinMacs: Infinity, coolDown: 0 })!
    const alone = wasmMatmul(single, { minMacs: 0 })
    try {
      for (const dtype of ["float32", "float64"] as const)
        fc.assert(
          fc.property(matmulCaseArb(dtype, moderateArb, { m: 90, k: 300, n: 70 }), (c) => {
            const p = { transposeA: c.transposeA, transposeB: c.transposeB }
            const shared = kernel([c.a, c.b], p).data
            const own = alone([c.a, c.b], p).data
            expect(shared.every((x, i) => Object.is(x, own[i]))).toBe(true)
          }),
          { numRuns: 25 },
        )
    } finally {
      single.dispose()
    }
  })

  it("agree bit for bit where packed B is large (row bands of a whole block, split columns)", () => {
    // 1100 × 520 float32 is past the 2 MiB of packed B beyond which bands take 64 rows; small
    // integers keep every sum exact
    let seed = 7
    const integers = (n: number): Float32Array =>
      Float32Array.from({ length: n }, () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
        return (seed >>> 28) - 8
      })
    const a = new Tensor("float32", [200, 1100], integers(200 * 1100))
    const b = new Tensor("float32", [1100, 520], integers(1100 * 520))
    expectLikeReference(kernel, { a, b, transposeA: false, transposeB: false }, true)
    const at = new Tensor("float32", [1100, 200], integers(200 * 1100))
    const bt = new Tensor("float32", [520, 1100], integers(1100 * 520))
    expectLikeReference(kernel, { a: at, b: bt, transposeA: true, transposeB: true }, true)
  })

  it("exercise the threaded path (chunks were run)", () => {
    const before = engine.stats().chunks
    const a = new Tensor("float32", [96, 200], new Float32Array(96 * 200).fill(0.25))
    expectLikeReference(kernel, { a, b: a, transposeA: false, transposeB: true }, true)
    expect(engine.stats().chunks).toBeGreaterThan(before)
  })
})

describe("the thread pool", () => {
  it("runs chunks on its workers, reports a chunk that traps, and keeps working", async () => {
    const memory: WasmMemory = new api.Memory({ initial: 4, maximum: 64, shared: true })
    const modules = [
      new api.Module(decodeBase64(f32ModuleShared)),
      new api.Module(decodeBase64(f64ModuleShared)),
    ]
    const names = [
      ["packB_f32", "gemm_f32"],
      ["packB_f64", "gemm_f64"],
    ] as const
    const fns = modules.flatMap((module, i) => {
      const exports = new api.Instance(module, { env: { mem: memory } }).exports
      return names[i]!.map((name) => exports[name] as GemmFunction)
    })
    const pool = startPool(nodeWorkerThreads()!, modules, memory, names, fns, 1)
    try {
      await waitFor(() => pool.ready() === 1)
      const words = new Int32Array(memory.buffer, 0, controlBytes / 4)
      words[ctrl.apBase] = 65536
      words[ctrl.apStride] = 65536
      // packB of a 4×8 float32 B at byte 8192 into byte 16384, one k-block: fine
      const good = { fn: 0, args: [8192, 32, 4, 8, 4, 8, 16384, 0, 8, 4] }
      // the same reading far beyond the 4 pages of memory: traps
      const bad = { fn: 0, args: [1 << 30, 32, 4, 8, 4, 8, 16384, 0, 8, 4] }
      expect(pool.run([good, bad, good, bad, bad, bad])).toBe(false)
      expect(pool.run([good, good])).toBe(true)
      expect(pool.alive()).toBe(true)
      // the caller holds back until a worker has finished a chunk: workers do run chunks
      const before = pool.stats().byWorkers
      const workerDone = (): void => {
        while (Atomics.load(words, ctrl.done) === 0) Atomics.wait(words, ctrl.done, 0, 50)
      }
      expect(pool.run([good, good, good, good], workerDone)).toBe(true)
      expect(pool.stats().byWorkers).toBeGreaterThan(before)
    } finally {
      pool.terminate()
    }
  })
})

type SpawnSync = (
  command: string,
  args: ReadonlyArray<string>,
  options: { cwd: string; timeout: number; encoding: "utf8" },
) => { status: number | null; stdout: string; stderr: string }

describe("a program using worker threads", () => {
  it("exits on its own when its work is done", () => {
    const proc = process as unknown as {
      execPath: string
      getBuiltinModule: (id: string) => { spawnSync: SpawnSync }
    }
    const { spawnSync } = proc.getBuiltinModule("node:child_process")
    const program = `
      import { installFastKernels, fastKernelsReady } from "./src/kernels/fast.ts"
      import { currentKernels } from "./src/dispatch.ts"
      import { Tensor } from "./src/tensor.ts"
      const info = installFastKernels({ threads: 2, threadMinMacs: 0 })
      const ready = await fastKernelsReady()
      const a = new Tensor("float32", [300, 300], new Float32Array(300 * 300).fill(1))
      const c = currentKernels().matmul([a, a], { transposeA: false, transposeB: false })
      console.log(info.matmul, info.threads, ready, c.data.reduce((s, x) => s + x, 0))
    `
    const cwd = new URL("..", import.meta.url).pathname
    const result = spawnSync(
      proc.execPath,
      ["--import", "tsx", "--input-type=module", "-e", program],
      { cwd, timeout: 20000, encoding: "utf8" },
    )
    expect(result.stderr.replace(/.*npm warn.*\n?/g, "")).toBe("")
    expect(result.stdout.trim()).toBe(`wasm-simd 2 2 ${300 * 300 * 300}`)
    expect(result.status).toBe(0)
  }, 30000)
})
