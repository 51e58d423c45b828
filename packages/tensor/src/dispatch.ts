/**
 * The one dispatch point. `bind(prim, inputs, params)` hands the call to the innermost active
 * transformation among the inputs' traces, or runs the eager kernel.
 *
 * Kernels sit behind one table: `referenceKernels` (portable JavaScript) is always complete; a
 * faster implementation of some primitives is installed with `useKernels`, and property tests
 * hold it equal to the reference.
 * @module
 */
import type { Params, Primitive } from "./primitives.ts"
import type { Tensor, Trace } from "./tensor.ts"
import type { TypedArray } from "./dtype.ts"
import { TensorError } from "./errors.ts"
import { referenceKernels } from "./kernels/index.ts"

/**
 * An eager implementation of one primitive on concrete tensors. A caller that planned memory may
 * pass `out`, an array of the output's dtype and size whose contents do not matter: a kernel may
 * write its result there (and return a tensor over it) or ignore it and allocate. `out` never
 * overlaps an input.
 */
export type Kernel<P extends Primitive> = (
  inputs: ReadonlyArray<Tensor>,
  params: Params[P],
  out?: TypedArray,
) => Tensor

/** One kernel per primitive. */
export type Kernels = { readonly [P in Primitive]: Kernel<P> }

/** The overrides in force, oldest first: the table is the reference with each laid on top. */
const layers: Array<Partial<Kernels>> = []
let active: Kernels = referenceKernels

/** The kernels in use. */
export const currentKernels = (): Kernels => active

/**
 * Replaces some kernels (e.g. WebAssembly ones); the rest stay as they are. Returns a function
 * that takes back this call's overrides, and only them: overrides made since, by other calls,
 * stay in force, whatever order the calls are taken back in.
 */
export const useKernels = (overrides: Partial<Kernels>): (() => void) => {
  const layer = { ...overrides }
  layers.push(layer)
  active = { ...active, ...layer }
  return () => {
    const i = layers.indexOf(layer)
    if (i < 0) return
    layers.splice(i, 1)
    active = layers.reduce<Kernels>((table, l) => ({ ...table, ...l }), referenceKernels)
  }
}

/** Evaluates a primitive: through the innermost trace among the inputs, else eagerly. */
export const bind = <P extends Primitive>(
  prim: P,
  inputs: ReadonlyArray<Tensor>,
  params: Params[P],
): Tensor => {
  let top: Trace | undefined
  for (const x of inputs) {
    const t = x.trace
    if (t !== undefined && (top === undefined || t.level > top.level)) top = t
  }
  if (top === undefined) return (active[prim] as Kernel<P>)(inputs, params)
  if (!top.active)
    throw new TensorError(
      prim,
      "a tracer from a finished transformation was used: a value computed inside grad/vjp/jvp/vmap escaped (e.g. stored in a variable outside the function) and cannot be used afterwards",
    )
  return top.process(prim, inputs, params)
}
