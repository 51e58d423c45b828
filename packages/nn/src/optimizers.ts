/**
 * Optimizers as pure state transitions, in the style of optax. A `GradientTransformation` is a
 * pair `{ init, update }`:
 *
 * - `init(params) → state` makes the first state;
 * - `update(updates, state, params) → [updates', state']` turns gradients (or the updates of a
 *   previous transformation) into updates, and the state into the next one;
 * - `applyUpdates(params, updates)` adds the updates to the parameters.
 *
 * The invariant: nothing is mutated, and a step depends on nothing but its arguments, so
 * `update(g, s, p)` called twice gives equal results, and the same gradients from the same
 * state give the same trajectory. Updates already carry their sign (descent updates are `−lr·…`)
 * and have the structure of the parameters. A state is a tree of tensors and numbers (the update
 * count), which `saveCheckpoint` stores, so training can resume exactly where it stopped.
 *
 * Transformations compose with `chain`: `chain(clipByGlobalNorm(1), adam(1e-3))`.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"
import type { Params } from "./layers.ts"
import type { LearningRate } from "./schedules.ts"
import { asSchedule } from "./schedules.ts"
import { checkNumber } from "./checks.ts"
import { leavesOf, mapParams, zipParams } from "./pytree.ts"
import { checkOptions } from "@fnn/tensor/internal"

// -------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------

/** An optimizer state: a tree of tensors and numbers (counts, scalars). */
export type OptState =
  Tensor | number | null | ReadonlyArray<OptState> | { readonly [name: string]: OptState }

/**
 * A gradient transformation `{ init, update }` (see the module documentation for the contract).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.adam(1e-3)
 * let state = opt.init(params)
 * const [updates, next] = opt.update(grads, state, params)
 * params = nn.applyUpdates(params, updates)
 * state = next
 */
export interface GradientTransformation<S extends OptState = OptState> {
  /** The first state for `params`. */
  init(params: Params): S
  /** Updates from gradients (or earlier updates), and the next state. */
  update<P extends Params>(updates: P, state: S, params?: P): readonly [P, S]
}

/** An optimizer: a gradient transformation whose updates are added to the parameters. */
export type Optimizer<S extends OptState = OptState> = GradientTransformation<S>

/** The state type of a transformation. */
export type StateOf<G> = G extends GradientTransformation<infer S> ? S : never

/** The state of a transformation that keeps nothing. */
export type EmptyState = Readonly<Record<string, never>>

/** The state of transformations that count their updates. */
export type CountState = { readonly count: number }

/**
 * A transformation named `op` in errors (`adam.update: …`): `update` checks that the updates and
 * the parameters (when given) agree in structure, shapes and dtypes, and that the state is a
 * record or list (each transformation checks its own fields).
 */
/**
 * A transformation whose `init` and `update` check what they are given: trees, the state's
 * `fields`, and (unless `shapes` is `"own"`, for transformations that take gradients shaped
 * otherwise, such as per-example ones, or that leave the check to their members) grads shaped
 * like params. Not exported from the package.
 */
export const transformation = <S extends OptState>(
  op: string,
  fields: ReadonlyArray<string> | "list",
  init: (params: Params) => S,
  update: (updates: Params, state: S, params: Params | undefined) => readonly [Params, S],
  shapes: "params" | "own" = "params",
): GradientTransformation<S> => ({
  init: (params) => {
    checkTree(`${op}.init`, "params", params)
    return init(params)
  },
  update: <P extends Params>(updates: P, state: S, params?: P) => {
    const where = `${op}.update`
    checkTree(where, "grads", updates)
    if (params !== undefined && shapes === "params")
      zip(where, ["grads", "params"], [updates, params], ([u]) => u!)
    if (typeof state !== "object" || state === null)
      throw new T.TensorError(
        where,
        `the state must be what ${op}.init made, got ${state === null ? "null" : typeof state}`,
      )
    if (fields !== "list") checkFields(op, state, fields)
    return update(updates, state, params) as readonly [P, S]
  },
})

const checkTree = (op: string, name: string, tree: unknown): void => {
  if (typeof tree !== "object" || tree === null)
    throw new T.TensorError(
      op,
      `${name} must be a tree of tensors, got ${tree === null ? "null" : typeof tree}`,
    )
}

/** A record state must have exactly the fields its `init` makes. */
const checkFields = (op: string, state: object, fields: ReadonlyArray<string>): void => {
  const keys = isList(state) ? undefined : Object.keys(state)
  if (keys === undefined || keys.length !== fields.length || !fields.every((f) => keys.includes(f)))
    throw new T.TensorError(
      `${op}.update`,
      `the state is ${keys === undefined ? "a list" : `{ ${keys.join(", ")} }`}, but ${op}.init makes { ${fields.join(", ")} }: a state of another optimizer?`,
    )
}

