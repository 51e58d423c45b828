import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { valueAndGrad } from "@fnn/autodiff"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import { installFastKernels, uninstallFastKernels } from "@fnn/tensor/fast"
import * as nn from "../src/index.ts"
import type { Batch, GradientTransformation, Layer, OptState, Params } from "../src/index.ts"
import { parallelTrainStep } from "../src/node/index.ts"
import type { ParallelStep } from "../src/node/index.ts"
import { leafValues, treesBitsEqual } from "./helpers.ts"

// Each step object starts worker threads (about a second each on a busy machine): the tests
// share a few of them and keep the number of random networks small.

const leaves = (p: Params): Tensor[] => T.tree.leaves(p)

/** A batch of `n` rows: inputs in [-1, 1) and targets that suit `loss`. */
const makeBatch = (
  seed: number,
  n: number,
  inputs: number,
  classes: number,
  loss: "mse" | "softmaxCrossEntropy" | "binaryCrossEntropy",
  dtype: "float32" | "float64",
): Batch => {
  const [kx, ky] = T.random.split(T.random.key(seed))
  const x = T.random.uniform(kx!, [n, inputs], { min: -1, max: 1, dtype })
  const y =
    loss === "binaryCrossEntropy"
      ? T.random.uniform(ky!, [n, classes], { dtype })
      : T.random.randint(ky!, [n], 0, classes)
  return { x, y }
}

const maxRelativeGap = (a: Params, b: Params): number => {
  const va = leafValues(a)
  const vb = leafValues(b)
  let gap = 0
  va.forEach((xs, i) =>
    xs.forEach((v, j) => {
      const w = vb[i]![j]!
      gap = Math.max(gap, Math.abs(v - w) / (1 + Math.abs(w)))
    }),
  )
  return gap
}

