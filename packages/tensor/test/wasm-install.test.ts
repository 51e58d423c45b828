import fc from "fast-check"
import { afterEach, describe, expect, it, vi } from "vitest"
import { currentKernels, useKernels } from "../src/dispatch.ts"
import {
  fastKernelThresholds,
  fastKernelsInstalled,
  fastKernelsReady,
  installFastKernels,
  installFastKernelsAsync,
  uninstallFastKernels,
} from "../src/kernels/fast.ts"
import { referenceKernels } from "../src/kernels/index.ts"
import type { WasmApi } from "../src/kernels/wasm/api.ts"
import { decodeBase64 } from "../src/kernels/wasm/base64.ts"
import * as T from "../src/index.ts"
import { dyadicArb, expectLikeReference, matmulCaseArb, recordingMemories } from "./wasm-support.ts"

afterEach(() => {
  uninstallFastKernels()
  expect(currentKernels()).toBe(referenceKernels)
})

/** Runs `body` with `globalThis.WebAssembly` hidden. */
const withoutWebAssembly = <A>(body: () => A): A => {
  const g = globalThis as { WebAssembly?: unknown }
  const saved = g.WebAssembly
  g.WebAssembly = undefined
  try {
    return body()
  } finally {
    g.WebAssembly = saved
  }
}

/** Runs `body` with a `WebAssembly` whose `Module` constructor refuses to compile. */
const withCompileRefused = <A>(body: () => A): A => {
  const g = globalThis as { WebAssembly?: WasmApi }
  const saved = g.WebAssembly!
  const refused = function refused(): never {
    throw new Error("compilation refused")
  } as unknown as WasmApi["Module"]
  g.WebAssembly = {
    Module: refused,
    Instance: saved.Instance,
    Memory: saved.Memory,
    validate: (bytes) => saved.validate(bytes),
    compile: (bytes) => saved.compile(bytes),
  }
  try {
    return body()
  } finally {
    g.WebAssembly = saved
  }
}