/** The field `name` of a transformation's state, which must be present. */
const field = <V>(op: string, state: object, name: string): V => {
  if (!(name in state))
    throw new T.TensorError(
      `${op}.update`,
      `the state has no ${name}: it is not a state made by ${op}.init (a state of another optimizer?)`,
    )
  return (state as Record<string, V>)[name]!
}

/** The update count of a state, which must be a non-negative integer. */
const countOf = (op: string, state: object): number => {
  const count = field<unknown>(op, state, "count")
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0)
    throw new T.TensorError(
      `${op}.update`,
      `the state's count must be a non-negative integer, got ${String(count)}`,
    )
  return count
}

const map = mapParams
const zip = zipParams

const zerosLike = (params: Params): Params => map(params, (p) => T.zerosLike(p))

const empty: EmptyState = Object.freeze({})

// `Array.isArray` would narrow a readonly array to `any[]`
const isList = (x: unknown): boolean => Array.isArray(x)

// -------------------------------------------------------------------------------------------
// applying updates
// -------------------------------------------------------------------------------------------

/**
 * `params + updates`, leaf by leaf, keeping each parameter's dtype. Throws, naming the path, when
 * the trees differ in structure or a leaf in shape.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const [updates, state2] = opt.update(grads, state, params)
 * const params2 = nn.applyUpdates(params, updates)
 */
export const applyUpdates = <P extends Params>(params: P, updates: P): P =>
  zipParams(
    "applyUpdates",
    ["params", "updates"],
    [params, updates],
    ([p, u]) => {
      const s = T.add(p!, u!)
      return s.dtype === p!.dtype ? s : T.cast(s, p!.dtype)
    },
    true,
  ) as P

// -------------------------------------------------------------------------------------------
// building blocks
// -------------------------------------------------------------------------------------------

/**
 * Composes transformations: each one's updates feed the next; the state is the tuple of their
 * states.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.clipByGlobalNorm(1), nn.weightDecay(1e-4), nn.momentum(0.1))
 */
export const chain = <const Ts extends ReadonlyArray<GradientTransformation>>(
  ...transforms: Ts
): GradientTransformation<{ readonly [K in keyof Ts]: StateOf<Ts[K]> } & OptState> =>
  chainAs("chain", transforms)

const chainAs = <const Ts extends ReadonlyArray<GradientTransformation>>(
  op: string,
  transforms: Ts,
): GradientTransformation<{ readonly [K in keyof Ts]: StateOf<Ts[K]> } & OptState> =>
  transformation(
    op,
    "list",
    (params) => transforms.map((t) => t.init(params)) as never,
    (updates, state, params) => {
      const states = state as unknown as ReadonlyArray<OptState>
      if (!isList(states) || states.length !== transforms.length)
        throw new T.TensorError(
          `${op}.update`,
          `expected a state of ${transforms.length} entries (what ${op}.init made), got ${isList(states) ? states.length : "a record"}: a state of another optimizer?`,
        )
      let u = updates
      const next = transforms.map((t, i) => {
        const [u2, s2] = t.update(u, states[i]!, params)
        u = u2
        return s2
      })
      return [u, next as never]
    },
    // each member checks its own input: one may change shapes (DP-SGD's aggregate of
    // per-example gradients), so the chain's first input need not be shaped like params
    "own",
  )

/**
 * Multiplies updates by a fixed `factor`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const descend = nn.scale(-0.1) // plain gradient descent with rate 0.1
 */
export const scale = (factor: number): GradientTransformation<EmptyState> => {
  checkNumber("scale", "factor", factor, () => true, "a finite number")
  return transformation(
    "scale",
    [],
    () => empty,
    (updates, state) => [map(updates, (u) => T.mul(u, factor)), state],
  )
}

/**
 * Multiplies updates by `−lr(count)`, counting updates from 0; the last link of the optimizers
 * below.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.scaleByAdam(), nn.scaleByLearningRate(nn.cosine(1e-3, 10_000)))
 */
export const scaleByLearningRate = (lr: LearningRate): GradientTransformation<CountState> =>
  learningRateAs("scaleByLearningRate", lr)

const learningRateAs = (op: string, lr: LearningRate): GradientTransformation<CountState> => {
  const schedule = asSchedule(lr)
  return transformation(
    op,
    ["count"],
    () => ({ count: 0 }),
    (updates, state) => {
      const count = countOf(op, state)
      const rate = schedule(count)
      return [map(updates, (u) => T.mul(u, -rate)), { count: count + 1 }]
    },
  )
}

