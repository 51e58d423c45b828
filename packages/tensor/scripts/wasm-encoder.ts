/**
 * A small WebAssembly binary encoder: just the sections, types and instructions the GEMM and
 * elementwise generators need (i32 scalars, f32/f64 scalars, 128-bit SIMD, structured control
 * flow).
 *
 * Instructions are written as expressions that return their bytes, so generated code reads
 * like the stack machine it becomes: `set(acc, add(get(acc), mul(get(a), get(b))))`.
 * @module
 */

/** Bytes of code: an instruction, an expression or a sequence of them. */
export type Code = ReadonlyArray<number>

/** A value type. */
export type ValType = "i32" | "f32" | "f64" | "v128"

const valType: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b }

/** Unsigned LEB128. */
export const u32 = (v: number): number[] => {
  const out: number[] = []
  let x = v >>> 0
  do {
    let byte = x & 0x7f
    x >>>= 7
    if (x !== 0) byte |= 0x80
    out.push(byte)
  } while (x !== 0)
  return out
}

/** Signed LEB128 of a 32-bit integer. */
export const s32 = (v: number): number[] => {
  const out: number[] = []
  let x = v | 0
  for (;;) {
    const byte = x & 0x7f
    x >>= 7
    const done = (x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

/** A name (export or import); only ASCII names are needed here. */
const name = (s: string): number[] => {
  const bytes = [...s].map((ch) => {
    const c = ch.charCodeAt(0)
    if (c > 0x7f) throw new Error(`non-ASCII name ${JSON.stringify(s)}`)
    return c
  })
  return [...u32(bytes.length), ...bytes]
}
const vec = (items: ReadonlyArray<Code>): number[] => [...u32(items.length), ...items.flat()]

/** Concatenates pieces of code. */
export const seq = (...parts: ReadonlyArray<Code>): Code => parts.flat()

// ---------------------------------------------------------------------------------------------
// instructions
// ---------------------------------------------------------------------------------------------

/** `local.get i`. */
export const get = (i: number): Code => [0x20, ...u32(i)]
/** `local.set i` of a value. */
export const set = (i: number, value: Code): Code => [...value, 0x21, ...u32(i)]
/** `i32.const v`. */
export const i32 = (v: number): Code => [0x41, ...s32(v)]

const bin =
  (op: number) =>
  (a: Code, b: Code): Code => [...a, ...b, op]

/** i32 arithmetic and comparisons (signed where it matters). */
export const iadd = bin(0x6a)
export const isub = bin(0x6b)
export const imul = bin(0x6c)
export const ishl = bin(0x74)
export const iand = bin(0x71)
export const idivu = bin(0x6e)
export const ieq = bin(0x46)
export const ine = bin(0x47)
export const ilt = bin(0x48)
export const igt = bin(0x4a)
export const ige = bin(0x4e)
/** `(cond ? a : b)`, both evaluated. */
export const select = (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, 0x1b]
/** `min(a, b)` for i32 expressions without side effects (each is evaluated twice). */
export const imin = (a: Code, b: Code): Code => select(a, b, ilt(a, b))

/** `call f(args…)`. */
export const call = (f: number, ...args: ReadonlyArray<Code>): Code => [
  ...args.flat(),
  0x10,
  ...u32(f),
]

/** `x += d` for an i32 local. */
export const inc = (x: number, d: Code): Code => set(x, iadd(get(x), d))

const memarg = (alignLog2: number, offset: number): number[] => [...u32(alignLog2), ...u32(offset)]

/** Scalar loads and stores (`addr + offset`, offsets in bytes). */
export const f32load = (addr: Code, offset = 0): Code => [...addr, 0x2a, ...memarg(2, offset)]
export const f64load = (addr: Code, offset = 0): Code => [...addr, 0x2b, ...memarg(3, offset)]
export const f32store = (addr: Code, value: Code, offset = 0): Code => [
  ...addr,
  ...value,
  0x38,
  ...memarg(2, offset),
]
export const f64store = (addr: Code, value: Code, offset = 0): Code => [
  ...addr,
  ...value,
  0x39,
  ...memarg(3, offset),
]

const simd = (op: number): number[] => [0xfd, ...u32(op)]

/** 128-bit loads and stores; `load32Splat`/`load64Splat` fill every lane with one element. */
export const vload = (addr: Code, offset = 0): Code => [
  ...addr,
  ...simd(0x00),
  ...memarg(4, offset),
]
export const vstore = (addr: Code, value: Code, offset = 0): Code => [
  ...addr,
  ...value,
  ...simd(0x0b),
  ...memarg(4, offset),
]
export const load32Splat = (addr: Code, offset = 0): Code => [
  ...addr,
  ...simd(0x09),
  ...memarg(2, offset),
]
export const load64Splat = (addr: Code, offset = 0): Code => [
  ...addr,
  ...simd(0x0a),
  ...memarg(3, offset),
]
/** `i8x16.shuffle` by 32-bit lanes: lane i of the result is lane `lanes[i]` of `a ++ b` (0–7). */
export const shuffle32 = (a: Code, b: Code, lanes: ReadonlyArray<number>): Code => [
  ...a,
  ...b,
  ...simd(0x0d),
  ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
]

/** The all-zero vector. */
export const vzero: Code = [...simd(0x0c), ...new Array<number>(16).fill(0)]

const vbin =
  (op: number) =>
  (a: Code, b: Code): Code => [...a, ...b, ...simd(op)]

/** Lane-wise arithmetic. */
export const f32x4add = vbin(0xe4)
export const f32x4sub = vbin(0xe5)
export const f32x4mul = vbin(0xe6)
export const f32x4div = vbin(0xe7)
export const f64x2add = vbin(0xf0)
export const f64x2mul = vbin(0xf2)

/** Lane-wise comparisons: all ones in a lane where true, else zeros. */
export const f32x4eq = vbin(0x41)
export const f32x4gt = vbin(0x44)
export const f32x4ge = vbin(0x46)
export const i32x4ne = vbin(0x38)

/** `(a & mask) | (b & ~mask)`, bit by bit. */
export const bitselect = (a: Code, b: Code, mask: Code): Code => [
  ...a,
  ...b,
  ...mask,
  ...simd(0x52),
]
/** Each 32-bit lane shifted right by `bits`, filling with zeros. */
export const i32x4shrU = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xad)]

/** Scalar zeros. */
export const f32zero: Code = [0x43, 0, 0, 0, 0]
export const f64zero: Code = [0x44, 0, 0, 0, 0, 0, 0, 0, 0]

// structured control (all blocks have an empty result type)

/** `block … end`; `br(0)` inside jumps past the end. */
export const block = (...body: ReadonlyArray<Code>): Code => [0x02, 0x40, ...body.flat(), 0x0b]
/** `loop … end`; `br(0)` inside jumps back to the start. */
export const loop = (...body: ReadonlyArray<Code>): Code => [0x03, 0x40, ...body.flat(), 0x0b]
/** `if … else … end`. */
export const ifElse = (cond: Code, then: Code, otherwise: Code = []): Code => [
  ...cond,
  0x04,
  0x40,
  ...then,
  ...(otherwise.length > 0 ? [0x05, ...otherwise] : []),
  0x0b,
]
export const br = (depth: number): Code => [0x0c, ...u32(depth)]
export const brIf = (depth: number, cond: Code): Code => [...cond, 0x0d, ...u32(depth)]

/**
 * `for (x = from; x < to; x += step) body`, as `block (loop (br_if exit) body step br)`.
 * Inside `body`, depth 0 is the loop and depth 1 the block around it.
 */
export const forRange = (x: number, from: Code, to: Code, step: Code, body: Code): Code =>
  seq(set(x, from), block(loop(brIf(1, ige(get(x), to)), body, inc(x, step), br(0))))

// ---------------------------------------------------------------------------------------------
// functions and modules
// ---------------------------------------------------------------------------------------------

/** A function under construction: parameters are locals 0…, `local` adds more. */
export class Func {
  readonly locals: ValType[] = []

  constructor(
    readonly name: string,
    readonly params: ReadonlyArray<ValType>,
  ) {}

  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.locals.push(t)
    return this.params.length + this.locals.length - 1
  }

  /** The function's body entry for the code section. */
  encode(body: Code): number[] {
    // runs of one type share a declaration
    const groups: number[][] = []
    for (const t of this.locals) {
      const last = groups[groups.length - 1]
      if (last !== undefined && last[1] === valType[t]) last[0]! += 1
      else groups.push([1, valType[t]])
    }
    const bytes = [...vec(groups.map(([count, t]) => [...u32(count!), t!])), ...body, 0x0b]
    return [...u32(bytes.length), ...bytes]
  }
}

/** The memory every function works in, imported as `env.mem`. */
export interface MemoryImport {
  readonly initial: number
  readonly maximum: number
  readonly shared: boolean
}

/**
 * A module of exported functions without results over one imported memory. Functions are
 * exported under their names, in order.
 */
export const encodeModule = (
  memory: MemoryImport,
  funcs: ReadonlyArray<{ readonly func: Func; readonly body: Code }>,
): Uint8Array => {
  const section = (id: number, content: Code): number[] => [id, ...u32(content.length), ...content]
  const types = funcs.map(({ func }) => [
    0x60,
    ...vec(func.params.map((t) => [valType[t]])),
    ...vec([]),
  ])
  const limits = [memory.shared ? 0x03 : 0x01, ...u32(memory.initial), ...u32(memory.maximum)]
  const imports = [[...name("env"), ...name("mem"), 0x02, ...limits]]
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs.map((_, i) => u32(i)))),
    ...section(7, vec(funcs.map(({ func }, i) => [...name(func.name), 0x00, ...u32(i)]))),
    ...section(10, vec(funcs.map(({ func, body }) => func.encode(body)))),
  ]
  return Uint8Array.from(bytes)
}
