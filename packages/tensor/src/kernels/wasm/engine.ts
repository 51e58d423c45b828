/**
 * The GEMM engine: one wasm memory, reused across calls and enlarged when a product needs more
 * (see `ensure`), with the f32 and f64 modules instantiated over it, and optionally worker threads
 * sharing it.
 *
 * A product copies A and B into the memory (O(n²) next to O(n³) work), packs B into NR-column
 * panels, then packs A block by block and runs the micro-kernel over whole MR×NR tiles of a
 * padded C, of which the `m × n` part is copied out. With workers, packing B and the blocks of C
 * are split into chunks that every thread claims from a shared counter.
 * @module
 */
import type { TypedArray } from "../../dtype.ts"
import type { WasmApi, WasmMemory, WasmModule } from "./api.ts"
import { nodeWorkerThreads } from "./api.ts"
import { decodeBase64 } from "./base64.ts"
import {
  f32Blocking,
  f32Module,
  f32ModuleShared,
  f64Blocking,
  f64Module,
  f64ModuleShared,
} from "./gemm.generated.ts"
import type { Chunk, GemmFunction, Pool } from "./pool.ts"
import { controlBytes, ctrl, maxChunks, startPool } from "./pool.ts"

/** The dtypes the engine multiplies. */
export type FastDType = "float32" | "float64"

/** How an engine is set up. */
export interface EngineOptions {
  /** Threads that take part in large products, the caller included (1: no workers). */
  readonly threads: number
  /** Products with fewer multiply-adds than this run on the calling thread alone. */
  readonly threadMinMacs: number
  /**
   * Large products to run on the calling thread alone after the workers were late twice in a
   * row (the caller waited for them longer than half its own working time: the machine is
   * busy); 0 never stops using them.
   */
  readonly coolDown: number
}

/** Matrix products in WebAssembly; see the module doc. */
export interface GemmEngine {
  /**
   * `out[outOffset …]` (m×n, row-major) = op(A)·op(B) for A, B stored row-major from the given
   * offsets (A as m×k, or k×m when `transposeA`; B as k×n, or n×k when `transposeB`). Returns
   * false, having maybe written part of `out`, when it cannot (memory could not grow, a worker
   * failed); the caller then computes the product another way.
   */
  readonly product: (
    dtype: FastDType,
    a: TypedArray,
    aOffset: number,
    b: TypedArray,
    bOffset: number,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
    out: TypedArray,
    outOffset: number,
  ) => boolean
  /** Threads taking part in large products now (workers still starting are not counted). */
  readonly threadsReady: () => number
  /** Threads asked for and started (the caller included). */
  readonly threads: number
  /** Chunks of threaded products run so far: in all, and by workers. */
  readonly stats: () => { readonly chunks: number; readonly byWorkers: number }
  /** Stops the workers; the engine then runs on the calling thread only. */
  readonly dispose: () => void
}

interface Blocking {
  readonly mr: number
  readonly nr: number
  readonly unroll: number
  readonly mc: number
  readonly kc: number
}

interface Kind {
  readonly size: number
  readonly blocking: Blocking
  /** Index of packB among the engine's functions (and the pool's); gemm follows it. */
  readonly fnPackB: number
}

const kinds: Record<FastDType, Kind> = {
  float32: { size: 4, blocking: f32Blocking, fnPackB: 0 },
  float64: { size: 8, blocking: f64Blocking, fnPackB: 2 },
}

const PAGE = 65536
/** 2 GiB: keeps every byte address a non-negative i32. */
const MAX_PAGES = 32768
const roundUp = (x: number, u: number): number => Math.ceil(x / u) * u
/** Bytes of packed B beyond which threads take row bands of a whole `mc` block. */
const largePackedB = 2 << 20

/** A memory and its maximum in pages, asking for less if the first maximum is refused. */
const makeMemory = (
  api: WasmApi,
  shared: boolean,
): { readonly memory: WasmMemory; readonly maxPages: number } | undefined => {
  for (const maxPages of [MAX_PAGES, 8192, 2048]) {
    try {
      return { memory: new api.Memory({ initial: 1, maximum: maxPages, shared }), maxPages }
    } catch {
      // a shared memory reserves its maximum up front: try a smaller reservation
    }
  }
  return undefined
}