/** The state of `trace`: the running sum of past updates. */
export type TraceState = { readonly trace: Params }

/**
 * Momentum as a transformation: `t ← g + β·t`, emitting `t` (or `g + β·t` with Nesterov), the
 * form of PyTorch's SGD (no dampening) and optax's `trace`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.trace({ decay: 0.9 }), nn.scaleByLearningRate(0.1)) // nn.momentum(0.1)
 */
export const trace = (options?: {
  readonly decay?: number
  readonly nesterov?: boolean
}): GradientTransformation<TraceState> => {
  const o = checkOptions("trace", options, { decay: "number", nesterov: "boolean" })
  return traceAs("trace", o.decay ?? 0.9, o.nesterov ?? false)
}

const traceAs = (
  op: string,
  decay: number,
  nesterov: boolean,
): GradientTransformation<TraceState> => {
  checkNumber(op, "decay", decay, (x) => x >= 0, "a finite number ≥ 0")
  return transformation(
    op,
    ["trace"],
    (params) => ({ trace: zerosLike(params) }),
    (updates, state) => {
      const past = field<Params>(op, state, "trace")
      const t = zip(`${op}.update`, ["grads", "state.trace"], [updates, past], ([g, t]) =>
        T.add(g!, T.mul(t!, decay)),
      )
      const out = nesterov
        ? zip(`${op}.update`, ["grads", "trace"], [updates, t], ([g, t]) =>
            T.add(g!, T.mul(t!, decay)),
          )
        : t
      return [out, { trace: t }]
    },
  )
}

/** The state of `scaleByAdam`: update count and the first and second moment estimates. */
export type AdamState = { readonly count: number; readonly mu: Params; readonly nu: Params }

/** Options of the Adam family (defaults as in the paper, optax and PyTorch). */
export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: number
  /** Decay of the second moment (default 0.999). */
  readonly b2?: number
  /** Added to `√v̂` in the denominator (default 1e-8). */
  readonly eps?: number
}

/**
 * Adam's direction (Kingma and Ba, 2015) without the learning rate:
 * `m ← b1·m + (1−b1)·g`, `v ← b2·v + (1−b2)·g²`, emitting `m̂ / (√v̂ + eps)` with the
 * bias-corrected `m̂ = m / (1 − b1ᵗ)`, `v̂ = v / (1 − b2ᵗ)` at update `t = 1, 2, …`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.scaleByAdam({ b2: 0.99 }), nn.scaleByLearningRate(3e-4))
 */
export const scaleByAdam = (options?: AdamOptions): GradientTransformation<AdamState> =>
  adamAs("scaleByAdam", checkOptions("scaleByAdam", options, adamSpec))

const adamSpec = { b1: "number", b2: "number", eps: "number" } as const

const adamAs = (op: string, options: AdamOptions): GradientTransformation<AdamState> => {
  const b1 = options.b1 ?? 0.9
  const b2 = options.b2 ?? 0.999
  const eps = options.eps ?? 1e-8
  checkNumber(op, "b1", b1, (x) => x >= 0 && x < 1, "a number in [0, 1)")
  checkNumber(op, "b2", b2, (x) => x >= 0 && x < 1, "a number in [0, 1)")
  checkNumber(op, "eps", eps, (x) => x >= 0, "a finite number ≥ 0")
  const where = `${op}.update`
  return transformation(
    op,
    ["count", "mu", "nu"],
    (params) => ({ count: 0, mu: zerosLike(params), nu: zerosLike(params) }),
    (updates, state) => {
      const t = countOf(op, state) + 1
      const mu = field<Params>(op, state, "mu")
      const nu = field<Params>(op, state, "nu")
      const mu2 = zip(where, ["grads", "state.mu"], [updates, mu], ([g, m]) =>
        T.add(T.mul(m!, b1), T.mul(g!, 1 - b1)),
      )
      const nu2 = zip(where, ["grads", "state.nu"], [updates, nu], ([g, v]) =>
        T.add(T.mul(v!, b2), T.mul(T.square(g!), 1 - b2)),
      )
      const c1 = 1 - b1 ** t
      const c2 = 1 - b2 ** t
      const out = zip(where, ["mu", "nu"], [mu2, nu2], ([m, v]) =>
        T.div(T.div(m!, c1), T.add(T.sqrt(T.div(v!, c2)), eps)),
      )
      return [out, { count: t, mu: mu2, nu: nu2 }]
    },
  )
}

