/**
 * Generates the elementwise module: float32 arithmetic and comparisons, and `where` on 32-bit
 * values, four lanes at a time.
 *
 * Every function takes byte addresses and an element count `n`, and works on whole vectors: it
 * reads and writes up to `VECTOR_PAD` bytes past element `n` of each operand (the caller leaves
 * room there; the extra lanes are garbage and never copied out). Operands are vectors of `n`
 * elements or, by the layout in the name, one element splatted to every lane:
 * - `op_vv(a, b, out, n)`: `out[i] = a[i] ⊕ b[i]`; `op_vs`: `a[i] ⊕ b[0]`; `op_sv`: `a[0] ⊕ b[i]`,
 *   for `op` in add, sub, mul, div (float32 results, the IEEE operations) and gt, ge, eq (int32
 *   ones and zeros);
 * - `where_vv(c, a, b, out, n)`: `out[i] = c[i] ≠ 0 ? a[i] : b[i]` on the 32-bit patterns (so for
 *   float32 and int32 alike), `where_sv` with `a[0]`, `where_vs` with `b[0]`.
 * @module
 */
import type { Code } from "./wasm-encoder.ts"
import {
  Func,
  bitselect,
  encodeModule,
  f32x4add,
  f32x4div,
  f32x4eq,
  f32x4ge,
  f32x4gt,
  f32x4mul,
  f32x4sub,
  forRange,
  get,
  i32,
  i32x4ne,
  i32x4shrU,
  iadd,
  ishl,
  load32Splat,
  seq,
  set,
  vload,
  vstore,
  vzero,
} from "./wasm-encoder.ts"

/** Vectors per loop iteration. */
export const UNROLL = 2
/** Bytes a function may touch past the last element of each operand. */
export const VECTOR_PAD = 16 * UNROLL

/** A binary op's lane-wise instruction. */
const binaryOps: ReadonlyArray<readonly [string, (a: Code, b: Code) => Code]> = [
  ["add", f32x4add],
  ["sub", f32x4sub],
  ["mul", f32x4mul],
  ["div", f32x4div],
  // comparisons give all-ones lanes; shifted down to 1
  ["gt", (a, b) => i32x4shrU(f32x4gt(a, b), 31)],
  ["ge", (a, b) => i32x4shrU(f32x4ge(a, b), 31)],
  ["eq", (a, b) => i32x4shrU(f32x4eq(a, b), 31)],
]

/** How an operand is read: a vector of `n` elements, or one element splatted. */
type Read = "v" | "s"
const layouts: ReadonlyArray<readonly [Read, Read]> = [
  ["v", "v"],
  ["v", "s"],
  ["s", "v"],
]

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/**
 * A function `name(operands…, out, n)` reading its operands as `reads` says: `lane(values)` gives
 * one vector of the result from one vector (or the splat) of each operand.
 */
const elementwise = (
  name: string,
  reads: ReadonlyArray<Read>,
  lane: (operands: ReadonlyArray<Code>) => Code,
): { func: Func; body: Code } => {
  const f = new Func(name, [...reads.map(() => "i32" as const), "i32", "i32"])
  const out = reads.length
  const n = out + 1
  const offset = f.local("i32")
  const end = f.local("i32")
  // a splatted operand is loaded once, before the loop
  const splats = reads.map((r, p) => (r === "s" ? f.local("v128") : p))
  const operand = (p: number, u: number): Code =>
    reads[p] === "s" ? get(splats[p]!) : vload(iadd(get(p), get(offset)), 16 * u)
  const body = seq(
    ...reads.map((r, p) => (r === "s" ? set(splats[p]!, load32Splat(get(p))) : [])),
    set(end, ishl(get(n), i32(2))),
    forRange(
      offset,
      i32(0),
      get(end),
      i32(16 * UNROLL),
      seq(
        ...range(UNROLL).map((u) =>
          vstore(iadd(get(out), get(offset)), lane(reads.map((_, p) => operand(p, u))), 16 * u),
        ),
      ),
    ),
  )
  return { func: f, body }
}

/** The module's bytes; its memory is imported unshared (each thread has its own). */
export const elementwiseModule = (): Uint8Array =>
  encodeModule({ initial: 1, maximum: 32768, shared: false }, [
    ...binaryOps.flatMap(([op, instr]) =>
      layouts.map(([x, y]) => elementwise(`${op}_${x}${y}`, [x, y], ([a, b]) => instr(a!, b!))),
    ),
    ...layouts.map(([x, y]) =>
      elementwise(`where_${x}${y}`, ["v", x, y], ([c, a, b]) =>
        bitselect(a!, b!, i32x4ne(c!, vzero)),
      ),
    ),
  ])
