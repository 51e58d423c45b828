/**
 * The memory plan of a program, made once per compiled signature. `reshape` outputs share their
 * input's storage (an alias); every other equation writes a buffer. A buffer that never reaches the
 * caller lives in a slot: memory kept from call to call and reused, by liveness, by any later
 * buffer once its last reader has run. Buffers the caller receives are fresh on every call, or a
 * donated argument's storage once nothing reads that argument any more. A steady-state call thus
 * allocates nothing but its outputs.
 * @module
 */
import type * as T from "@fnn/tensor"
import { byteSize, elementwisePrimitives, sizeOf } from "@fnn/tensor/internal"
import type { ProgramParts, Var } from "./program.ts"

/** Where an equation writes its output. */
export type Placement =
  | { readonly kind: "alias" }
  /** Memory kept across calls. */
  | { readonly kind: "slot"; readonly slot: number }
  /** A buffer returned to the caller, made by the kernel on each call. */
  | { readonly kind: "fresh" }
  /** The storage of donated input `input` (an index into the program's inputs). */
  | { readonly kind: "donated"; readonly input: number }

/** The plan: a placement per equation, the slots' sizes, and what dies after each equation. */
export interface MemoryPlan {
  readonly placements: ReadonlyArray<Placement>
  /** Bytes of each slot. */
  readonly slotBytes: ReadonlyArray<number>
  /** After equation i: the slots whose contents nobody reads again. */
  readonly freedAfter: ReadonlyArray<ReadonlyArray<number>>
}

/** Primitives that read input element i only to write output element i (when shapes match). */
const elementwise: ReadonlySet<string> = new Set(elementwisePrimitives)

const sameShape = (a: T.Shape, b: T.Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i])

/**
 * Plans `program`'s memory. `donated` lists the indices of inputs whose storage may be reused.
 */
export const planMemory = (program: ProgramParts, donated: ReadonlySet<number>): MemoryPlan => {
  const { avals, equations } = program
  // the storage each variable lives in: its alias root
  const root = avals.map((_, v) => v)
  for (const e of equations) if (e.prim === "reshape") root[e.output] = root[e.inputs[0]!]!
  // the last equation reading each root's storage, and whether the caller receives it
  const lastUse = avals.map(() => -1)
  equations.forEach((e, i) => {
    for (const v of e.inputs) lastUse[root[v]!] = i
  })
  const escapes = new Set<Var>(program.outputs.map((v) => root[v]!))
  const inputIndex = new Map<Var, number>(program.inputs.map((v, i) => [v, i]))
  // donated inputs that the caller does not get back, by dtype and size
  const donors = [...donated]
    .map((i) => program.inputs[i]!)
    .filter((v) => root[v] === v && !escapes.has(v))

  const slotBytes: number[] = []
  const slotOf = new Map<Var, number>()
  const free: number[] = []
  const freedAfter: number[][] = equations.map(() => [])
  const placements: Placement[] = []
  const usedDonors = new Set<Var>()
  const dies = new Map<number, Var[]>()
  for (let v = 0; v < avals.length; v++) {
    const at = lastUse[v]!
    if (root[v] === v && at >= 0) dies.set(at, [...(dies.get(at) ?? []), v])
  }

  equations.forEach((e, i) => {
    const out = e.output
    const aval = avals[out]!
    if (e.prim === "reshape") placements.push({ kind: "alias" })
    else if (escapes.has(out)) {
      const donor = donors.find(
        (d) =>
          !usedDonors.has(d) &&
          avals[d]!.dtype === aval.dtype &&
          sizeOf(avals[d]!.shape) === sizeOf(aval.shape) &&
          (lastUse[d]! < i ||
            (lastUse[d] === i &&
              elementwise.has(e.prim) &&
              sameShape(avals[d]!.shape, aval.shape) &&
              e.inputs.every((x) => root[x] !== d || sameShape(avals[x]!.shape, aval.shape)))),
      )
      if (donor === undefined) placements.push({ kind: "fresh" })
      else {
        usedDonors.add(donor)
        placements.push({ kind: "donated", input: inputIndex.get(donor)! })
      }
    } else {
      const bytes = sizeOf(aval.shape) * byteSize(aval.dtype)
      // the smallest free slot that holds it, else the largest free one grown, else a new one
      let best = -1
      for (const s of free)
        if (slotBytes[s]! >= bytes && (best < 0 || slotBytes[s]! < slotBytes[best]!)) best = s
      if (best < 0 && free.length > 0)
        best = free.reduce((a, s) => (slotBytes[s]! > slotBytes[a]! ? s : a), free[0]!)
      if (best < 0) {
        best = slotBytes.length
        slotBytes.push(0)
      } else free.splice(free.indexOf(best), 1)
      slotBytes[best] = Math.max(slotBytes[best]!, bytes)
      slotOf.set(out, best)
      placements.push({ kind: "slot", slot: best })
    }
    // storage read for the last time here (or never read) is free for the equations after
    const done = [...(dies.get(i) ?? []), ...(lastUse[out]! < 0 && root[out] === out ? [out] : [])]
    for (const v of done) {
      const s = slotOf.get(v)
      if (s !== undefined) {
        free.push(s)
        freedAfter[i]!.push(s)
      }
    }
  })
  return { placements, slotBytes, freedAfter }
}
