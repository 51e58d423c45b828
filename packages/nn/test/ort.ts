/**
 * Running exported models in ONNX Runtime (the npm package's CPU build) for the tests.
 */
import * as ort from "onnxruntime-node"
import * as T from "@fnn/tensor"
import type { Tensor } from "@fnn/tensor"

/** A loaded model: `run(x)` gives the output for a batch `x`. */
export interface OrtModel {
  readonly session: ort.InferenceSession
  run(x: Tensor): Promise<Tensor>
}

/** Loads ONNX bytes into an ONNX Runtime session with one intra-op thread. */
export const loadOrt = async (bytes: Uint8Array): Promise<OrtModel> => {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  })
  const [input] = session.inputNames
  const [output] = session.outputNames
  return {
    session,
    async run(x) {
      if (x.dtype === "int32") throw new Error("the exported models take floats")
      const feeds = { [input!]: new ort.Tensor(x.dtype, x.data as Float32Array, [...x.shape]) }
      const out = (await session.run(feeds))[output!]!
      const data = out.data as Float32Array | Float64Array
      return T.reshape(T.tensor(data.slice(), { dtype: x.dtype }), out.dims.map(Number))
    },
  }
}

/** The largest `|a - b| / max(1, |b|)` over two tensors of one shape (Infinity otherwise). */
export const maxRelativeDifference = (a: Tensor, b: Tensor): number => {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return Infinity
  let m = 0
  for (let i = 0; i < a.size; i++) {
    const x = Number(a.data[i])
    const y = Number(b.data[i])
    const d = Math.abs(x - y) / Math.max(1, Math.abs(y))
    m = Number.isNaN(d) ? Infinity : Math.max(m, d)
  }
  return m
}
