/**
 * float32 matrix product throughput, `[m, k] · [k, n]`, in GFLOP/s (2·m·k·n floating-point
 * operations per product): fnn's `matmul` against TensorFlow.js on its cpu and wasm backends,
 * on the same inputs in the same process, their repetitions taken in turn. Every engine's product
 * is also checked against the others, so a fast wrong kernel cannot pass.
 * @module
 */
import * as T from "@fnn/tensor"
import { fastKernelDefaults } from "@fnn/tensor/fast"
import { measureInterleaved, sequence } from "../harness.ts"
import type { Contender } from "../harness.ts"
import type { Check, Column, RunConfig, Suite, SuiteResult } from "../suite.ts"
import { tf, tfjsContext, useBackend } from "../tfjs.ts"
import type { TfBackend } from "../tfjs.ts"
import { useFastThreads } from "../threads.ts"
import { describeCeiling, matmulPart, measureCeiling } from "../ceiling.ts"
import type { Ceiling } from "../ceiling.ts"

/** One product `[m, k] · [k, n]`. */
export interface MatmulShape {
  readonly m: number
  readonly k: number
  readonly n: number
}

/** The shapes of issue 2: square sizes and the first layers of the two MNIST networks. */
export const shapes: readonly MatmulShape[] = [
  { m: 64, k: 64, n: 64 },
  { m: 256, k: 256, n: 256 },
  { m: 1024, k: 1024, n: 1024 },
  { m: 32, k: 784, n: 16 },
  { m: 128, k: 784, n: 128 },
]

/** fnn must be at least this many times faster than TensorFlow.js's cpu backend on every shape. */
export const targetVsCpu = 2

/** Largest |a − b| over the largest |b| allowed between two engines' products. */
const agreement = 1e-4

/**
 * `64³` for cubes, `32×784·784×16` otherwise.
 * @example
 * shapeLabel({ m: 32, k: 784, n: 16 }) // "32×784·784×16"
 */
export const shapeLabel = ({ m, k, n }: MatmulShape): string =>
  m === k && k === n ? `${m}³` : `${m}×${k}·${k}×${n}`

/** Floating-point operations in one product: a multiply and an add per term. */
export const flops = ({ m, k, n }: MatmulShape): number => 2 * m * k * n

/** `fnn-1`: fnn with its fast kernels on one thread, timed only to measure the scaling. */
type Engine = "fnn" | "fnn-1" | `tfjs-${TfBackend}`

/** fnn on N threads must be at least this many times faster than on one on `scalingShape`. */
export const scalingTarget = 1.7

/** The shape issue 6 sets the scaling target on, and the target against tfjs-wasm. */
export const scalingShape = "1024³"

/**
 * fnn (as installed: with its threads) must be at least this many times faster than
 * TensorFlow.js's wasm backend (one thread) on `scalingShape`; fnn on one thread is shown too.
 */
export const targetVsWasm = 1.3

/** One engine's product on one shape, ready to be timed. */
interface Prepared extends Contender {
  /** The product, computed once untimed, to compare the engines. */
  readonly product: Float32Array
  readonly release: () => void
}

/**
 * fnn's product; with `threads`, the fast kernels are switched to that many threads before each
 * of its repetitions (and the first product after a switch is run untimed).
 */
const prepareFnn = (
  shape: MatmulShape,
  a: Float32Array,
  b: Float32Array,
  threads?: number,
): Prepared => {
  const x = new T.Tensor("float32", [shape.m, shape.k], a)
  const y = new T.Tensor("float32", [shape.k, shape.n], b)
  // fnn is eager: the product is computed before matmul returns.
  const fn = (): void => void T.matmul(x, y)
  return {
    ...(threads === undefined
      ? {}
      : {
          enter: async () => {
            if (await useFastThreads(threads)) fn()
          },
        }),
    fn,
    product: T.matmul(x, y).data as Float32Array,
    release: () => undefined,
  }
}

/** Inputs are made on the backend that multiplies them, so no timed call moves data. */
const prepareTfjs = async (
  backend: TfBackend,
  shape: MatmulShape,
  a: Float32Array,
  b: Float32Array,
): Promise<Prepared> => {
  await useBackend(backend)
  const x = tf.tensor2d(a, [shape.m, shape.k], "float32")
  const y = tf.tensor2d(b, [shape.k, shape.n], "float32")
  const first = tf.matMul(x, y)
  const product = first.dataSync() as Float32Array
  first.dispose()
  return {
    enter: () => useBackend(backend),
    fn: () => {
      const z = tf.matMul(x, y)
      z.dataSync() // forces the work and the read-back, as a user reading the result would
      z.dispose()
    },
    product,
    release: () => {
      x.dispose()
      y.dispose()
    },
  }
}

