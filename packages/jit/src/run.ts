/**
 * Running a program on the kernel table in force (`currentKernels`), in the memory of its plan.
 * Without WebAssembly it runs on the JavaScript kernels, still memory-planned.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Kernel, Primitive } from "@fnn/tensor/internal"
import { currentKernels, sizeOf } from "@fnn/tensor/internal"
import type { MemoryPlan } from "./plan.ts"
import type { ProgramParts } from "./program.ts"

/** Choices for running, for tests. */
export interface RunOptions {
  /** Fill each slot with NaN (or an unlikely integer) as soon as nothing reads it any more. */
  readonly poisonFreed?: boolean
}

const views = {
  float32: (b: ArrayBuffer, n: number) => new Float32Array(b, 0, n),
  float64: (b: ArrayBuffer, n: number) => new Float64Array(b, 0, n),
  int32: (b: ArrayBuffer, n: number) => new Int32Array(b, 0, n),
} satisfies Record<T.DType, (b: ArrayBuffer, n: number) => T.TypedArray>

/**
 * Indices are checked when the program runs (a traced function cannot look at them): in range,
 * negative ones counted from the end.
 */
const checkedIndices = (x: T.Tensor, indices: T.Tensor, axis: number): T.Tensor => {
  const n = x.shape[axis]!
  const d = indices.data
  let negative = false
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!
    if (v < -n || v >= n)
      throw new T.TensorError(
        "gather",
        `index ${v} (at position ${i} of indices) is out of range for axis ${axis} of size ${n} (x has shape [${x.shape.join(", ")}])`,
      )
    if (v < 0) negative = true
  }
  if (!negative) return indices
  const fixed = new Int32Array(d.length)
  for (let i = 0; i < d.length; i++) fixed[i] = d[i]! < 0 ? d[i]! + n : d[i]!
  return new T.Tensor("int32", indices.shape, fixed)
}

/** A program ready to run: `run(inputs)` gives the outputs' tensors. */
export interface Executable {
  readonly run: (inputs: ReadonlyArray<T.Tensor>) => T.Tensor[]
}

/** Binds `program` to its plan; slot memory is made on the first run and kept. */
export const executable = (
  program: ProgramParts,
  plan: MemoryPlan,
  options: RunOptions = {},
): Executable => {
  const { avals, equations } = program
  let slotViews: Array<T.TypedArray | undefined> | undefined
  let slotBuffers: ArrayBuffer[] | undefined
  const makeViews = (): Array<T.TypedArray | undefined> => {
    slotBuffers = plan.slotBytes.map((b) => new ArrayBuffer(b))
    return equations.map((e, i) => {
      const p = plan.placements[i]!
      if (p.kind !== "slot") return undefined
      const a = avals[e.output]!
      return views[a.dtype](slotBuffers![p.slot]!, sizeOf(a.shape))
    })
  }
  const poison = (slot: number): void => {
    const bytes = new Uint8Array(slotBuffers![slot]!)
    // 0xff bytes are NaN as float32 and float64, and -1 as int32
    bytes.fill(0xff)
  }
  const values: Array<T.Tensor | undefined> = avals.map(() => undefined)
  for (const c of program.constants) values[c.variable] = c.value

  const run = (inputs: ReadonlyArray<T.Tensor>): T.Tensor[] => {
    slotViews ??= makeViews()
    const kernels = currentKernels()
    const env = values.slice()
    program.inputs.forEach((v, i) => (env[v] = inputs[i]))
    for (let i = 0; i < equations.length; i++) {
      const e = equations[i]!
      const args = e.inputs.map((v) => env[v]!)
      const aval = avals[e.output]!
      const p = plan.placements[i]!
      if (p.kind === "alias") {
        env[e.output] = new T.Tensor(aval.dtype, aval.shape, args[0]!.data)
        continue
      }
      if (e.prim === "gather")
        args[1] = checkedIndices(args[0]!, args[1]!, (e.params as { axis: number }).axis)
      const out =
        p.kind === "slot" ? slotViews[i] : p.kind === "donated" ? inputs[p.input]!.data : undefined
      env[e.output] = (kernels[e.prim] as Kernel<Primitive>)(args, e.params, out)
      if (options.poisonFreed === true) for (const s of plan.freedAfter[i]!) poison(s)
    }
    return program.outputs.map((v) => env[v]!)
  }
  return { run }
}