describe("installFastKernels", () => {
  it("replaces matmul, conv and float32 arithmetic only, and T.matmul then agrees with the reference", () => {
    const info = installFastKernels({ threads: 1, minMacs: 0 })
    expect(info).toEqual({ matmul: "wasm-simd", elementwise: "wasm-simd", threads: 1 })
    const kernels = currentKernels()
    const replaced = [
      "matmul",
      "conv",
      "add",
      "sub",
      "mul",
      "div",
      "greater",
      "greaterEqual",
      "equal",
      "where",
    ]
    for (const p of Object.keys(referenceKernels) as Array<keyof typeof referenceKernels>)
      if (replaced.includes(p)) expect(kernels[p]).not.toBe(referenceKernels[p])
      else expect(kernels[p]).toBe(referenceKernels[p])
    // long enough for the elementwise module
    const x = T.arange(0, 1000, 1, { dtype: "float32" })
    expect(Array.from(T.div(T.mul(x, x), T.add(x, 1)).data)).toEqual(
      Array.from(x.data, (v) => Math.fround(Math.fround(v * v) / (v + 1))),
    )
    fc.assert(
      fc.property(matmulCaseArb("float32", dyadicArb), (c) =>
        expectLikeReference(currentKernels().matmul, c, true),
      ),
      { numRuns: 30 },
    )
    const a = T.tensor([
      [1, 2],
      [3, 4],
    ])
    expect(T.toArray(T.matmul(a, a))).toEqual([
      [7, 10],
      [15, 22],
    ])
  })

  it("falls back to the JavaScript kernels, silently and correctly, without WebAssembly", () => {
    const info = withoutWebAssembly(() => installFastKernels())
    expect(info).toEqual({ matmul: "js", elementwise: "js", threads: 1 })
    expect(currentKernels()).toBe(referenceKernels)
  })

  it("compiles its modules once: installing again reuses them", () => {
    installFastKernels({ threads: 1 })
    uninstallFastKernels()
    const info = withCompileRefused(() => installFastKernels({ threads: 1, minMacs: 0 }))
    expect(info).toEqual({ matmul: "wasm-simd", elementwise: "wasm-simd", threads: 1 })
    expect(fastKernelsInstalled()).toEqual(info)
    fc.assert(
      fc.property(matmulCaseArb("float32", dyadicArb), (c) =>
        expectLikeReference(currentKernels().matmul, c, true),
      ),
      { numRuns: 10 },
    )
  })

  it("replaces an earlier installation rather than stacking on it", () => {
    installFastKernels({ threads: 1 })
    installFastKernels({ threads: 1 })
    uninstallFastKernels()
    expect(currentKernels()).toBe(referenceKernels)
  })

  it("reuses what earlier installations made: switching thread counts makes no new memory", async () => {
    const g = globalThis as { WebAssembly?: WasmApi }
    const saved = g.WebAssembly!
    const recording = recordingMemories(saved)
    g.WebAssembly = recording.api
    const x = T.ones([64, 64])
    const y = T.ones([1000])
    const work = (): void => {
      T.matmul(x, x)
      T.add(y, y)
    }
    try {
      installFastKernels({ threads: 1 })
      work()
      installFastKernels({ threads: 2 })
      await fastKernelsReady()
      work()
      const made = recording.buffers.length
      for (const threads of [1, 2, 1, 2]) {
        installFastKernels({ threads })
        work()
      }
      expect(recording.buffers.length).toBe(made)
      // once uninstalled, nothing is kept
      uninstallFastKernels()
      installFastKernels({ threads: 1 })
      work()
      expect(recording.buffers.length).toBeGreaterThan(made)
    } finally {
      g.WebAssembly = saved
      uninstallFastKernels()
    }
  })

  it("says what is installed now, and nothing once the reference matmul is back", () => {
    expect(fastKernelsInstalled()).toBeUndefined()
    installFastKernels({ threads: 1 })
    expect(fastKernelsInstalled()).toEqual({
      matmul: "wasm-simd",
      elementwise: "wasm-simd",
      threads: 1,
    })
    // another kernel on top: matrix products no longer run on the fast kernels
    const restore = useKernels({ matmul: referenceKernels.matmul })
    expect(fastKernelsInstalled()).toBeUndefined()
    restore()
    expect(fastKernelsInstalled()).toEqual({
      matmul: "wasm-simd",
      elementwise: "wasm-simd",
      threads: 1,
    })
    uninstallFastKernels()
    expect(fastKernelsInstalled()).toBeUndefined()
    expect(withoutWebAssembly(() => installFastKernels())).toEqual({
      matmul: "js",
      elementwise: "js",
      threads: 1,
    })
    expect(fastKernelsInstalled()).toBeUndefined()
  })

  it("says which thresholds the installed kernels use", () => {
    expect(fastKernelThresholds()).toBeUndefined()
    installFastKernels({ threads: 1, minMacs: 4096 })
    expect(fastKernelThresholds()).toEqual({ minMacs: 4096, minElements: 128 })
    installFastKernels({ threads: 1, minElements: 7 })
    expect(fastKernelThresholds()).toEqual({ minMacs: 0, minElements: 7 })
    uninstallFastKernels()
    expect(fastKernelThresholds()).toBeUndefined()
  })

  it("keeps kernels set by useKernels after it when installed again or uninstalled", () => {
    installFastKernels({ threads: 1 })
    const sum: typeof referenceKernels.sum = (inputs, params) =>
      referenceKernels.sum(inputs, params)
    const restore = useKernels({ sum })
    try {
      installFastKernels({ threads: 1 })
      expect(currentKernels().sum).toBe(sum)
      expect(fastKernelsInstalled()?.matmul).toBe("wasm-simd")
      uninstallFastKernels()
      expect(currentKernels().sum).toBe(sum)
      expect(currentKernels().matmul).toBe(referenceKernels.matmul)
    } finally {
      restore()
    }
    expect(currentKernels()).toBe(referenceKernels)
  })

  it("starts worker threads in Node and reports them once they run", async () => {
    const info = installFastKernels({ threads: 2 })
    expect(info).toEqual({ matmul: "wasm-simd", elementwise: "wasm-simd", threads: 2 })
    expect(await fastKernelsReady()).toBe(2)
  })

  it("keeps WebAssembly products when only the elementwise module cannot be compiled", async () => {
    // fresh modules: nothing compiled yet in this realm
    vi.resetModules()
    const fresh = await import("../src/kernels/fast.ts")
    const { elementwiseModule } = await import("../src/kernels/wasm/elementwise.generated.ts")
    const length = decodeBase64(elementwiseModule).length
    const isElementwise = (bytes: Uint8Array): boolean => bytes.byteLength === length
    const g = globalThis as { WebAssembly?: WasmApi }
    const saved = g.WebAssembly!
    const Module = function (bytes: Uint8Array) {
      if (isElementwise(bytes)) throw new Error("compilation refused")
      return new saved.Module(bytes)
    } as unknown as WasmApi["Module"]
    g.WebAssembly = {
      Module,
      Instance: saved.Instance,
      Memory: saved.Memory,
      validate: (bytes) => saved.validate(bytes),
      compile: (bytes) =>
        isElementwise(bytes) ? Promise.reject(new Error("refused")) : saved.compile(bytes),
    }
    try {
      const info = await fresh.installFastKernelsAsync({ threads: 1 })
      expect(info).toEqual({ matmul: "wasm-simd", elementwise: "js", threads: 1 })
    } finally {
      g.WebAssembly = saved
      fresh.uninstallFastKernels()
    }
  })

  it("has an asynchronous form for runtimes that refuse synchronous compilation", async () => {
    const info = await installFastKernelsAsync({ threads: 1, minMacs: 0 })
    expect(info).toEqual({ matmul: "wasm-simd", elementwise: "wasm-simd", threads: 1 })
    const a = T.reshape(T.arange(12), [3, 4])
    expect(T.toArray(T.matmul(a, T.transpose(a)))).toEqual([
      [14, 38, 62],
      [38, 126, 214],
      [62, 214, 366],
    ])
  })
})
