/**
 * `checkGrads`: derivatives checked against central differences along random directions.
 * @module
 */
import * as T from "@fnn/tensor"
import { jvp, vjp } from "../transforms.ts"
import { flatten, isRecord } from "../internal/tree.ts"
import { directionLike, uniformStream } from "./random.ts"

/**
 * The modes `checkGrads` exercises: reverse (`vjp`) and forward (`jvp`).
 *
 * @example
 * checkGrads(f, [x], { modes: ["rev"] }) // only reverse mode (e.g. customVjp functions)
 */
export type Mode = "rev" | "fwd"

/**
 * Options of `checkGrads`.
 *
 * @example
 * checkGrads(f, [x], { order: 2, modes: ["rev", "fwd"], eps: 1e-4, atol: 1e-6, rtol: 1e-4, seed: 3 })
 */
export interface CheckGradsOptions {
  /** 1 checks first derivatives; 2 also checks the derivative functions themselves; and so on. */
  readonly order?: number
  /** Which modes to check (default both); with both, `⟨c, Jt⟩ = ⟨t, Jᵀc⟩` is checked too. */
  readonly modes?: ReadonlyArray<Mode>
  /** The finite-difference step along the direction (entries of directions are in [-1, 1)). */
  readonly eps?: number
  /** Absolute tolerance; the default depends on the least precise float dtype involved. */
  readonly atol?: number
  /** Relative tolerance, against the magnitude of the inner product's terms. */
  readonly rtol?: number
  /** Seed of the random directions (default 0). */
  readonly seed?: number
}

/** Default tolerances per dtype: float32 derivatives are computed in float32. */
const tolerances = {
  float32: { atol: 1e-5, rtol: 5e-4 },
  float64: { atol: 1e-9, rtol: 1e-6 },
} as const

type Leaves = ReadonlyArray<T.Tensor>

/** `⟨u, v⟩` over lists of tensors, and `Σ|uᵢvᵢ|`, the scale its rounding error is relative to. */
const inner = (u: Leaves, v: ReadonlyArray<ArrayLike<number>>): [number, number] => {
  let dot = 0
  let scale = 0
  u.forEach((a, k) => {
    const ad = a.data
    const bd = v[k]!
    for (let i = 0; i < ad.length; i++) {
      const term = ad[i]! * bd[i]!
      dot += term
      scale += Math.abs(term)
    }
  })
  return [dot, scale]
}

/** How a tree of tensors reads in an error message. */
const render = (x: unknown, indent = ""): string => {
  if (x instanceof T.Tensor) return String(x).replaceAll("\n", "\n" + indent)
  const inner = indent + "  "
  if (Array.isArray(x))
    return x.length === 0
      ? "[]"
      : `[\n${(x as ReadonlyArray<unknown>).map((c) => inner + render(c, inner)).join(",\n")}\n${indent}]`
  if (isRecord(x)) {
    const keys = Object.keys(x)
    return keys.length === 0
      ? "{}"
      : `{\n${keys.map((k) => `${inner}${k}: ${render(x[k], inner)}`).join(",\n")}\n${indent}}`
  }
  return JSON.stringify(x) ?? String(x)
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toPrecision(8) : String(v))

interface Context {
  readonly args: unknown
  /** Rebuilds the arguments' structure from the differentiated leaves (others shown as `·`). */
  readonly place: (leaves: Leaves) => unknown
  readonly options: CheckGradsOptions
  readonly next: () => number
}

const dtypeRank = (d: T.DType): number => (d === "float64" ? 1 : 0)

/**
 * One level of the check for `h`, a function of the float leaves `xs` returning a tree of
 * tensors. `level` 1 is `f` itself; deeper levels check derivative functions, described by
 * `what`, with the vectors they hold fixed listed in `notes`.
 */
