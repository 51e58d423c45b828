/**
 * Kernels of the random primitives. Keys and counters are int32 tensors whose last axis holds
 * two words; a word is an unsigned 32-bit pattern stored as int32 (`w | 0` in, `w >>> 0` out).
 * @module
 */
import type { Params } from "../primitives.ts"
import { outputArray } from "../dtype.ts"
import type { TypedArray } from "../dtype.ts"
import { broadcastShapes, sizeOf } from "../shape.ts"
import { Tensor } from "../tensor.ts"
import { threefry2x32 as block } from "../random/threefry.ts"
import { prepareSampler, samplerDType } from "../random/samplers.ts"
import { broadcastStrides } from "./strided.ts"

/** Threefry-2x32 of each counter under its key; the axes before the last broadcast. */
export const threefry2x32 = (
  [keys, counters]: ReadonlyArray<Tensor>,
  _params?: unknown,
  into?: TypedArray,
): Tensor => {
  const k = keys!
  const c = counters!
  const lead = broadcastShapes("threefry2x32", k.shape.slice(0, -1), c.shape.slice(0, -1))
  const n = sizeOf(lead)
  const out = outputArray(into, "int32", 2 * n)
  const words = new Uint32Array(2)
  const kd = k.data
  const cd = c.data
  if (k.size === 2 * n && c.size === 2 * n) {
    for (let i = 0; i < 2 * n; i += 2) {
      block(kd[i]!, kd[i + 1]!, cd[i]!, cd[i + 1]!, words)
      out[i] = words[0]!
      out[i + 1] = words[1]!
    }
    return new Tensor("int32", [...lead, 2], out)
  }
  // Strides in pairs of words over the broadcast leading axes, walked like an odometer.
  const ks = broadcastStrides(k.shape.slice(0, -1), lead)
  const cs = broadcastStrides(c.shape.slice(0, -1), lead)
  const index = new Array<number>(lead.length).fill(0)
  let ki = 0
  let ci = 0
  for (let i = 0; i < n; i++) {
    block(kd[2 * ki]!, kd[2 * ki + 1]!, cd[2 * ci]!, cd[2 * ci + 1]!, words)
    out[2 * i] = words[0]!
    out[2 * i + 1] = words[1]!
    for (let a = lead.length - 1; a >= 0; a--) {
      ki += ks[a]!
      ci += cs[a]!
      if (++index[a]! < lead[a]!) break
      ki -= ks[a]! * lead[a]!
      ci -= cs[a]! * lead[a]!
      index[a] = 0
    }
  }
  return new Tensor("int32", [...lead, 2], out)
}

/** Values of `shape` for each key of `[...batch, 2]`, one key's values after another's. */
export const sample = (
  [keys]: ReadonlyArray<Tensor>,
  params: Params["sample"],
  into?: TypedArray,
): Tensor => {
  const k = keys!
  const { sampler, shape } = params
  const fill = prepareSampler("sample", sampler)
  const n = sizeOf(shape)
  const batch = k.size / 2
  const dtype = samplerDType(sampler)
  const out = outputArray(into, dtype, batch * n)
  const kd = k.data
  for (let b = 0; b < batch; b++) fill(kd[2 * b]! >>> 0, kd[2 * b + 1]! >>> 0, out, b * n, n)
  return new Tensor(dtype, [...k.shape.slice(0, -1), ...shape], out)
}
