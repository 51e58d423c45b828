/**
 * Elementwise kernels in WebAssembly SIMD: float32 `add`, `sub`, `mul`, `div`, the comparisons,
 * and `where` on 32-bit values. Each call copies its operands into a private memory, runs one
 * function of the generated module over whole vectors, and copies the result out: on long arrays
 * that is several times faster than a JavaScript loop (whose typed-array accesses V8 cannot hoist
 * out of the loop when the arrays are parameters), on short ones the call costs more than the
 * loop, so those, and every layout or dtype the module does not cover, go to the reference
 * kernel.
 *
 * Results are the reference kernels' bit for bit (NaN payloads aside): a float32 sum, difference,
 * product or quotient rounded once from the exact value equals the reference's double result
 * rounded to float32, comparisons are exact, and `where` copies bits.
 * @module
 */
import type { Kernel, Kernels } from "../../dispatch.ts"
import type { Shape } from "../../shape.ts"
import type { TypedArray } from "../../dtype.ts"
import { outputArray } from "../../dtype.ts"
import { broadcastShapes, sizeOf } from "../../shape.ts"
import { Tensor } from "../../tensor.ts"
import { referenceKernels } from "../index.ts"
import { readPattern } from "../strided.ts"
import type { WasmApi, WasmMemory, WasmModule } from "./api.ts"
import { decodeBase64 } from "./base64.ts"
import { elementwiseModule, vectorPad } from "./elementwise.generated.ts"

/** When the fast path is worth its call and copies. */
export interface ElementwiseOptions {
  /** Outputs with fewer elements run in JavaScript. */
  readonly minElements: number
}

/** The primitives this module computes. */
export type ElementwisePrimitive =
  "add" | "sub" | "mul" | "div" | "greater" | "greaterEqual" | "equal" | "where"

/** `f(x, y, out, n)` or `f(c, x, y, out, n)`, on byte addresses. */
type Fn = (...args: number[]) => void

const names: Record<Exclude<ElementwisePrimitive, "where">, string> = {
  add: "add",
  sub: "sub",
  mul: "mul",
  div: "div",
  greater: "gt",
  greaterEqual: "ge",
  equal: "eq",
}

const PAGE = 65536
const MAX_PAGES = 32768
/** Bytes an operand of `n` 4-byte elements takes, padding for whole vectors included. */
const span = (n: number): number => Math.ceil((4 * n) / 16) * 16 + vectorPad
/** Runs shorter than this (rows of a broadcast) are not worth a call each. */
const minRun = 64

let compiled: WasmModule | undefined

/** The module, compiled once per realm; undefined if compilation is refused. */
export const compileElementwise = (api: WasmApi): WasmModule | undefined => {
  try {
    compiled ??= new api.Module(decodeBase64(elementwiseModule))
    return compiled
  } catch {
    return undefined
  }
}

/** As `compileElementwise`, compiling asynchronously; rejects where compilation fails. */
export const compileElementwiseAsync = async (api: WasmApi): Promise<WasmModule> => {
  compiled ??= await api.compile(decodeBase64(elementwiseModule))
  return compiled
}

/**
 * The elementwise kernels over a memory of their own, or undefined where the module cannot be
 * compiled or instantiated. Each falls back to the reference kernel where it does not apply.
 */