/** max |a − b| / max |b|. */
const relativeDifference = (a: Float32Array, b: Float32Array): number => {
  let diff = 0
  let scale = 0
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
    scale = Math.max(scale, Math.abs(b[i]!))
  }
  return scale === 0 ? diff : diff / scale
}

const columnsFor = (threads: number | undefined): readonly Column[] => [
  { key: "shape", header: "shape", kind: "text" },
  {
    key: "fnn",
    header: threads === undefined ? "fnn GFLOP/s" : `fnn ${threads}-thread GFLOP/s`,
    kind: "number",
    digits: 2,
  },
  ...(threads === undefined
    ? []
    : ([
        { key: "fnn1", header: "fnn 1-thread GFLOP/s", kind: "number", digits: 2 },
        { key: "scaling", header: `fnn ${threads} / 1 thread`, kind: "ratio", digits: 2 },
      ] as const)),
  { key: "tfjsCpu", header: "tfjs-cpu GFLOP/s", kind: "number", digits: 2 },
  { key: "tfjsWasm", header: "tfjs-wasm GFLOP/s", kind: "number", digits: 2 },
  { key: "fnnOverCpu", header: "fnn/tfjs-cpu", kind: "ratio", digits: 2 },
  { key: "fnnOverWasm", header: "fnn/tfjs-wasm", kind: "ratio", digits: 2 },
]