describe("a data-parallel step", () => {
  it("follows trainStep within float tolerance over several steps", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          hidden: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 2 }),
          activation: fc.constantFrom(nn.Relu, nn.Tanh, nn.Sigmoid),
          inputs: fc.integer({ min: 1, max: 5 }),
          classes: fc.integer({ min: 2, max: 4 }),
          loss: fc.constantFrom<"mse" | "softmaxCrossEntropy" | "binaryCrossEntropy">(
            "mse",
            "softmaxCrossEntropy",
            "binaryCrossEntropy",
          ),
          dtype: fc.constantFrom<"float32" | "float64">("float32", "float64"),
          momentum: fc.boolean(),
          threads: fc.integer({ min: 2, max: 3 }),
          kernels: fc.constantFrom<"reference" | "fast">("reference", "fast"),
          // odd sizes, sizes below the thread count, a last smaller batch
          sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 4 }),
          seed: fc.nat(1000),
        }),
        async (c) => {
          const net = nn.serial(
            ...c.hidden.flatMap((units) => [nn.Dense(units), c.activation]),
            nn.Dense(c.classes),
          )
          const [, params] = net.init(T.random.key(c.seed), [-1, c.inputs], { dtype: c.dtype })
          const optimizer: GradientTransformation<OptState> = c.momentum
            ? nn.momentum(0.1)
            : nn.sgd(0.1)
          const loss = nn[c.loss]
          const single = nn.trainStep({ net, loss, optimizer })
          const step = await parallelTrainStep({
            net,
            loss,
            optimizer,
            threads: c.threads,
            kernels: c.kernels,
          })
          try {
            let a = nn.trainState(params, optimizer)
            let b = a
            const tol = c.dtype === "float64" ? 1e-12 : 1e-5
            c.sizes.forEach((n, i) => {
              const batch = makeBatch(c.seed + i, n, c.inputs, c.classes, c.loss, c.dtype)
              const ra = step(a, batch)
              const rb = single(b, batch)
              expect(Math.abs(ra.loss - rb.loss)).toBeLessThanOrEqual(tol * (1 + Math.abs(rb.loss)))
              a = ra.state
              b = rb.state
              expect(a.step).toBe(b.step)
              expect(maxRelativeGap(a.params, b.params)).toBeLessThanOrEqual(tol)
            })
            leaves(a.params).forEach((t, i) => expect(t.dtype).toBe(leaves(b.params)[i]!.dtype))
          } finally {
            await step.close()
          }
        },
      ),
      { numRuns: 3 },
    )
  }, 60000)

  describe("with a dropout network on three threads", () => {
    const net: Layer = nn.serial(nn.Dense(6), nn.Relu, nn.Dropout(0.5), nn.Dense(3))
    const [, params] = net.init(T.random.key(7), [-1, 4], { dtype: "float64" })
    const optimizer: GradientTransformation<OptState> = nn.sgd(0.5)
    const batches = [7, 2, 1, 5, 3].map((n, i) =>
      makeBatch(100 + i, n, 4, 3, "softmaxCrossEntropy", "float64"),
    )
    let step: ParallelStep<Params, OptState>
    let again: ParallelStep<Params, OptState>

    const run = (s: ParallelStep<Params, OptState>): { params: Params; losses: number[] } => {
      let state = nn.trainState(params, optimizer)
      const losses: number[] = []
      batches.forEach((batch, i) => {
        const r = s(state, batch, T.random.key(1000 + i))
        state = r.state
        losses.push(r.loss)
      })
      return { params: state.params, losses }
    }

    beforeAll(async () => {
      const spec = { net, loss: nn.softmaxCrossEntropy, optimizer }
      ;[step, again] = await Promise.all([
        parallelTrainStep({ ...spec, threads: 3 }),
        parallelTrainStep({ ...spec, threads: 3 }),
      ])
    }, 60000)
    afterAll(() => Promise.all([step.close(), again.close()]))

    it("says how many threads it uses", () => {
      expect(step.threads).toBe(3)
    })

    it("gives bit-identical results on every run and from every step object", () => {
      const first = run(step)
      const second = run(step)
      const other = run(again)
      expect(treesBitsEqual(first.params, second.params)).toBe(true)
      expect(treesBitsEqual(first.params, other.params)).toBe(true)
      expect(first.losses).toEqual(second.losses)
      expect(first.losses).toEqual(other.losses)
    })

    it("averages the shards' gradients by size, shard i taking foldIn(key, i)", () => {
      // independent reference: each shard's gradient from valueAndGrad, weighted by its rows
      const batch = batches[0]! // 7 rows on 3 threads: shards of 2, 2 and 3 rows
      const key = T.random.key(5)
      const bounds = [0, 2, 4, 7]
      const n = 7
      const sums = leaves(params).map((l) => new Float64Array(l.size))
      let expectedLoss = 0
      for (let i = 0; i < 3; i++) {
        const x = T.slice(batch.x, [bounds[i]!], [bounds[i + 1]!])
        const y = T.slice(batch.y, [bounds[i]!], [bounds[i + 1]!])
        const k = T.random.foldIn(key, i)
        const f = (p: Params): Tensor =>
          nn.softmaxCrossEntropy(net.apply(p, x, { key: k, train: true }), y)
        const [value, grads] = valueAndGrad(f)(params) as readonly [Tensor, Params]
        const w = (bounds[i + 1]! - bounds[i]!) / n
        expectedLoss += w * T.item(value)
        leaves(grads).forEach((g, j) => g.data.forEach((v, t) => (sums[j]![t]! += w * v)))
      }
      const r = step(nn.trainState(params, optimizer), batch, key)
      expect(Math.abs(r.loss - expectedLoss)).toBeLessThan(1e-12)
      leaves(r.state.params).forEach((p, j) => {
        const before = leaves(params)[j]!.data
        p.data.forEach((v, t) =>
          expect(Math.abs(v - (before[t]! - 0.5 * sums[j]![t]!))).toBeLessThan(1e-12),
        )
      })
    })

    it("equals trainStep exactly on a batch of one row", () => {
      const one = batches[2]!
      const key = T.random.key(3)
      const single = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
      const a = step(nn.trainState(params, optimizer), one, key)
      const b = single(nn.trainState(params, optimizer), one, key)
      expect(treesBitsEqual(a.state.params, b.state.params)).toBe(true)
      expect(a.loss).toBe(b.loss)
    })

    it("throws the network's error for a bad batch, and keeps working", () => {
      const state = nn.trainState(params, optimizer)
      // 3 inputs where the network takes 4
      const bad = { x: T.zeros([5, 3], { dtype: "float64" }), y: T.slice(batches[0]!.y, [0], [5]) }
      expect(() => step(state, bad)).toThrow(T.TensorError)
      expect(() => step(state, { x: batches[0]!.x, y: batches[1]!.y })).toThrow(
        /same number of rows/,
      )
      expect(() =>
        step(state, { x: T.zeros([0, 4]), y: T.zeros([0], { dtype: "int32" }) }),
      ).toThrow(/empty/)
      expect(Number.isFinite(step(state, batches[3]!).loss)).toBe(true)
    })
  })

  describe("creation", () => {
    const net = nn.serial(nn.Dense(3), nn.Relu, nn.Dense(2))
    const optimizer = nn.sgd(0.1)

    it("rejects a loss that workers cannot rebuild, naming the ones they can", async () => {
      const loss = (o: Tensor, y: Tensor): Tensor => nn.mse(o, y)
      await expect(parallelTrainStep({ net, loss, optimizer, threads: 2 })).rejects.toThrow(
        /loss must be one of nn\.mse, nn\.softmaxCrossEntropy, nn\.binaryCrossEntropy/,
      )
    })

    it("rejects a network that its description does not rebuild", async () => {
      const custom: Layer = { ...nn.Dense(2), description: { layer: "Custom" } as never }
      await expect(
        parallelTrainStep({ net: custom, loss: nn.mse, optimizer, threads: 2 }),
      ).rejects.toThrow(/nn\.describe\(net\)/)
    })

    it("rejects a thread count that is not a positive integer", async () => {
      for (const threads of [0, 1.5, -1, Number.NaN])
        await expect(parallelTrainStep({ net, loss: nn.mse, optimizer, threads })).rejects.toThrow(
          /threads must be/,
        )
    })

    it("with one thread is trainStep, custom losses included, and starts no worker", async () => {
      const loss = (o: Tensor, y: Tensor): Tensor => nn.mse(o, y)
      const step = await parallelTrainStep({ net, loss, optimizer, threads: 1 })
      const [, params] = net.init(T.random.key(0), [-1, 2])
      const batch = makeBatch(1, 5, 2, 2, "mse", "float32")
      const a = step(nn.trainState(params, optimizer), batch)
      const b = nn.trainStep({ net, loss, optimizer })(nn.trainState(params, optimizer), batch)
      expect(step.threads).toBe(1)
      expect(treesBitsEqual(a.state.params, b.state.params)).toBe(true)
      await step.close()
      expect(() => step(nn.trainState(params, optimizer), batch)).toThrow(/closed/)
    })
  })

  describe("closing", () => {
    it("stops the workers; the step then throws", async () => {
      const net = nn.serial(nn.Dense(2))
      const optimizer = nn.sgd(0.1)
      const step = await parallelTrainStep({ net, loss: nn.mse, optimizer, threads: 2 })
      const [, params] = net.init(T.random.key(0), [-1, 2])
      const state = nn.trainState(params, optimizer)
      const batch = makeBatch(2, 4, 2, 2, "mse", "float32")
      expect(Number.isFinite(step(state, batch).loss)).toBe(true)
      const closing = step.close()
      // a second call waits for the same exit
      expect(step.close()).toBe(closing)
      await closing
      expect(() => step(state, batch)).toThrow(/closed/)
    }, 30000)
  })

  it("brings workers that small batches left idle up to date with changed parameters", async () => {
    // four threads; two-row batches leave workers 2 and 3 idle while the parameters change
    // dtype, then a batch of eight gives them all a job
    const net = nn.serial(nn.Dense(5), nn.Relu, nn.Dense(3))
    const optimizer = nn.sgd(0.2)
    const step = await parallelTrainStep({
      net,
      loss: nn.softmaxCrossEntropy,
      optimizer,
      threads: 4,
    })
    const single = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
    try {
      for (const [i, dtype] of (["float32", "float64", "float32", "float64"] as const).entries()) {
        const [, params] = net.init(T.random.key(i), [-1, 4], { dtype })
        const state = nn.trainState(params, optimizer)
        for (const rows of [2, 2, 8]) {
          const batch = makeBatch(10 * i + rows, rows, 4, 3, "softmaxCrossEntropy", dtype)
          const a = step(state, batch)
          const b = single(state, batch)
          const tol = dtype === "float32" ? 1e-5 : 1e-12
          expect(maxRelativeGap(a.state.params, b.state.params)).toBeLessThanOrEqual(tol)
        }
      }
    } finally {
      await step.close()
    }
  }, 60000)

  it("gives workers the caller's fast-kernel thresholds, so every shard rounds alike", async () => {
    // with thresholds that keep every call in JavaScript, shards computed by workers with the
    // fast kernels must round exactly as the reference kernels do
    const net = nn.serial(nn.Dense(40), nn.Relu, nn.Dense(3))
    const [, params] = net.init(T.random.key(3), [-1, 300])
    const optimizer = nn.sgd(0.1)
    const spec = { net, loss: nn.softmaxCrossEntropy, optimizer, threads: 2 }
    const reference = await parallelTrainStep({ ...spec, kernels: "reference" })
    installFastKernels({ threads: 1, minMacs: 1e12, minElements: 1e12 })
    try {
      const fast = await parallelTrainStep({ ...spec, kernels: "fast" })
      try {
        const state = nn.trainState(params, optimizer)
        const batch = makeBatch(9, 8, 300, 3, "softmaxCrossEntropy", "float32")
        const a = reference(state, batch)
        const b = fast(state, batch)
        expect(treesBitsEqual(a.state.params, b.state.params)).toBe(true)
      } finally {
        await fast.close()
      }
    } finally {
      uninstallFastKernels()
      await reference.close()
    }
  }, 60000)
})