const checkAt = (
  h: (...xs: T.Tensor[]) => unknown,
  xs: Leaves,
  order: number,
  ctx: Context,
  level: number,
  what: string,
  notes: ReadonlyArray<string>,
): void => {
  const { options, next } = ctx
  const modes = options.modes ?? ["rev", "fwd"]
  const eps = options.eps ?? 1e-3
  const out = flatten(h(...xs), "checkGrads", "the output")
  const ys = out.leaves
  const ts = xs.map((x) => directionLike(x, next))
  const cs = ys.map((y) => (y.dtype === "int32" ? T.zerosLike(y) : directionLike(y, next)))
  const floats = [...xs, ...ys].filter((y) => y.dtype !== "int32")
  const least = floats.some((y) => dtypeRank(y.dtype) === 0) ? "float32" : "float64"
  const atol = options.atol ?? tolerances[least].atol
  const rtol = options.rtol ?? tolerances[least].rtol
  const tName = level === 1 ? "t" : `t${level}`
  const cName = level === 1 ? "c" : `c${level}`

  // ⟨c, Jt⟩ by a fourth-order central difference of h along t, in float64
  const xs64 = xs.map((x) => T.cast(x, "float64"))
  const ts64 = ts.map((t) => T.cast(t, "float64"))
  const at = (s: number): ReadonlyArray<ArrayLike<number>> =>
    flatten(
      h(...xs64.map((x, j) => T.add(x, T.mul(ts64[j]!, s)))),
      "checkGrads",
      "the output",
    ).leaves.map((y) => y.data)
  const [p2, p1, m1, m2] = [at(2 * eps), at(eps), at(-eps), at(-2 * eps)]
  const fd = ys.map((y, k) => {
    const d = new Float64Array(y.size)
    if (y.dtype === "int32") return d
    const a = p2[k]!
    const b = p1[k]!
    const c = m1[k]!
    const e = m2[k]!
    for (let i = 0; i < d.length; i++) d[i] = (-a[i]! + 8 * b[i]! - 8 * c[i]! + e[i]!) / (12 * eps)
    return d
  })
  const [fdDot, fdScale] = inner(cs, fd)

  const check = (
    title: string,
    [a, sa]: readonly [number, number],
    aLabel: string,
    [b, sb]: readonly [number, number],
    bLabel: string,
  ): void => {
    const scale = Math.max(sa, sb)
    const tol = atol + rtol * scale
    if (Math.abs(a - b) <= tol) return
    throw new Error(
      [
        `checkGrads: ${title} for ${what}`,
        `  ${aLabel} = ${fmt(a)}`,
        `  ${bLabel} = ${fmt(b)}`,
        `  error ${fmt(Math.abs(a - b))} > tolerance ${fmt(tol)} (atol ${atol} + rtol ${rtol} × scale ${fmt(scale)})`,
        `input: ${render(ctx.args)}`,
        ...notes,
        `direction ${tName}: ${render(ctx.place(ts))}`,
        `cotangent ${cName}: ${render(out.rebuild(cs))}`,
      ].join("\n"),
    )
  }
  const fdLabel = `⟨${cName}, J${tName}⟩ by central differences in float64 (step ${eps})`
  const fwdLabel = `⟨${cName}, J${tName}⟩ by jvp`
  const revLabel = `⟨${tName}, Jᵀ${cName}⟩ by vjp`

  let fwdDot: readonly [number, number] | undefined
  if (modes.includes("fwd")) {
    const [, jt] = jvp(h, [...xs], ts)
    fwdDot = inner(
      cs,
      flatten(jt, "checkGrads", "the tangent").leaves.map((t) => t.data),
    )
    check(
      "forward mode disagrees with finite differences",
      fwdDot,
      fwdLabel,
      [fdDot, fdScale],
      fdLabel,
    )
  }
  if (modes.includes("rev")) {
    const [, pullback] = vjp(h, ...xs)
    const revDot = inner(
      ts,
      pullback(out.rebuild(cs)).map((c) => c.data),
    )
    check(
      "reverse mode disagrees with finite differences",
      revDot,
      revLabel,
      [fdDot, fdScale],
      fdLabel,
    )
    if (fwdDot !== undefined) check("jvp and vjp disagree", revDot, revLabel, fwdDot, fwdLabel)
  }
  if (order <= 1) return
  const cTree = out.rebuild(cs)
  if (modes.includes("rev"))
    checkAt(
      (...vs) => vjp(h, ...vs)[1](cTree),
      xs,
      order - 1,
      ctx,
      level + 1,
      `x ↦ J(x)ᵀ${cName}, the reverse-mode derivative of ${what}`,
      [...notes, `fixed cotangent ${cName}: ${render(cTree)}`],
    )
  if (modes.includes("fwd"))
    checkAt(
      (...vs) => jvp(h, vs, [...ts])[1],
      xs,
      order - 1,
      ctx,
      level + 1,
      `x ↦ J(x)${tName}, the forward-mode derivative of ${what}`,
      [...notes, `fixed direction ${tName}: ${render(ctx.place(ts))}`],
    )
}

/**
 * Checks the derivatives of `f` at `args` (tensors or trees of tensors; int32 leaves are held
 * fixed) against finite differences, JAX's `check_grads` style: for random directions `t` (inputs)
 * and `c` (outputs) with entries of random sign and magnitude in [0.5, 1), `⟨c, Jt⟩` from `jvp` and `⟨t, Jᵀc⟩` from `vjp` must
 * agree with each other and with a fourth-order central difference of `f` along `t`, computed in
 * float64 by re-running `f` on float64 casts of the inputs (so `f` must work in any float dtype).
 * Derivatives themselves are computed in the inputs' dtypes, with tolerances to match.
 * `order: 2` checks the derivative functions the same way (reverse and forward over both modes).
 * Throws an `Error` showing the input, the directions, the two numbers and their error.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * import { checkGrads } from "@fnn/autodiff/testing"
 * const softplus = (x: T.Tensor) => T.log1p(T.exp(x))
 * checkGrads(softplus, [T.tensor([-1, 0.5, 2], { dtype: "float64" })], { order: 2 })
 */
export const checkGrads = <A extends ReadonlyArray<unknown>>(
  f: (...args: A) => unknown,
  args: A,
  options: CheckGradsOptions = {},
): void => {
  const order = options.order ?? 1
  if (!Number.isInteger(order) || order < 1)
    throw new T.TensorError("checkGrads", `order must be a positive integer, got ${order}`)
  const flat = flatten(args, "checkGrads", "args")
  const floats: number[] = []
  flat.leaves.forEach((leaf, k) => {
    if (leaf.dtype !== "int32") floats.push(k)
  })
  const withFloats = (vs: Leaves): T.Tensor[] => {
    const leaves = flat.leaves.slice()
    floats.forEach((k, j) => (leaves[k] = vs[j]!))
    return leaves
  }
  const h = (...vs: T.Tensor[]): unknown =>
    (f as unknown as (...a: ReadonlyArray<unknown>) => unknown)(
      ...(flat.rebuild(withFloats(vs)) as ReadonlyArray<unknown>),
    )
  const ctx: Context = {
    args,
    place: (leaves) =>
      flat.rebuild(flat.leaves.map((_, k) => leaves[floats.indexOf(k)] ?? "(int32, held fixed)")),
    options,
    next: uniformStream(options.seed ?? 0),
  }
  checkAt(
    h,
    floats.map((k) => flat.leaves[k]!),
    order,
    ctx,
    1,
    "f",
    [],
  )
}