/** Both GEMM modules, compiled for one kind of memory (shared for worker threads, or not). */
export interface CompiledModules {
  readonly f32: WasmModule
  readonly f64: WasmModule
  readonly shared: boolean
}

const moduleBytes = (shared: boolean): readonly [Uint8Array, Uint8Array] => [
  decodeBase64(shared ? f32ModuleShared : f32Module),
  decodeBase64(shared ? f64ModuleShared : f64Module),
]

/**
 * Modules compiled in this realm, by kind of memory; every later engine reuses them. Besides the
 * compile time, V8 shares a module's optimized code with all its instances and workers, while a
 * fresh compilation starts again from baseline code that is slower until it tiers up.
 */
const compiledModules = new Map<boolean, CompiledModules>()

/** The modules for one kind of memory, compiled now if not yet; undefined if refused. */
export const compileModules = (api: WasmApi, shared: boolean): CompiledModules | undefined => {
  const cached = compiledModules.get(shared)
  if (cached !== undefined) return cached
  try {
    const [f32, f64] = moduleBytes(shared).map((bytes) => new api.Module(bytes))
    const compiled = { f32: f32!, f64: f64!, shared }
    compiledModules.set(shared, compiled)
    return compiled
  } catch {
    return undefined
  }
}

/**
 * `compileModules`, compiling asynchronously (browsers' main threads refuse to compile large
 * modules synchronously); rejects where compilation fails.
 */
export const compileModulesAsync = async (
  api: WasmApi,
  shared: boolean,
): Promise<CompiledModules> => {
  const cached = compiledModules.get(shared)
  if (cached !== undefined) return cached
  const [f32, f64] = await Promise.all(moduleBytes(shared).map((bytes) => api.compile(bytes)))
  const compiled = { f32: f32!, f64: f64!, shared }
  compiledModules.set(shared, compiled)
  return compiled
}

/**
 * An engine, or undefined where WebAssembly SIMD is unavailable (no `WebAssembly`, the modules
 * do not validate, or synchronous compilation is refused). Without `compiled`, it compiles the
 * modules it needs (see `compileModules`).
 */
