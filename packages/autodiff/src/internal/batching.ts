/**
 * Batching (`vmap`): a `BatchTracer` stands for one example of a batch. It holds the whole batch
 * (`value`) and where the batch axis is in it (`dim`); its own shape is one example's. The trace
 * evaluates each primitive by the primitive's batching rule, on the batched values, through any
 * outer transformation.
 * @module
 */
import * as T from "@fnn/tensor"
import type { Params, Primitive, Trace } from "@fnn/tensor/internal"
import { Tracer } from "@fnn/tensor/internal"
import type { BatchDim, BatchRule } from "./batchRules.ts"
import { batchRules } from "./batchRules.ts"
import { checkLive, nextLevel } from "./trace.ts"

/** One batching transformation in progress, over `size` examples. */
export class BatchTrace implements Trace {
  readonly level = nextLevel()
  active = true

  constructor(readonly size: number) {}

  process<P extends Primitive>(
    prim: P,
    inputs: ReadonlyArray<T.Tensor>,
    params: Params[P],
  ): T.Tensor {
    const n = inputs.length
    const values = new Array<T.Tensor>(n)
    const dims = new Array<BatchDim>(n)
    for (let i = 0; i < n; i++) {
      const x = inputs[i]!
      if (x instanceof BatchTracer && x.owner === this) {
        values[i] = x.value
        dims[i] = x.dim
      } else {
        // anything else (a plain tensor, a tracer of an outer transformation) is shared
        checkLive(x, prim)
        values[i] = x
        dims[i] = null
      }
    }
    const [y, dim] = (batchRules[prim] as BatchRule<P>)(values, dims, params, this.size)
    return this.wrap(y, dim)
  }

  /** `value` as one example of this batch (batch axis `dim`), or itself when shared. */
  wrap(value: T.Tensor, dim: BatchDim): T.Tensor {
    return dim === null ? value : new BatchTracer(this, value, dim)
  }
}

const withoutAxis = (shape: T.Shape, dim: number): T.Shape => shape.filter((_, i) => i !== dim)

/** One example inside `vmap`: the whole batch `value`, whose axis `dim` runs over the examples. */
export class BatchTracer extends Tracer {
  readonly #owner: BatchTrace

  constructor(
    owner: BatchTrace,
    readonly value: T.Tensor,
    readonly dim: number,
  ) {
    super({ dtype: value.dtype, shape: withoutAxis(value.shape, dim) })
    this.#owner = owner
  }

  get owner(): BatchTrace {
    return this.#owner
  }
  override get trace(): Trace {
    return this.#owner
  }
  override get concrete(): boolean {
    return false
  }
  /** Abstract when the batched value is (vmap inside jit). */
  override get isAbstract(): boolean {
    return this.value.isAbstract
  }
  get primal(): T.Tensor {
    throw unreadable()
  }
  override get data(): T.TypedArray {
    throw unreadable()
  }
}

const unreadable = (): T.TensorError =>
  new T.TensorError(
    "vmap",
    "the values of a batched tensor cannot be read inside vmap (each example has its own): compute with tensor ops and return the result instead",
  )
