/**
 * Reverse mode: the trace records a tape while the function runs on concrete values, then the
 * backward pass walks the tape from the end, calling each primitive's rule with the values the
 * forward pass computed. The backward pass is made of ordinary tensor ops, so an outer
 * transformation (of a lower level) records it too: that is how `grad(grad(f))` works.
 *
 * The tape is an array indexed by value id: an entry is the node that computed the value, or
 * `undefined` for values nobody computed here (the inputs being differentiated, and the outputs
 * of a custom rule, whose node sits just before them).
 * @module
 */
import * as T from "@fnn/tensor"
import type { Params, Primitive, Trace } from "@fnn/tensor/internal"
import { bind, shapesEqual } from "@fnn/tensor/internal"
import type { Cotangents, VjpRule } from "./vjpRules.ts"
import { vjpRules } from "./vjpRules.ts"
import { checkLive, nextLevel, OwnedTracer } from "./trace.ts"

/** The backward function of a `customVjp` node: output cotangents → input cotangents. */
export type CustomBackward = (outputs: ReadonlyArray<T.Tensor | undefined>) => Cotangents

/** One recorded operation. */
class Node {
  constructor(
    /** The primitive, or `undefined` for a custom rule. */
    readonly prim: Primitive | undefined,
    readonly params: unknown,
    /** The inputs' primal values (what the rule reads). */
    readonly x: ReadonlyArray<T.Tensor>,
    /** Each input's value id, or -1 for a constant of this trace. */
    readonly ids: ReadonlyArray<number>,
    readonly need: ReadonlyArray<boolean>,
    /** The output's primal value. */
    readonly y: T.Tensor | undefined,
    readonly custom: CustomBackward | undefined,
    /** A custom node's output ids. */
    readonly outputs: ReadonlyArray<number>,
  ) {}
}

const noIds: ReadonlyArray<number> = []

/** One reverse-mode transformation in progress (its tape outlives it, inside pullbacks). */
export class RevTrace implements Trace {
  readonly level = nextLevel()
  active = true
  readonly tape: Array<Node | undefined> = []

  process<P extends Primitive>(
    prim: P,
    inputs: ReadonlyArray<T.Tensor>,
    params: Params[P],
  ): T.Tensor {
    const n = inputs.length
    const x = new Array<T.Tensor>(n)
    const ids = new Array<number>(n)
    const need = new Array<boolean>(n)
    for (let i = 0; i < n; i++) {
      const v = inputs[i]!
      if (v instanceof RevTracer && v.owner === this) {
        x[i] = v.primal
        ids[i] = v.id
        need[i] = true
      } else {
        // anything else (a plain tensor, a tracer of an outer transformation) is a constant here
        checkLive(v, prim)
        x[i] = v
        ids[i] = -1
        need[i] = false
      }
    }
    const y = bind(prim, x, params)
    // integers carry no gradient: leave the value untraced, record nothing
    if (y.dtype === "int32") return y
    const id = this.tape.length
    this.tape.push(new Node(prim, params, x, ids, need, y, undefined, noIds))
    return new RevTracer(this, y, id)
  }

  /** A value being differentiated: a tracer with no node. */
  input(primal: T.Tensor): RevTracer {
    const id = this.tape.length
    this.tape.push(undefined)
    return new RevTracer(this, primal, id)
  }

  /**
   * Records a custom rule with inputs `inputs` (constants allowed) and outputs `outputs`
   * (primal values; integer ones stay untraced), and returns the outputs as tracers.
   */
  custom(
    inputs: ReadonlyArray<T.Tensor>,
    outputs: ReadonlyArray<T.Tensor>,
    backward: CustomBackward,
  ): T.Tensor[] {
    const x = inputs.map((v) => (v instanceof RevTracer && v.owner === this ? v.primal : v))
    const ids = inputs.map((v) => (v instanceof RevTracer && v.owner === this ? v.id : -1))
    const need = ids.map((i) => i >= 0)
    const node = this.tape.length
    this.tape.push(undefined)
    const outIds: number[] = []
    const traced = outputs.map((y) => {
      if (y.dtype === "int32") {
        outIds.push(-1)
        return y
      }
      const t = this.input(y)
      outIds.push(t.id)
      return t
    })
    this.tape[node] = new Node(undefined, undefined, x, ids, need, undefined, backward, outIds)
    return traced
  }