export const createEngine = (
  api: WasmApi,
  options: EngineOptions,
  compiled?: CompiledModules,
): GemmEngine | undefined => {
  const threadsApi = options.threads > 1 ? nodeWorkerThreads() : undefined
  const shared =
    compiled?.shared ?? (threadsApi !== undefined && typeof SharedArrayBuffer === "function")
  const both = compiled ?? compileModules(api, shared)
  if (both === undefined) return undefined
  const modules = [both.f32, both.f64] as const
  const made = makeMemory(api, shared)
  if (made === undefined) return undefined
  let { memory } = made
  const { maxPages } = made
  const names = [
    ["packB_f32", "gemm_f32"],
    ["packB_f64", "gemm_f64"],
  ] as const
  /** The four functions, as instances of the modules over `mem`. */
  const instantiate = (mem: WasmMemory): GemmFunction[] =>
    modules.flatMap((module, i) => {
      const exports = new api.Instance(module, { env: { mem } }).exports
      return names[i]!.map((name) => exports[name] as GemmFunction)
    })
  let fns: GemmFunction[]
  try {
    fns = instantiate(memory)
  } catch {
    return undefined
  }
  let pool: Pool | undefined
  if (shared && threadsApi !== undefined) {
    try {
      pool = startPool(threadsApi, modules, memory, names, fns, options.threads - 1)
    } catch {
      pool = undefined
    }
  }
  const threads = pool === undefined ? 1 : options.threads

  // products left to run alone after the workers were late twice in a row
  let coolDown = 0
  let strikes = 0

  let buffer = memory.buffer
  let f32 = new Float32Array(buffer)
  let f64 = new Float64Array(buffer)
  /**
   * Makes the memory at least `bytes` long. A shared memory grows in place. A private one is
   * replaced by a larger one with the modules instantiated again over it: growing it would detach
   * its old buffer, and after the first detached buffer of a process V8 no longer assumes that
   * typed arrays stay attached, so loops over typed arrays it could treat as constants (module
   * level arrays, say) lose their fast path in the whole program.
   */
  const ensure = (bytes: number): boolean => {
    const have = buffer.byteLength
    if (bytes <= have) return true
    const pages = Math.ceil((bytes - have) / PAGE)
    // grow a little beyond the need so that slowly rising sizes do not grow every call
    const extra = Math.min(Math.ceil(pages / 4), Math.max(0, maxPages - have / PAGE - pages))
    if (shared) {
      try {
        memory.grow(pages + extra)
      } catch {
        try {
          memory.grow(pages)
        } catch {
          return false
        }
      }
    } else {
      try {
        const larger = new api.Memory({ initial: have / PAGE + pages + extra, maximum: maxPages })
        fns = instantiate(larger)
        memory = larger
      } catch {
        return false
      }
    }
    buffer = memory.buffer
    f32 = new Float32Array(buffer)
    f64 = new Float64Array(buffer)
    return true
  }

  const product: GemmEngine["product"] = (
    dtype,
    a,
    aOffset,
    b,
    bOffset,
    m,
    k,
    n,
    transposeA,
    transposeB,
    out,
    outOffset,
  ) => {
    if (m === 0 || n === 0) return true
    if (k === 0) {
      out.fill(0, outOffset, outOffset + m * n)
      return true
    }
    const kind = kinds[dtype]
    const { mr, nr, unroll, mc, kc } = kind.blocking
    const E = kind.size
    const nPad = roundUp(n, nr)
    const mPad = roundUp(m, mr)
    // k-blocks of equal depth (784 = 4 × 196, not 3 × 256 + 16): a shallow last block would
    // spend as much on its tiles' setup and stores as on multiplying
    const kb = roundUp(Math.ceil(k / Math.ceil(k / kc)), unroll)
    const lastBlock = k - (Math.ceil(k / kb) - 1) * kb
    const kPad = k - lastBlock + roundUp(lastBlock, unroll)
    const macs = m * n * k
    let useThreads =
      pool !== undefined && macs >= options.threadMinMacs && pool.alive() && pool.ready() > 0
    if (useThreads && coolDown > 0) {
      coolDown--
      useThreads = false
    }
    const team = useThreads ? threads : 1
    const offA = controlBytes
    const offB = roundUp(offA + m * k * E, 64)
    const offC = roundUp(offB + k * n * E, 64)
    const offBp = roundUp(offC + mPad * nPad * E, 64)
    const offAp = roundUp(offBp + kPad * nPad * E, 64)
    const apStride = mc * kc * E
    const end = offAp + team * apStride
    if (end > maxPages * PAGE || !ensure(end)) return false
    const view = dtype === "float32" ? f32 : f64
    const copyA = (): void =>
      view.set(a.length === m * k ? a : a.subarray(aOffset, aOffset + m * k), offA / E)
    view.set(b.length === k * n ? b : b.subarray(bOffset, bOffset + k * n), offB / E)
    const ars = transposeA ? E : k * E
    const acs = transposeA ? m * E : E
    const brs = transposeB ? E : n * E
    const bcs = transposeB ? k * E : E
    if (useThreads) {
      const args = [m, n, k, kb, nPad, offA, ars, acs, offB, brs, bcs, offC, offBp, offAp] as const
      let ok: boolean
      try {
        ok = runThreaded(kind, team, apStride, copyA, ...args)
      } catch {
        ok = false
      }
      if (!ok) {
        // a trap in some chunk: a bug, not a condition to retry, so stop using the workers
        pool?.terminate()
        pool = undefined
        return false
      }
      const { worked, waited } = pool!.takeTimes()
      strikes = waited > worked / 2 ? strikes + 1 : 0
      if (strikes >= 2) {
        strikes = 0
        coolDown = options.coolDown
      }
    } else {
      copyA()
      try {
        // `fns` read after `ensure`: a private memory that had to grow comes with new instances
        fns[kind.fnPackB]!(offB, brs, bcs, n, k, nPad, offBp, 0, nPad, kb)
        fns[kind.fnPackB + 1]!(offA, ars, acs, offBp, offC, k, nPad, 0, m, 0, nPad, kb, offAp)
      } catch {
        return false
      }
    }
    const c = offC / E
    if (nPad === n) out.set(view.subarray(c, c + m * n), outOffset)
    else if (n < 32)
      // short rows: an element loop beats making a view per row
      for (let i = 0; i < m; i++) {
        const from = c + i * nPad
        const to = outOffset + i * n
        for (let j = 0; j < n; j++) out[to + j] = view[from + j]!
      }
    else
      for (let i = 0; i < m; i++)
        out.set(view.subarray(c + i * nPad, c + i * nPad + n), outOffset + i * n)
    return true
  }

  /** Packs B, then computes C, each split into chunks for the team; copies A meanwhile. */
  const runThreaded = (
    kind: Kind,
    team: number,
    apStride: number,
    copyA: () => void,
    m: number,
    n: number,
    k: number,
    kb: number,
    nPad: number,
    offA: number,
    ars: number,
    acs: number,
    offB: number,
    brs: number,
    bcs: number,
    offC: number,
    offBp: number,
    offAp: number,
  ): boolean => {
    const { mr, nr } = kind.blocking
    const words = new Int32Array(buffer, 0, controlBytes / 4)
    words[ctrl.apBase] = offAp
    words[ctrl.apStride] = apStride
    const panels = nPad / nr
    const columns = (c: number, of: number): readonly [number, number] => [
      Math.floor((c * panels) / of) * nr,
      Math.floor(((c + 1) * panels) / of) * nr,
    ]
    // phase 1: B's column panels, split evenly; the caller copies A in before it joins
    const packChunks = Math.min(panels, 2 * team, maxChunks)
    const pack: Chunk[] = Array.from({ length: packChunks }, (_, c) => ({
      fn: kind.fnPackB,
      args: [offB, brs, bcs, n, k, nPad, offBp, ...columns(c, packChunks), kb],
    }))
    if (!pool!.run(pack, copyA)) return false
    // phase 2: blocks of C. Bands of rows, so that each thread packs only its own rows of A;
    // many of them (up to 32 per thread), so that a thread the OS runs late holds back only a
    // thin band; at least 16 rows, so that each B panel serves several tiles, and whole blocks
    // of mc rows where packed B outgrows a core's cache (each block reads all of it again: 1024³
    // runs 7% faster in 64-row bands than in 16-row ones); columns split too only when there are
    // few bands (each column block packs its band of A again)
    const wholeBlocks = k * nPad * kind.size > largePackedB
    const rowsPer = roundUp(
      Math.max(
        wholeBlocks ? kind.blocking.mc : 16,
        Math.ceil(m / (32 * team)),
        Math.ceil(m / maxChunks),
      ),
      wholeBlocks ? kind.blocking.mc : mr,
    )
    const bands = Math.ceil(m / rowsPer)
    const colBlocks =
      bands >= 4 * team
        ? 1
        : Math.max(
            1,
            Math.min(panels, Math.ceil((4 * team) / bands), Math.floor(maxChunks / bands)),
          )
    const blocks: Chunk[] = []
    for (let i0 = 0; i0 < m; i0 += rowsPer)
      for (let c = 0; c < colBlocks; c++)
        blocks.push({
          fn: kind.fnPackB + 1,
          args: [
            offA,
            ars,
            acs,
            offBp,
            offC,
            k,
            nPad,
            i0,
            Math.min(m, i0 + rowsPer),
            ...columns(c, colBlocks),
            kb,
          ],
        })
    return pool!.run(blocks)
  }

  return {
    product,
    threads,
    stats: () => pool?.stats() ?? { chunks: 0, byWorkers: 0 },
    threadsReady: () =>
      pool !== undefined && pool.alive() ? 1 + Math.min(threads - 1, pool.ready()) : 1,
    dispose: () => {
      pool?.terminate()
      pool = undefined
    },
  }
}
