/**
 * What the edges and the hover pictures show, computed from a layer's weights: the strongest
 * contributions `w[i, j] · a[i]` of inputs to neurons, and a neuron's incoming weights as a
 * picture over the 784 input pixels. Pure.
 * @module
 */

/** A dense layer's weights, `w[i·units + j]` from input `i` to unit `j`, and its biases. */
export interface DenseWeights {
  readonly w: Float32Array
  readonly b: Float32Array
  readonly inputs: number
  readonly units: number
}

/** One edge: input `from` feeds unit `to` with `value = w[from, to] · a[from]`. */
export interface Contribution {
  readonly from: number
  readonly to: number
  readonly value: number
}

/**
 * The `k` contributions `w[i, j] · a[i]` of largest magnitude, largest first (ties by smaller
 * `i`, then smaller `j`); exact zeros are left out. When `unit` is given, only edges into that
 * unit are considered.
 *
 * @example
 * strongest(layer, activations, 300) // the 300 edges worth drawing between the input and layer 1
 */
export const strongest = (
  layer: DenseWeights,
  a: ArrayLike<number>,
  k: number,
  unit?: number,
): Contribution[] => {
  const { w, inputs, units } = layer
  const all: Contribution[] = []
  const j0 = unit ?? 0
  const j1 = unit === undefined ? units : unit + 1
  for (let i = 0; i < inputs; i++) {
    const ai = a[i] ?? 0
    if (ai === 0) continue
    for (let j = j0; j < j1; j++) {
      const value = w[i * units + j]! * ai
      if (value !== 0) all.push({ from: i, to: j, value })
    }
  }
  all.sort((p, q) => Math.abs(q.value) - Math.abs(p.value) || p.from - q.from || p.to - q.to)
  return all.slice(0, Math.max(0, k))
}

/** The weights into unit `j` (column `j` of `w`), one per input. */
export const incoming = (layer: DenseWeights, j: number): Float32Array => {
  const out = new Float32Array(layer.inputs)
  for (let i = 0; i < layer.inputs; i++) out[i] = layer.w[i * layer.units + j]!
  return out
}

/**
 * The incoming weights of unit `j` of layer `depth` carried back to the input pixels through the
 * layers before it, ignoring their activations: `W₀ · W₁ · … · w_depth[:, j]`. For the first
 * layer this is the unit's own weights, the picture from the video; deeper, it is the pattern
 * of pixels that pushes the unit up through the straight-line part of the network.
 *
 * @example
 * pixelPattern(layers, 1, 5) // 784 values for neuron 5 of the second hidden layer
 */
export const pixelPattern = (
  layers: ReadonlyArray<DenseWeights>,
  depth: number,
  j: number,
): Float32Array => {
  let v = incoming(layers[depth]!, j)
  for (let d = depth - 1; d >= 0; d--) {
    const { w, inputs, units } = layers[d]!
    const next = new Float32Array(inputs)
    for (let i = 0; i < inputs; i++) {
      let acc = 0
      for (let u = 0; u < units; u++) acc += w[i * units + u]! * v[u]!
      next[i] = acc
    }
    v = next
  }
  return v
}
