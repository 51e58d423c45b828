/**
 * The matmul kernel over a `GemmEngine`: float32 and float64 products of at least `minMacs`
 * multiply-adds go to WebAssembly; int32, tiny and empty products, and anything the engine
 * declines, go to the reference kernel, so results never depend on whether the fast path ran
 * beyond float rounding (see `@fnn/tensor/fast`), and overflow: a float32 partial sum past
 * ±3.4e38 is ±∞ here, as in float32 BLAS, where the reference's float64 sum can come back into
 * range.
 * @module
 */
import type { Kernel } from "../../dispatch.ts"
import { outputArray } from "../../dtype.ts"
import { sizeOf } from "../../shape.ts"
import { Tensor } from "../../tensor.ts"
import { matmul as referenceMatmul } from "../matmul.ts"
import type { GemmEngine } from "./engine.ts"

/** When the fast path is worth its copies. */
export interface MatmulOptions {
  /** Per batch item: `m·n·k` below this runs in JavaScript (wasm's call and copies dominate). */
  readonly minMacs: number
}

/** A `matmul` kernel that uses `engine` where it pays and the reference kernel elsewhere. */
export const wasmMatmul =
  (engine: GemmEngine, options: MatmulOptions): Kernel<"matmul"> =>
  (inputs, params, into) => {
    const a = inputs[0]!
    const b = inputs[1]!
    const dtype = a.dtype
    if (dtype === "int32" || b.dtype !== dtype) return referenceMatmul(inputs, params, into)
    const { transposeA, transposeB } = params
    const ra = a.rank
    const rb = b.rank
    const aRows = a.shape[ra - 2]!
    const aCols = a.shape[ra - 1]!
    const bRows = b.shape[rb - 2]!
    const bCols = b.shape[rb - 1]!
    const m = transposeA ? aCols : aRows
    const k = transposeA ? aRows : aCols
    const n = transposeB ? bRows : bCols
    const macs = m * n * k
    if (macs === 0 || macs < options.minMacs) return referenceMatmul(inputs, params, into)
    const batchShape = a.shape.slice(0, -2)
    const batch = sizeOf(batchShape)
    const out = outputArray(into, dtype, batch * m * n)
    for (let t = 0; t < batch; t++) {
      const done = engine.product(
        dtype,
        a.data,
        t * m * k,
        b.data,
        t * k * n,
        m,
        k,
        n,
        transposeA,
        transposeB,
        out,
        t * m * n,
      )
      if (!done) return referenceMatmul(inputs, params, into)
    }
    return new Tensor(dtype, [...batchShape, m, n], out)
  }
