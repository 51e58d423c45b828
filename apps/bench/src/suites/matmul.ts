/**
 * float32 matrix product throughput, `[m, k] · [k, n]`, in GFLOP/s (2·m·k·n floating-point
 * operations per product): fnn's `matmul` against TensorFlow.js on its cpu and wasm backends,
 * on the same inputs in the same process, their repetitions taken in turn. Every engine's product
 * is also checked against the others, so a fast wrong kernel cannot pass.
 * @module
 */
import * as T from "@fnn/tensor"
import { measureInterleaved, sequence } from "../harness.ts"
import type { Contender } from "../harness.ts"
import type { Check, Column, RunConfig, Suite, SuiteResult } from "../suite.ts"
import { tf, tfjsContext, useBackend } from "../tfjs.ts"
import type { TfBackend } from "../tfjs.ts"

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

type Engine = "fnn" | `tfjs-${TfBackend}`
const engines: readonly Engine[] = ["fnn", "tfjs-cpu", "tfjs-wasm"]

/** One engine's product on one shape, ready to be timed. */
interface Prepared extends Contender {
  /** The product, computed once untimed, to compare the engines. */
  readonly product: Float32Array
  readonly release: () => void
}

const prepareFnn = (shape: MatmulShape, a: Float32Array, b: Float32Array): Prepared => {
  const x = new T.Tensor("float32", [shape.m, shape.k], a)
  const y = new T.Tensor("float32", [shape.k, shape.n], b)
  // fnn is eager: the product is computed before matmul returns.
  return {
    fn: () => void T.matmul(x, y),
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

const columns: readonly Column[] = [
  { key: "shape", header: "shape", kind: "text" },
  { key: "fnn", header: "fnn GFLOP/s", kind: "number", digits: 2 },
  { key: "tfjsCpu", header: "tfjs-cpu GFLOP/s", kind: "number", digits: 2 },
  { key: "tfjsWasm", header: "tfjs-wasm GFLOP/s", kind: "number", digits: 2 },
  { key: "fnnOverCpu", header: "fnn/tfjs-cpu", kind: "ratio", digits: 2 },
  { key: "fnnOverWasm", header: "fnn/tfjs-wasm", kind: "ratio", digits: 2 },
]

const run = async (config: RunConfig): Promise<SuiteResult> => {
  const rows: Record<string, string | number>[] = []
  const measurements: unknown[] = []
  const ratios: { label: string; ratio: number }[] = []
  let worstDifference = 0
  for (const [index, shape] of shapes.entries()) {
    const label = shapeLabel(shape)
    const a = sequence(shape.m * shape.k, 2 * index + 1)
    const b = sequence(shape.k * shape.n, 2 * index + 2)
    const prepared = [
      prepareFnn(shape, a, b),
      await prepareTfjs("cpu", shape, a, b),
      await prepareTfjs("wasm", shape, a, b),
    ]
    const times = await measureInterleaved(prepared, config)
    for (const p of prepared) p.release()
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
    rows.push({
      shape: label,
      fnn: gflops("fnn"),
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
    {
      name: "all engines compute the same products",
      pass: worstDifference <= agreement,
      detail: `max |Δ| / max |tfjs-cpu| = ${worstDifference.toExponential(1)} (limit ${agreement.toExponential(0)})`,
    },
  ]
  return {
    suite: "matmul",
    title: "float32 matmul [m, k] · [k, n], GFLOP/s = 2·m·k·n / median time (higher is better)",
    columns,
    rows,
    checks,
    context: { "fnn kernels": config.fnnKernels, ...(await tfjsContext()) },
    measurements,
  }
}

/** The matmul suite (`--suite matmul`). */
export const matmulSuite: Suite = { name: "matmul", title: "float32 matmul", run }