type SpawnSync = (
  command: string,
  args: ReadonlyArray<string>,
  options: { cwd: string; timeout: number; encoding: "utf8" },
) => { status: number | null; stdout: string; stderr: string; signal: string | null }

describe("a program using parallel steps", () => {
  it("exits on its own when its work is done, even without close()", () => {
    const proc = process as unknown as {
      execPath: string
      getBuiltinModule: (id: string) => { spawnSync: SpawnSync }
    }
    const { spawnSync } = proc.getBuiltinModule("node:child_process")
    const program = `
      import * as T from "@fnn/tensor"
      import * as nn from "./src/index.ts"
      import { parallelTrainStep } from "./src/node/index.ts"
      const net = nn.serial(nn.Dense(4), nn.Relu, nn.Dense(2))
      const [, params] = net.init(T.random.key(0), [-1, 3])
      const optimizer = nn.sgd(0.1)
      const step = await parallelTrainStep({ net, loss: nn.softmaxCrossEntropy, optimizer, threads: 2 })
      const batch = { x: T.ones([4, 3]), y: T.tensor([0, 1, 0, 1], { dtype: "int32" }) }
      const { loss } = step(nn.trainState(params, optimizer), batch)
      console.log(step.threads, Number.isFinite(loss))
    `
    const cwd = new URL("..", import.meta.url).pathname
    const result = spawnSync(
      proc.execPath,
      ["--conditions=@fnn/source", "--import", "tsx", "--input-type=module", "-e", program],
      { cwd, timeout: 30000, encoding: "utf8" },
    )
    expect(result.stderr.replace(/.*npm warn.*\n?/g, "")).toBe("")
    expect(result.stdout.trim()).toBe("2 true")
    expect(result.status).toBe(0)
  }, 40000)
})

