/**
 * Generates the GEMM module: GotoBLAS-style packing and a register-blocked SIMD micro-kernel.
 *
 * Layout in linear memory (all addresses and strides in bytes):
 * - packed B: for each k-block (depth `kb`, chosen per product, at most KC), `nPad / NR` panels
 *   of `kcPad × NR` elements (`kcPad` is the block's depth rounded up to the unroll factor,
 *   padding is zero);
 * - packed A: for one block of at most MC rows, `ceil(mc / MR)` panels of `kcPad × MR` elements;
 * - C: `mPad × nPad` row-major (`ldc = nPad · E`), whole tiles written, the caller copies out
 *   the `m × n` part.
 *
 * The micro-kernel keeps an MR×NR tile of C in `MR · NR / lanes` v128 locals; each step of k
 * loads NR/lanes vectors of B, splats MR elements of A and does one multiply and one add per
 * accumulator (no fused multiply-add in baseline WebAssembly SIMD). V8 on x86-64 keeps 15
 * vector registers for wasm and issues all of a loop body's loads first, so the live values are
 * the accumulators, the B vectors, the MR splats and one product: 8 + 2 + 4 + 1 for 4×8 f32.
 * Unrolling k by hand would make more loads live at once and spill; V8 unrolls the loop itself.
 * @module
 */
import type { Code } from "./wasm-encoder.ts"
import {
  Func,
  brIf,
  call,
  encodeModule,
  f32load,
  f32store,
  f32x4add,
  f32x4mul,
  f32zero,
  f64load,
  f64store,
  f64x2add,
  f64x2mul,
  f64zero,
  forRange,
  get,
  i32,
  iadd,
  iand,
  idivu,
  ieq,
  ifElse,
  igt,
  ilt,
  imin,
  ine,
  imul,
  inc,
  isub,
  load32Splat,
  load64Splat,
  loop,
  seq,
  set,
  shuffle32,
  vload,
  vstore,
  vzero,
} from "./wasm-encoder.ts"

/** Blocking parameters of one element type. */
export interface GemmConfig {
  readonly type: "f32" | "f64"
  /** Rows of the register tile. */
  readonly mr: number
  /** Columns of the register tile (a multiple of the lanes per vector). */
  readonly nr: number
  /** Unroll factor of the micro-kernel's k loop; k-blocks are zero-padded to a multiple. */
  readonly unroll: number
  /** Rows of A packed at a time (a multiple of `mr`). */
  readonly mc: number
  /**
   * Deepest k-block (a multiple of `unroll`): the caller picks the depth of each product's
   * blocks up to this, splitting k evenly, and gives each thread `mc · kc` elements to pack A.
   */
  readonly kc: number
}

interface Ops {
  readonly size: number
  readonly lanes: number
  readonly load: (addr: Code, offset?: number) => Code
  readonly store: (addr: Code, value: Code, offset?: number) => Code
  readonly splat: (addr: Code, offset?: number) => Code
  readonly add: (a: Code, b: Code) => Code
  readonly mul: (a: Code, b: Code) => Code
  readonly zero: Code
  readonly scalar: "f32" | "f64"
}

const opsOf = (type: "f32" | "f64"): Ops =>
  type === "f32"
    ? {
        size: 4,
        lanes: 4,
        load: f32load,
        store: f32store,
        splat: load32Splat,
        add: f32x4add,
        mul: f32x4mul,
        zero: f32zero,
        scalar: "f32",
      }
    : {
        size: 8,
        lanes: 2,
        load: f64load,
        store: f64store,
        splat: load64Splat,
        add: f64x2add,
        mul: f64x2mul,
        zero: f64zero,
        scalar: "f64",
      }

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/** `x` rounded up to a multiple of `u`. */
const roundUp = (x: Code, u: number): Code =>
  u === 1
    ? x
    : (u & (u - 1)) === 0
      ? iand(iadd(x, i32(u - 1)), i32(-u))
      : imul(idivu(iadd(x, i32(u - 1)), i32(u)), i32(u))

