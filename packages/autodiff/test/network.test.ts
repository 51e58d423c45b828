/**
 * The 3Blue1Brown network, 784-16-16-10 with sigmoids, built directly from tensor ops: its whole
 * gradient checked against float64 finite differences, and against backpropagation written out
 * by hand (no autodiff), as an independent reference.
 */
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import { grad, valueAndGrad } from "../src/index.ts"
import { checkGrads } from "../src/testing/index.ts"

type Layer = { readonly w: T.Tensor; readonly b: T.Tensor }

const sizes = [784, 16, 16, 10]
const batch = 8

const init = (seed: number, dtype: "float32" | "float64"): Layer[] => {
  const keys = T.random.split(T.random.key(seed), 2 * (sizes.length - 1))
  return sizes.slice(1).map((n, i) => ({
    w: T.random.normal(keys[2 * i]!, [sizes[i]!, n], { dtype, std: 1 / Math.sqrt(sizes[i]!) }),
    b: T.random.normal(keys[2 * i + 1]!, [n], { dtype, std: 0.1 }),
  }))
}

const forward = (params: ReadonlyArray<Layer>, x: T.Tensor): T.Tensor =>
  params.reduce((a, { w, b }) => T.sigmoid(T.add(T.matmul(a, w), b)), x)

/** 3Blue1Brown's cost: the squared error summed over outputs, averaged over the batch. */
const loss = (params: ReadonlyArray<Layer>, x: T.Tensor, y: T.Tensor): T.Tensor =>
  T.mean(T.sum(T.square(T.sub(forward(params, x), y)), { axis: 1 }))

/** Backpropagation by hand: δ = ∂C/∂z layer by layer, reusing the forward activations. */
const backprop = (params: ReadonlyArray<Layer>, x: T.Tensor, y: T.Tensor): Layer[] => {
  const activations = [x]
  for (const { w, b } of params)
    activations.push(T.sigmoid(T.add(T.matmul(activations[activations.length - 1]!, w), b)))
  const out = activations[activations.length - 1]!
  let dA = T.div(T.mul(T.sub(out, y), 2), x.shape[0]!)
  const grads: Layer[] = []
  for (let l = params.length - 1; l >= 0; l--) {
    const a = activations[l + 1]!
    const delta = T.mul(dA, T.mul(a, T.sub(1, a)))
    grads.unshift({
      w: T.matmul(T.transpose(activations[l]!), delta),
      b: T.sum(delta, { axis: 0 }),
    })
    dA = T.matmul(delta, T.transpose(params[l]!.w))
  }
  return grads
}

const data = (seed: number, dtype: "float32" | "float64"): [T.Tensor, T.Tensor] => {
  const [kx, ky] = T.random.split(T.random.key(seed))
  const x = T.random.uniform(kx!, [batch, 784], { dtype })
  const labels = T.random.randint(ky!, [batch], 0, 10)
  return [x, T.oneHot(labels, 10, { dtype })]
}

describe("a 784-16-16-10 sigmoid network", () => {
  it("has the gradient finite differences give, in float64, in both modes", () => {
    const params = init(1, "float64")
    const [x, y] = data(2, "float64")
    checkGrads((p: ReadonlyArray<Layer>) => loss(p, x, y), [params], { seed: 3 })
    // and with respect to the input images too
    checkGrads((xs: T.Tensor) => loss(params, xs, y), [x], { seed: 4, modes: ["rev"] })
  })

  it("has the gradient backpropagation by hand gives, leaf by leaf", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const params = init(5, dtype)
      const [x, y] = data(6, dtype)
      const [value, auto] = valueAndGrad(loss)(params, x, y)
      const manual = backprop(params, x, y)
      expect(T.item(value)).toBeCloseTo(T.item(loss(params, x, y)), 12)
      auto.forEach((layer, l) => {
        for (const k of ["w", "b"] as const) {
          const a = layer[k]
          const m = manual[l]![k]
          expect(a.dtype).toBe(dtype)
          expect(a.shape).toEqual(params[l]![k].shape)
          const tol = dtype === "float64" ? 1e-12 : 1e-5
          let scale = 1e-3
          let err = 0
          m.data.forEach((v, i) => {
            scale = Math.max(scale, Math.abs(v))
            err = Math.max(err, Math.abs(v - a.data[i]!))
          })
          expect(err).toBeLessThanOrEqual(tol * scale)
        }
      })
    }
  })

  it("does not differentiate the labels' int32 path, and grad runs repeatedly alike", () => {
    const params = init(7, "float32")
    const [x] = data(8, "float32")
    const labels = T.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: "int32" })
    const ce = (p: ReadonlyArray<Layer>, xs: T.Tensor, l: T.Tensor) =>
      T.neg(T.mean(T.sum(T.mul(T.log(forward(p, xs)), T.oneHot(l, 10)), { axis: 1 })))
    const g1 = grad(ce)(params, x, labels)
    const g2 = grad(ce)(params, x, labels)
    expect(Array.from(g1[0]!.w.data)).toEqual(Array.from(g2[0]!.w.data))
  })
})
