/**
 * Networks to JSON and back: `describe` gives a layer's description, `fromDescription` rebuilds
 * a layer from one (checked first), for every layer of this package.
 * @module
 */
import * as E from "fp-ts/lib/Either.js"
import type { DescriptionError, LayerDescription } from "./description.ts"
import { decodeDescription } from "./description.ts"
import { initializerFromDescription } from "./initializers.ts"
import type { AnyLayer, Layer } from "./layers.ts"
import {
  Dense,
  Dropout,
  Flatten,
  leakyRelu,
  LogSoftmax,
  Relu,
  Reshape,
  serial,
  Sigmoid,
  Softmax,
  Tanh,
} from "./layers.ts"
import { FanInConcat, FanInSum, FanOut, Identity, parallel } from "./branches.ts"
import { LayerNorm } from "./norm.ts"
import { AvgPool, Conv, MaxPool } from "./spatial.ts"

/**
 * The JSON description of a network: `fromDescription` rebuilds it. Custom initializers (plain
 * functions) are left out, so a rebuilt `Dense` uses the defaults for them.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * nn.describe(nn.serial(nn.Dense(16), nn.Sigmoid))
 * // { layer: "Serial", layers: [{ layer: "Dense", units: 16, init: { name: "glorotUniform" }, biasInit: { name: "zeros" } }, { layer: "Sigmoid" }] }
 */
export const describe = (layer: AnyLayer): LayerDescription => layer.description

const build = (d: LayerDescription): AnyLayer => {
  switch (d.layer) {
    case "Dense":
      return Dense(d.units, {
        ...(d.init === undefined ? {} : { init: initializerFromDescription(d.init) }),
        ...(d.biasInit === undefined ? {} : { biasInit: initializerFromDescription(d.biasInit) }),
      })
    case "Sigmoid":
      return Sigmoid
    case "Relu":
      return Relu
    case "Tanh":
      return Tanh
    case "Softmax":
      return Softmax
    case "LogSoftmax":
      return LogSoftmax
    case "Flatten":
      return Flatten
    case "LeakyRelu":
      return leakyRelu(d.slope)
    case "Dropout":
      return Dropout(d.rate)
    case "Serial":
      return serial(...d.layers.map(build))
    case "Reshape":
      return Reshape(d.shape)
    case "Conv":
      return Conv(d.outChannels, d.window, {
        ...(d.strides === undefined ? {} : { strides: d.strides }),
        padding: d.padding,
        ...(d.dilation === undefined ? {} : { dilation: d.dilation }),
        groups: d.groups,
        ...(d.init === undefined ? {} : { init: initializerFromDescription(d.init) }),
        ...(d.biasInit === undefined ? {} : { biasInit: initializerFromDescription(d.biasInit) }),
      })
    case "MaxPool":
    case "AvgPool":
      return (d.layer === "MaxPool" ? MaxPool : AvgPool)(d.window, {
        ...(d.strides === undefined ? {} : { strides: d.strides }),
        padding: d.padding,
      })
    case "LayerNorm":
      return LayerNorm(d.epsilon)
    case "Identity":
      return Identity
    case "FanInSum":
      return FanInSum
    case "FanOut":
      return FanOut(d.n)
    case "FanInConcat":
      return FanInConcat(d.axis)
    case "Parallel":
      return parallel(...d.layers.map(build))
  }
}

/**
 * Rebuilds a network from its description (parsed JSON, checked with io-ts first), as a layer
 * from tensors to tensors. Never throws: malformed descriptions give a `DescriptionError`.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as E from "fp-ts/lib/Either.js"
 * const r = nn.fromDescription(JSON.parse(JSON.stringify(nn.describe(net))))
 * if (E.isRight(r)) r.right.apply(params, x) // the same function as net.apply
 */
export const fromDescription = (description: unknown): E.Either<DescriptionError, Layer> =>
  // typed as tensor to tensor, what whole networks are; a description whose outermost layer is a
  // branch (FanOut, parallel, a fan-in) builds a layer that takes or gives tuples
  E.map((d: LayerDescription) => build(d) as unknown as Layer)(decodeDescription(description))