  /** The primal of `v` if it is this trace's tracer, else `v` (a constant here). */
  lower(v: T.Tensor): T.Tensor {
    return v instanceof RevTracer && v.owner === this ? v.primal : v
  }

  /** The value id of `v` if it is this trace's tracer, else -1. */
  idOf(v: T.Tensor): number {
    return v instanceof RevTracer && v.owner === this ? v.id : -1
  }

  /**
   * The backward pass: from output cotangents `seeds` (value id → cotangent, summed when an id
   * repeats), the cotangents of the values `wanted` (`undefined` where none flows).
   */
  backward(
    seeds: ReadonlyArray<readonly [number, T.Tensor]>,
    wanted: ReadonlyArray<number>,
  ): Array<T.Tensor | undefined> {
    const tape = this.tape
    const ct = new Array<T.Tensor | undefined>(tape.length)
    let top = -1
    for (const [id, g] of seeds) {
      const prev = ct[id]
      ct[id] = prev === undefined ? g : T.add(prev, g)
      if (id > top) top = id
    }
    let bottom = tape.length
    for (const id of wanted) if (id < bottom) bottom = id
    for (let i = top; i > bottom; i--) {
      const node = tape[i]
      if (node === undefined) continue
      let res: Cotangents
      if (node.custom !== undefined) {
        const outs = node.outputs.map((o) => (o < 0 ? undefined : ct[o]))
        if (outs.every((g) => g === undefined)) continue
        res = node.custom(outs)
      } else {
        const g = ct[i]
        if (g === undefined) continue
        ct[i] = undefined
        const rule = vjpRules[node.prim!] as VjpRule<Primitive>
        res = rule(g, node.x, node.y!, node.params as Params[Primitive], node.need)
      }
      const ids = node.ids
      for (let j = 0; j < ids.length; j++) {
        const id = ids[j]!
        const r = res[j]
        if (id < 0 || r === undefined) continue
        const c = fit(r, node.x[j]!)
        const prev = ct[id]
        ct[id] = prev === undefined ? c : T.add(prev, c)
      }
    }
    return wanted.map((id) => ct[id])
  }
}

/** A value inside a reverse-mode transformation: its primal and its id on the tape. */
export class RevTracer extends OwnedTracer<RevTrace> {
  readonly #id: number

  constructor(owner: RevTrace, primal: T.Tensor, id: number) {
    super(owner, primal)
    this.#id = id
  }

  get id(): number {
    return this.#id
  }
}

/**
 * Brings a rule's cotangent to its input's shape and dtype: sums over the axes that broadcasting
 * added or stretched (the one place un-broadcasting happens).
 */
export const fit = (g: T.Tensor, like: T.Tensor): T.Tensor => {
  let r = g
  if (!shapesEqual(r.shape, like.shape)) r = sumTo(r, like.shape)
  if (r.dtype !== like.dtype) r = T.cast(r, like.dtype)
  return r
}

/** Sums `g` down to `shape`, which broadcasts to `g.shape`. */
export const sumTo = (g: T.Tensor, shape: T.Shape): T.Tensor => {
  const lead = g.rank - shape.length
  const axes: number[] = []
  for (let i = 0; i < g.rank; i++)
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i)
  // the axes are sorted, distinct and in range: the primitive directly, as `T.sum` would bind it
  const summed = axes.length === 0 ? g : bind("sum", [g], { axes })
  return T.reshape(summed, shape)
}
