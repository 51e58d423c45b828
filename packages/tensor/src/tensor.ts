/**
 * The tensor value: `{ dtype, shape, data }`, immutable once made.
 *
 * A `Tracer` is a tensor that belongs to an active transformation (autodiff's traces). Every
 * primitive goes through `bind` (see `dispatch.ts`), which hands the call to the trace of the
 * highest level among its inputs, so transformations see every op while this package knows
 * nothing about them.
 * @module
 */
import type { DType, TypedArray } from "./dtype.ts"
import type { Primitive, Params } from "./primitives.ts"
import type { Shape } from "./shape.ts"
import { sizeOf } from "./shape.ts"
import { format } from "./format.ts"
import { TensorError } from "./errors.ts"

let release: (t: Tensor, op: string, message: string) => void

/**
 * An immutable n-dimensional array. Build one with `tensor`, `zeros`, `arange`…; read it with
 * `toArray` or `item`. `data` is the C-order storage: never write to it.
 *
 * @example
 * import * as T from "@fnn/tensor"
 * const a = T.tensor([[1, 2], [3, 4]])
 * a.shape // [2, 2]
 * a.dtype // "float32"
 */
export class Tensor {
  #data: TypedArray | undefined
  #released: readonly [op: string, message: string] | undefined

  static {
    release = (t, op, message) => {
      t.#data = undefined
      t.#released = [op, message]
    }
  }

  /** Wraps storage without copying. Prefer the constructors in `creation`. */
  constructor(
    readonly dtype: DType,
    readonly shape: Shape,
    data: TypedArray | undefined,
  ) {
    this.#data = data
  }

  /** The C-order element storage. Read only: tensors never change after they are made. */
  get data(): TypedArray {
    const d = this.#data
    if (d === undefined && this.#released !== undefined)
      throw new TensorError(this.#released[0], this.#released[1])
    return d!
  }

  /**
   * Whether the value is unknown: a stand-in that a transformation traces without data (`jit`).
   * Its `dtype` and `shape` are known; reading its `data` throws.
   */
  get isAbstract(): boolean {
    return false
  }

  /** The number of elements. */
  get size(): number {
    return sizeOf(this.shape)
  }

  /** The number of axes. */
  get rank(): number {
    return this.shape.length
  }

  /**
   * The transformation this tensor belongs to, if it is a tracer (for transformation packages,
   * through `@fnn/tensor/internal`).
   * @internal
   */
  get trace(): Trace | undefined {
    return undefined
  }

  toString(): string {
    return format(this)
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return format(this)
  }
}

/**
 * A transformation in progress. `level` orders nested transformations: the innermost has the
 * highest level and sees a primitive first.
 */
export interface Trace {
  readonly level: number
  /** Whether the transformation is still running; a tracer of a finished trace has escaped. */
  readonly active: boolean
  /** Evaluates `prim` on `inputs`, some of which are this trace's tracers. */
  process<P extends Primitive>(prim: P, inputs: ReadonlyArray<Tensor>, params: Params[P]): Tensor
}

/**
 * A tensor that stands for a value inside a transformation. Autodiff's tracers carry the concrete
 * `primal` value (possibly itself a tracer of an outer transformation), so their data can be
 * read; a tracer standing for many values at once (vmap's) is not `concrete` and its data cannot
 * be read.
 */
export abstract class Tracer extends Tensor {
  abstract override get trace(): Trace
  abstract get primal(): Tensor

  /** `like`'s dtype and shape are the tracer's: the value it stands for, as the function sees it. */
  constructor(like: { readonly dtype: DType; readonly shape: Shape }) {
    super(like.dtype, like.shape, undefined)
  }

  override get data(): TypedArray {
    return this.primal.data
  }

  override get isAbstract(): boolean {
    // a tracer standing for many values has no primal to ask
    return this.concrete && this.primal.isAbstract
  }

  /** Whether `data` holds this tensor's values (ops that check values skip the check if not). */
  get concrete(): boolean {
    return true
  }
}

/**
 * Whether the values of `x` can be read: it is a tensor, or a tracer carrying one value, and not a
 * stand-in traced without data (`isAbstract`).
 */
export const isConcrete = (x: Tensor): boolean =>
  (!(x instanceof Tracer) || x.concrete) && !x.isAbstract

/** Whether `x` is a tensor (or a tracer standing for one). */
export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor

/**
 * Takes a tensor's storage away for good (a buffer donated to a compiled program that reuses it):
 * any later read of its data throws a `TensorError` for `op` with `message`, which should name
 * the tensor. Its dtype and shape stay readable.
 */
export const releaseData = (t: Tensor, op: string, message: string): void => release(t, op, message)