/**
 * Adds `rate · params` to the updates: L2 weight decay when placed before the learning rate
 * (PyTorch's `weight_decay` of SGD is `chain(weightDecay(rate), momentum(lr))`). Needs `params`
 * in `update`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.weightDecay(1e-4), nn.momentum(0.1, { beta: 0.9 }))
 */
export const weightDecay = (rate: number): GradientTransformation<EmptyState> =>
  weightDecayAs("weightDecay", rate)

const weightDecayAs = (op: string, rate: number): GradientTransformation<EmptyState> => {
  checkNumber(op, "rate", rate, (x) => x >= 0, "a finite number ≥ 0")
  return transformation(
    op,
    [],
    () => empty,
    (updates, state, params) => {
      if (params === undefined)
        throw new T.TensorError(`${op}.update`, "needs the parameters as its third argument")
      return [
        zip(`${op}.update`, ["grads", "params"], [updates, params], ([u, p]) =>
          T.add(u!, T.mul(p!, rate)),
        ),
        state,
      ]
    },
  )
}

/**
 * Scales all updates by `min(1, maxNorm / ‖g‖)`, `‖g‖` the L2 norm of every update together, so
 * their global norm is at most `maxNorm`; the direction is kept.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.clipByGlobalNorm(1), nn.adam(1e-3))
 */
export const clipByGlobalNorm = (maxNorm: number): GradientTransformation<EmptyState> => {
  checkNumber("clipByGlobalNorm", "maxNorm", maxNorm, (x) => x > 0, "a finite number > 0")
  return transformation(
    "clipByGlobalNorm",
    [],
    () => empty,
    (updates, state) => {
      const leaves = leavesOf(updates)
      if (leaves.length === 0) return [updates, state]
      const squared = leaves.map((u: Tensor) => T.sum(T.square(u)))
      const norm = T.sqrt(squared.reduce((a: Tensor, b: Tensor) => T.add(a, b)))
      // ‖g‖ = 0 gives maxNorm / 0 = ∞ and a factor of 1
      const factor = T.minimum(T.div(maxNorm, norm), 1)
      return [
        map(updates, (u) => T.mul(u, u.dtype === factor.dtype ? factor : T.cast(factor, u.dtype))),
        state,
      ]
    },
  )
}

// -------------------------------------------------------------------------------------------
// optimizers
// -------------------------------------------------------------------------------------------

/**
 * Stochastic gradient descent: `p ← p − lr·g`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.sgd(0.1)
 */
export const sgd = (lr: LearningRate): GradientTransformation<CountState> =>
  learningRateAs("sgd", lr)

/** Options of `momentum`. */
export interface MomentumOptions {
  /** The momentum coefficient β (default 0.9). */
  readonly beta?: number
  /** Nesterov's variant: step along `g + β·t` (default false). */
  readonly nesterov?: boolean
}

/**
 * SGD with momentum (PyTorch's form): `t ← g + β·t`, `p ← p − lr·t` (with Nesterov,
 * `p ← p − lr·(g + β·t)`).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.chain(nn.weightDecay(1e-4), nn.momentum(nn.oneCycle(37_500, 0.5), { beta: 0.9 }))
 */
export const momentum = (lr: LearningRate, options?: MomentumOptions) => {
  const o = checkOptions("momentum", options, { beta: "number", nesterov: "boolean" })
  return chainAs("momentum", [
    traceAs("momentum", o.beta ?? 0.9, o.nesterov ?? false),
    learningRateAs("momentum", lr),
  ] as const)
}

/**
 * Adam: `p ← p − lr · m̂ / (√v̂ + eps)` (see `scaleByAdam`).
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.adam(1e-3)
 */
export const adam = (lr: LearningRate, options?: AdamOptions) =>
  chainAs("adam", [
    adamAs("adam", checkOptions("adam", options, adamSpec)),
    learningRateAs("adam", lr),
  ] as const)

/** Options of `adamw`. */
export interface AdamWOptions extends AdamOptions {
  /** The decoupled weight decay rate (default 1e-4, as in optax). */
  readonly weightDecay?: number
}

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): `p ← p − lr·(m̂ / (√v̂ + eps) + wd·p)`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * const opt = nn.adamw(1e-3, { weightDecay: 1e-2 })
 */
export const adamw = (lr: LearningRate, options?: AdamWOptions) => {
  const o = checkOptions("adamw", options, { ...adamSpec, weightDecay: "number" })
  return chainAs("adamw", [
    adamAs("adamw", o),
    weightDecayAs("adamw", o.weightDecay ?? 1e-4),
    learningRateAs("adamw", lr),
  ] as const)
}