/** The four columns of a 4×4 block of f32 rows `r0…r3` (two rounds of interleaving). */
const transpose4 = (rows: ReadonlyArray<Code>): Code[] => {
  const [r0, r1, r2, r3] = rows as [Code, Code, Code, Code]
  const lo = [0, 4, 1, 5]
  const hi = [2, 6, 3, 7]
  return [
    [lo, [0, 1, 4, 5]],
    [lo, [2, 3, 6, 7]],
    [hi, [0, 1, 4, 5]],
    [hi, [2, 3, 6, 7]],
  ].map(([first, second]) =>
    shuffle32(shuffle32(r0, r1, first!), shuffle32(r2, r3, first!), second!),
  )
}

/**
 * `packA(src, rs, cs, m, kc, dst)`: rows [0, m) × columns [0, kc) of A (element (i, p) at
 * `src + i·rs + p·cs`) into panels of MR rows, each `kcPad × MR`, zero-padded.
 */
const packA = (c: GemmConfig, o: Ops): { func: Func; body: Code } => {
  const f = new Func(`packA_${c.type}`, ["i32", "i32", "i32", "i32", "i32", "i32"])
  const [src, rs, cs, m, kc, dst] = [0, 1, 2, 3, 4, 5]
  const ip = f.local("i32")
  const p = f.local("i32")
  const rows = f.local("i32")
  const addr = f.local("i32")
  const kcPad = f.local("i32")
  const E = o.size
  const step = seq(inc(addr, get(cs)), inc(dst, i32(c.mr * E)))
  const element = (r: number, guarded: boolean): Code => {
    const value = o.load(iadd(get(addr), imul(get(rs), i32(r))))
    return o.store(get(dst), guarded ? ifValue(ilt(i32(r), get(rows)), value, o) : value, r * E)
  }
  const scalarLoop = (guarded: boolean): Code =>
    forRange(p, get(p), get(kc), i32(1), seq(...range(c.mr).map((r) => element(r, guarded)), step))
  // A read transposed: the MR elements of one column are adjacent, copied as vectors
  const copyLoop = forRange(
    p,
    get(p),
    get(kc),
    i32(1),
    seq(
      ...range((c.mr * E) / 16).map((v) => vstore(get(dst), vload(get(addr), v * 16), v * 16)),
      step,
    ),
  )
  // A row-major (f32, MR = 4): 4×4 blocks loaded by rows, transposed in registers
  const blockLoop = forRange(
    p,
    get(p),
    isub(get(kc), i32(3)),
    i32(4),
    seq(
      ...transpose4(range(4).map((r) => vload(iadd(get(addr), imul(get(rs), i32(r)))))).map(
        (column, j) => vstore(get(dst), column, j * 16),
      ),
      inc(addr, i32(16)),
      inc(dst, i32(64)),
    ),
  )
  const vectorColumns = c.mr * E === 16 || c.mr * E === 32
  const fullPanel = seq(
    vectorColumns ? ifElse(ieq(get(rs), i32(E)), copyLoop) : [],
    c.type === "f32" && c.mr === 4 ? ifElse(ieq(get(cs), i32(E)), blockLoop) : [],
    scalarLoop(false),
  )
  const body = seq(
    set(kcPad, roundUp(get(kc), c.unroll)),
    forRange(
      ip,
      i32(0),
      get(m),
      i32(c.mr),
      seq(
        set(rows, imin(i32(c.mr), isub(get(m), get(ip)))),
        set(addr, iadd(get(src), imul(get(ip), get(rs)))),
        set(p, i32(0)),
        ifElse(ieq(get(rows), i32(c.mr)), fullPanel, scalarLoop(true)),
        // each loop above leaves p = kc; the rest up to kcPad is zeros
        forRange(
          p,
          get(p),
          get(kcPad),
          i32(1),
          seq(...range(c.mr).map((r) => o.store(get(dst), o.zero, r * E)), inc(dst, i32(c.mr * E))),
        ),
      ),
    ),
  )
  return { func: f, body }
}

/** `cond ? value : 0` without evaluating `value` when `cond` is false. */
const ifValue = (cond: Code, value: Code, o: Ops): Code => {
  const t = o.scalar === "f32" ? 0x7d : 0x7c
  return [...cond, 0x04, t, ...value, 0x05, ...o.zero, 0x0b]
}

/** A function of `count` i32 parameters, and their indices. */
const i32Func = (name: string, count: number): { f: Func; params: number[] } => ({
  f: new Func(
    name,
    range(count).map(() => "i32" as const),
  ),
  params: range(count),
})