describe("two threads combine shards exactly as documented", () => {
  // float32 parameters: the reference rounds where the step rounds, so the match is bit for bit
  const net: Layer = nn.serial(nn.Dense(5), nn.Tanh, nn.Dense(3))
  const [, params] = net.init(T.random.key(11), [-1, 4])
  const optimizer: GradientTransformation<OptState> = nn.sgd(0.5)
  let step: ParallelStep<Params, OptState>
  beforeAll(async () => {
    step = await parallelTrainStep({
      net,
      loss: nn.softmaxCrossEntropy,
      optimizer,
      threads: 2,
      kernels: "reference",
    })
  }, 60000)
  afterAll(() => step.close())

  it("g = fround(w₀·g₀ + w₁·g₁) with wᵢ = nᵢ/n, then p + fround(−lr·g), bit for bit", () => {
    const batch = makeBatch(300, 5, 4, 3, "softmaxCrossEntropy", "float32") // shards of 2 and 3
    const bounds = [0, 2, 5]
    const shardGrads = [0, 1].map((i) => {
      const x = T.slice(batch.x, [bounds[i]!], [bounds[i + 1]!])
      const y = T.slice(batch.y, [bounds[i]!], [bounds[i + 1]!])
      const f = (p: Params): Tensor => nn.softmaxCrossEntropy(net.apply(p, x), y)
      return leaves(valueAndGrad(f)(params)[1])
    })
    const [w0, w1] = [2 / 5, 3 / 5]
    const r = step(nn.trainState(params, optimizer), batch)
    leaves(r.state.params).forEach((p, j) => {
      const before = leaves(params)[j]!.data
      const [a, b] = [shardGrads[0]![j]!.data, shardGrads[1]![j]!.data]
      const expected = Float32Array.from(before, (v, t) => {
        const g = Math.fround(w0 * a[t]! + w1 * b[t]!)
        return Math.fround(v + Math.fround(-0.5 * g))
      })
      expect([...p.data]).toEqual([...expected])
    })
  })
})