export const wasmElementwise = (
  api: WasmApi,
  options: ElementwiseOptions,
): Pick<Kernels, ElementwisePrimitive> | undefined => {
  const module = compileElementwise(api)
  if (module === undefined) return undefined
  let memory: WasmMemory
  let fns: Readonly<Record<string, Fn>>
  const instantiate = (mem: WasmMemory): Readonly<Record<string, Fn>> =>
    new api.Instance(module, { env: { mem } }).exports as Readonly<Record<string, Fn>>
  try {
    memory = new api.Memory({ initial: 1, maximum: MAX_PAGES })
    fns = instantiate(memory)
  } catch {
    return undefined
  }
  let f32 = new Float32Array(memory.buffer)
  let i32 = new Int32Array(memory.buffer)

  /**
   * Makes the memory at least `bytes` long, by replacing it with a larger one (growing would
   * detach its buffer; see the GEMM engine's `ensure` for why that matters).
   */
  const ensure = (bytes: number): boolean => {
    const have = memory.buffer.byteLength
    if (bytes <= have) return true
    const pages = Math.ceil(bytes / PAGE)
    if (pages > MAX_PAGES) return false
    try {
      // a quarter more than needed, so that slowly rising sizes do not replace it every call
      const larger = new api.Memory({
        initial: Math.min(MAX_PAGES, pages + (pages >> 2)),
        maximum: MAX_PAGES,
      })
      fns = instantiate(larger)
      memory = larger
    } catch {
      return false
    }
    f32 = new Float32Array(memory.buffer)
    i32 = new Int32Array(memory.buffer)
    return true
  }

  /** The view of the memory holding values of `t`'s kind (float32 or int32). */
  const viewFor = (t: Tensor): Float32Array | Int32Array => (t.dtype === "int32" ? i32 : f32)

  const binary = (prim: Exclude<ElementwisePrimitive, "where">): Kernel<typeof prim> => {
    const reference = referenceKernels[prim]
    const [vv, vs, sv] = (["vv", "vs", "sv"] as const).map((layout) => `${names[prim]}_${layout}`)
    const outInt = prim === "greater" || prim === "greaterEqual" || prim === "equal"
    return (inputs, params, into) => {
      const a = inputs[0]!
      const b = inputs[1]!
      if (a.dtype !== "float32" || b.dtype !== "float32") return reference(inputs, params, into)
      const shape = broadcastShapes(prim, a.shape, b.shape)
      const size = sizeOf(shape)
      if (size < options.minElements) return reference(inputs, params, into)
      const aFull = a.size === size
      if (!aFull && b.size !== size) return reference(inputs, params, into)
      const other = aFull ? b : a
      const pattern = readPattern(other.shape, other.size, shape, size)
      const run = pattern === "rows" ? other.size : pattern === "cols" ? size / other.size : size
      if (pattern === "other" || run < minRun) return reference(inputs, params, into)
      const offB = span(a.size)
      const offOut = offB + span(b.size)
      if (!ensure(offOut + span(size))) return reference(inputs, params, into)
      f32.set(a.data, 0)
      f32.set(b.data, offB >> 2)
      if (pattern === "same") fns[vv!]!(0, offB, offOut, size)
      else if (pattern === "scalar") fns[aFull ? vs! : sv!]!(0, offB, offOut, size)
      else {
        // a run per row of the output, in order: each overwrites what the last one wrote past
        // its end
        const f = fns[pattern === "rows" ? vv! : aFull ? vs! : sv!]!
        const rows = size / run
        for (let r = 0; r < rows; r++) {
          const full = 4 * r * run
          const part = pattern === "rows" ? 0 : 4 * r
          if (aFull) f(full, offB + part, offOut + full, run)
          else f(part, offB + full, offOut + full, run)
        }
      }
      return outTensor(outInt ? i32 : f32, offOut, shape, size, outInt ? "int32" : "float32", into)
    }
  }

  const where: Kernel<"where"> = (inputs, params, into) => {
    const c = inputs[0]!
    const a = inputs[1]!
    const b = inputs[2]!
    const dtype = a.dtype
    if (c.dtype !== "int32" || dtype === "float64" || b.dtype !== dtype)
      return referenceKernels.where(inputs, params, into)
    const shape = broadcastShapes("where", c.shape, a.shape, b.shape)
    const size = sizeOf(shape)
    const aFull = a.size === size
    const bFull = b.size === size
    if (
      size < options.minElements ||
      c.size !== size ||
      !(aFull || a.size === 1) ||
      !(bFull || b.size === 1) ||
      (!aFull && !bFull)
    )
      return referenceKernels.where(inputs, params, into)
    const offA = span(size)
    const offB = offA + span(a.size)
    const offOut = offB + span(b.size)
    if (!ensure(offOut + span(size))) return referenceKernels.where(inputs, params, into)
    const view = viewFor(a)
    i32.set(c.data, 0)
    view.set(a.data, offA >> 2)
    view.set(b.data, offB >> 2)
    fns[`where_${aFull ? "v" : "s"}${bFull ? "v" : "s"}`]!(0, offA, offB, offOut, size)
    return outTensor(view, offOut, shape, size, dtype, into)
  }

  return {
    add: binary("add"),
    sub: binary("sub"),
    mul: binary("mul"),
    div: binary("div"),
    greater: binary("greater"),
    greaterEqual: binary("greaterEqual"),
    equal: binary("equal"),
    where,
  }
}

/** A tensor over a copy of `size` elements of `view` from byte `offset` (into `into` if it fits). */
const outTensor = (
  view: Float32Array | Int32Array,
  offset: number,
  shape: Shape,
  size: number,
  dtype: "float32" | "int32",
  into: TypedArray | undefined,
): Tensor => {
  const from = offset >> 2
  if (into === undefined) return new Tensor(dtype, shape, view.slice(from, from + size))
  const out = outputArray(into, dtype, size)
  out.set(view.subarray(from, from + size))
  return new Tensor(dtype, shape, out)
}