/**
 * `packB(src, rs, cs, n, k, nPad, dst, j0, j1, kb)`: for every k-block of depth `kb` (a multiple
 * of the unroll; the last block may be shallower), the column panels starting at j0, j0+NR, … < j1
 * of B (element (p, j) at `src + p·rs + j·cs`), each `kcPad × NR`, written where the blocked
 * layout puts them, zero-padded.
 */
const packB = (c: GemmConfig, o: Ops): { func: Func; body: Code } => {
  const { f, params } = i32Func(`packB_${c.type}`, 10)
  const [src, rs, cs, n, k, nPad, dst, j0, j1, kb] = params as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const pc = f.local("i32")
  const kc = f.local("i32")
  const kcPad = f.local("i32")
  const jp = f.local("i32")
  const p = f.local("i32")
  const cols = f.local("i32")
  const addr = f.local("i32")
  const out = f.local("i32")
  const E = o.size
  const element = (col: number, guarded: boolean): Code => {
    const value = o.load(iadd(get(addr), imul(get(cs), i32(col))))
    return o.store(get(out), guarded ? ifValue(ilt(i32(col), get(cols)), value, o) : value, col * E)
  }
  const rowBytes = c.nr * E
  const body = forRange(
    pc,
    i32(0),
    get(k),
    get(kb),
    seq(
      set(kc, imin(get(kb), isub(get(k), get(pc)))),
      set(kcPad, roundUp(get(kc), c.unroll)),
      forRange(
        jp,
        get(j0),
        get(j1),
        i32(c.nr),
        seq(
          set(cols, imin(i32(c.nr), isub(get(n), get(jp)))),
          // dst + pc·nPad·E + jp·kcPad·E
          set(
            out,
            iadd(get(dst), imul(i32(E), iadd(imul(get(pc), get(nPad)), imul(get(jp), get(kcPad))))),
          ),
          set(addr, iadd(get(src), iadd(imul(get(pc), get(rs)), imul(get(jp), get(cs))))),
          forRange(
            p,
            i32(0),
            get(kc),
            i32(1),
            seq(
              ifElse(
                ieq(get(cols), i32(c.nr)),
                ifElse(
                  ieq(get(cs), i32(E)),
                  seq(
                    ...range(rowBytes / 16).map((v) =>
                      vstore(get(out), vload(get(addr), v * 16), v * 16),
                    ),
                  ),
                  seq(...range(c.nr).map((col) => element(col, false))),
                ),
                seq(...range(c.nr).map((col) => element(col, true))),
              ),
              inc(addr, get(rs)),
              inc(out, i32(rowBytes)),
            ),
          ),
          forRange(
            p,
            get(kc),
            get(kcPad),
            i32(1),
            seq(
              ...range(c.nr).map((col) => o.store(get(out), o.zero, col * E)),
              inc(out, i32(rowBytes)),
            ),
          ),
        ),
      ),
    ),
  )
  return { func: f, body }
}

/**
 * The micro-kernel, inlined into `gemm`: C tile at `ct` (row stride `ldc`) gets (or, when
 * `accumulate` ≠ 0, gains) the product of the A panel at `ap` and the B panel at `bp` over
 * `kcPad` steps.
 */
const microKernel = (
  c: GemmConfig,
  o: Ops,
  f: Func,
  v: { ap: number; bp: number; ct: number; kcPad: number; ldc: number; accumulate: Code },
): Code => {
  const E = o.size
  const nv = c.nr / o.lanes
  const acc = range(c.mr).map(() => range(nv).map(() => f.local("v128")))
  const bv = range(nv).map(() => f.local("v128"))
  const av = f.local("v128")
  const a = f.local("i32")
  const b = f.local("i32")
  const aEnd = f.local("i32")
  const row = f.local("i32")
  const step = (u: number): Code =>
    seq(
      ...bv.map((x, j) => set(x, vload(get(b), (u * c.nr + j * o.lanes) * E))),
      ...range(c.mr).map((r) =>
        seq(
          set(av, o.splat(get(a), (u * c.mr + r) * E)),
          ...bv.map((x, j) => set(acc[r]![j]!, o.add(get(acc[r]![j]!), o.mul(get(av), get(x))))),
        ),
      ),
    )
  return seq(
    ...acc.flat().map((x) => set(x, vzero)),
    set(a, get(v.ap)),
    set(b, get(v.bp)),
    set(aEnd, iadd(get(v.ap), imul(get(v.kcPad), i32(c.mr * E)))),
    loop(
      ...range(c.unroll).map(step),
      inc(a, i32(c.unroll * c.mr * E)),
      inc(b, i32(c.unroll * c.nr * E)),
      // one compare of a pointer ends the loop: no separate counter to update
      brIf(0, ine(get(a), get(aEnd))),
    ),
    set(row, get(v.ct)),
    ifElse(
      v.accumulate,
      seq(
        ...acc.map((accRow) =>
          seq(
            ...accRow.map((x, j) =>
              vstore(get(row), o.add(vload(get(row), j * 16), get(x)), j * 16),
            ),
            inc(row, get(v.ldc)),
          ),
        ),
      ),
      seq(
        ...acc.map((accRow) =>
          seq(...accRow.map((x, j) => vstore(get(row), get(x), j * 16)), inc(row, get(v.ldc))),
        ),
      ),
    ),
  )
}