const run = async (config: RunConfig): Promise<SuiteResult> => {
  // With the fast kernels on several threads, fnn is also timed on one thread, on the shapes
  // large enough for the kernels to use their worker threads.
  const threads = config.kernels === "fast" && config.threads > 1 ? config.threads : undefined
  const rows: Record<string, string | number | null>[] = []
  const measurements: unknown[] = []
  const ratios: { label: string; ratio: number }[] = []
  // the ratios issue 6 sets targets on, measured on `scalingShape`
  let targeted:
    { overWasm: number; oneThreadOverWasm: number | null; scaling: number | null } | undefined
  let ceiling: Ceiling | undefined
  let worstDifference = 0
  for (const [index, shape] of shapes.entries()) {
    const label = shapeLabel(shape)
    const a = sequence(shape.m * shape.k, 2 * index + 1)
    const b = sequence(shape.k * shape.n, 2 * index + 2)
    const single =
      threads !== undefined && shape.m * shape.k * shape.n >= fastKernelDefaults.threadMinMacs
    const engines: readonly Engine[] = [
      "fnn",
      ...(single ? (["fnn-1"] as const) : []),
      "tfjs-cpu",
      "tfjs-wasm",
    ]
    const prepared: Prepared[] = []
    for (const engine of engines)
      prepared.push(
        engine === "fnn"
          ? prepareFnn(shape, a, b, single ? threads : undefined)
          : engine === "fnn-1"
            ? prepareFnn(shape, a, b, 1)
            : await prepareTfjs(engine === "tfjs-cpu" ? "cpu" : "wasm", shape, a, b),
      )
    const times = await measureInterleaved(prepared, config)
    for (const p of prepared) p.release()
    if (threads !== undefined) await useFastThreads(threads)
    const cells = new Map(
      engines.map((engine, i) => [engine, { time: times[i]!, product: prepared[i]!.product }]),
    )
    for (const engine of engines) {
      const { time } = cells.get(engine)!
      config.log(
        `matmul ${label} ${engine}: ${(flops(shape) / (time.median * 1e6)).toFixed(2)} GFLOP/s, ` +
          `median ${time.median.toFixed(3)} ms over ${time.samples.length} reps × ${time.callsPerRep} calls`,
      )
    }
    const gflops = (e: Engine): number => flops(shape) / (cells.get(e)!.time.median * 1e6)
    const reference = cells.get("tfjs-cpu")!.product
    for (const engine of engines)
      worstDifference = Math.max(
        worstDifference,
        relativeDifference(cells.get(engine)!.product, reference),
      )
    const fnnOverCpu = gflops("fnn") / gflops("tfjs-cpu")
    ratios.push({ label, ratio: fnnOverCpu })
    const scaling = single ? gflops("fnn") / gflops("fnn-1") : null
    if (label === scalingShape) {
      targeted = {
        overWasm: gflops("fnn") / gflops("tfjs-wasm"),
        oneThreadOverWasm: single ? gflops("fnn-1") / gflops("tfjs-wasm") : null,
        scaling,
      }
      if (single) {
        // how much the threads could give on this machine now, each on a band of the rows
        const part = matmulPart(shape.m, shape.k, shape.n, threads)
        const whole = matmulPart(shape.m, shape.k, shape.n, 1)
        ceiling = await measureCeiling(part, whole, { threads, ms: 1500 })
        config.log(`matmul ${label} ${describeCeiling(ceiling)}`)
        await useFastThreads(threads)
      }
    }
    rows.push({
      shape: label,
      fnn: gflops("fnn"),
      ...(threads === undefined ? {} : { fnn1: single ? gflops("fnn-1") : null, scaling }),
      tfjsCpu: gflops("tfjs-cpu"),
      tfjsWasm: gflops("tfjs-wasm"),
      fnnOverCpu,
      fnnOverWasm: gflops("fnn") / gflops("tfjs-wasm"),
    })
    for (const engine of engines) {
      const { time } = cells.get(engine)!
      measurements.push({
        shape: label,
        m: shape.m,
        k: shape.k,
        n: shape.n,
        engine,
        threads: engine === "fnn-1" ? 1 : engine === "fnn" ? (threads ?? null) : null,
        flops: flops(shape),
        gflops: gflops(engine),
        medianMs: time.median,
        minMs: time.min,
        callsPerRep: time.callsPerRep,
        samplesMs: time.samples,
      })
    }
  }
  const failing = ratios.filter((r) => r.ratio < targetVsCpu)
  const slowest = ratios.reduce((lo, r) => (r.ratio < lo.ratio ? r : lo))
  const checks: Check[] = [
    {
      name: `fnn ≥ ${targetVsCpu}× tfjs-cpu on every shape`,
      pass: failing.length === 0,
      detail:
        failing.length === 0
          ? `lowest ratio ${slowest.ratio.toFixed(2)}× (${slowest.label})`
          : `below on ${failing.map((r) => `${r.label} (${r.ratio.toFixed(2)}×)`).join(", ")}`,
    },
    ...(targeted === undefined
      ? []
      : [
          {
            name: `fnn ≥ ${targetVsWasm}× tfjs-wasm (one thread) on ${scalingShape}`,
            pass: targeted.overWasm >= targetVsWasm,
            detail:
              `${targeted.overWasm.toFixed(2)}×` +
              (targeted.oneThreadOverWasm === null
                ? ""
                : `; fnn on 1 thread ${targeted.oneThreadOverWasm.toFixed(2)}×`),
          },
        ]),
    ...(targeted === undefined || targeted.scaling === null
      ? []
      : [
          {
            name: `fnn on ${threads} threads ≥ ${scalingTarget}× fnn on 1 thread on ${scalingShape}`,
            pass: targeted.scaling >= scalingTarget,
            detail:
              `${targeted.scaling.toFixed(2)}× (medians of this run, repetitions taken in turn)` +
              (ceiling === undefined
                ? ""
                : `; ${ceiling.threads} threads could give at most ${ceiling.ceiling.toFixed(2)}× ` +
                  `on this machine just after (${ceiling.threads} row bands at once against one ` +
                  `alone), and ${ceiling.split.toFixed(2)}× by cutting the product (against the ` +
                  `whole product alone)`),
          },
        ]),
    {
      name: "all engines compute the same products",
      pass: worstDifference <= agreement,
      detail: `max |Δ| / max |tfjs-cpu| = ${worstDifference.toExponential(1)} (limit ${agreement.toExponential(0)})`,
    },
  ]
  return {
    suite: "matmul",
    title: "float32 matmul [m, k] · [k, n], GFLOP/s = 2·m·k·n / median time (higher is better)",
    columns: columnsFor(threads),
    rows,
    checks,
    context: {
      "fnn kernels": config.fnnKernels,
      ...(ceiling === undefined
        ? {}
        : { [`ceiling of ${ceiling.threads} threads here`]: `${ceiling.ceiling.toFixed(2)}×` }),
      ...(await tfjsContext()),
    },
    measurements: ceiling === undefined ? measurements : [...measurements, { ceiling }],
  }
}

/** The matmul suite (`--suite matmul`). */
export const matmulSuite: Suite = { name: "matmul", title: "float32 matmul", run }