/**
 * `gemm(A, ars, acs, Bp, C, k, nPad, i0, i1, j0, j1, kb, Ap)`: rows [i0, i1) × columns [j0, j1)
 * of C = A · B, with B already packed at `Bp` in k-blocks of depth `kb`, and `Ap` as this
 * caller's packing space for A (MC × kb elements). `i0`, `j0`, `j1` are multiples of MR, NR, NR;
 * `i1` is a multiple of MR or equals m.
 */
const gemm = (c: GemmConfig, o: Ops, packAIndex: number): { func: Func; body: Code } => {
  const { f, params } = i32Func(`gemm_${c.type}`, 13)
  const [A, ars, acs, Bp, C, k, nPad, i0, i1, j0, j1, kb, Ap] = params as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const E = o.size
  const ic = f.local("i32")
  const mc = f.local("i32")
  const pc = f.local("i32")
  const kc = f.local("i32")
  const kcPad = f.local("i32")
  const jr = f.local("i32")
  const ir = f.local("i32")
  const ldc = f.local("i32")
  const bpanel = f.local("i32")
  const apanel = f.local("i32")
  const ctile = f.local("i32")
  const kernel = microKernel(c, o, f, {
    ap: apanel,
    bp: bpanel,
    ct: ctile,
    kcPad,
    ldc,
    accumulate: igt(get(pc), i32(0)),
  })
  const body = seq(
    set(ldc, imul(get(nPad), i32(E))),
    forRange(
      ic,
      get(i0),
      get(i1),
      i32(c.mc),
      seq(
        set(mc, imin(i32(c.mc), isub(get(i1), get(ic)))),
        forRange(
          pc,
          i32(0),
          get(k),
          get(kb),
          seq(
            set(kc, imin(get(kb), isub(get(k), get(pc)))),
            set(kcPad, roundUp(get(kc), c.unroll)),
            call(
              packAIndex,
              iadd(get(A), iadd(imul(get(ic), get(ars)), imul(get(pc), get(acs)))),
              get(ars),
              get(acs),
              get(mc),
              get(kc),
              get(Ap),
            ),
            forRange(
              jr,
              get(j0),
              get(j1),
              i32(c.nr),
              seq(
                set(
                  bpanel,
                  iadd(
                    get(Bp),
                    imul(i32(E), iadd(imul(get(pc), get(nPad)), imul(get(jr), get(kcPad)))),
                  ),
                ),
                set(apanel, get(Ap)),
                set(ctile, iadd(get(C), iadd(imul(get(ic), get(ldc)), imul(get(jr), i32(E))))),
                forRange(
                  ir,
                  i32(0),
                  get(mc),
                  i32(c.mr),
                  seq(
                    kernel,
                    inc(apanel, imul(get(kcPad), i32(c.mr * E))),
                    inc(ctile, imul(get(ldc), i32(c.mr))),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  )
  return { func: f, body }
}

/** The GEMM module for one configuration: exports `packA_T`, `packB_T`, `gemm_T`. */
export const gemmModule = (configs: ReadonlyArray<GemmConfig>, shared: boolean): Uint8Array => {
  const funcs = configs.flatMap((c, i) => {
    const o = opsOf(c.type)
    return [packA(c, o), packB(c, o), gemm(c, o, 3 * i)]
  })
  return encodeModule({ initial: 1, maximum: 65536, shared }, funcs)
}
