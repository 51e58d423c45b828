/**
 * Why a network cannot be exported to ONNX, as a tagged union, and the sentence for people.
 * @module
 */
import type { DType } from "@fnn/tensor"
import type { DescriptionError } from "../description.ts"
import { renderDescriptionError } from "../description.ts"

/** Why `toOnnx` could not export a network. Paths are parameter names (`layers.2`). */
export type OnnxError =
  /** The network's description is not one of this package's networks. */
  | { readonly _tag: "InvalidArchitecture"; readonly error: DescriptionError }
  /** A layer ONNX cannot express (or that has no export rule): named, with where it is. */
  | {
      readonly _tag: "UnsupportedLayer"
      readonly path: string
      readonly layer: string
      readonly reason: string
    }
  /** The parameters do not have the structure or shapes the network needs. */
  | { readonly _tag: "ParamsMismatch"; readonly path: string; readonly reason: string }
  /** The parameters are not all of one float dtype. */
  | { readonly _tag: "UnsupportedDtype"; readonly path: string; readonly dtype: DType }
  /** The input shape is missing or the network cannot take it. */
  | { readonly _tag: "InvalidInputShape"; readonly reason: string }

const where = (path: string): string => (path === "" ? "the network" : path)

/**
 * One sentence about an `OnnxError` for people.
 *
 * @example
 * import { renderOnnxError } from "@fnn/nn"
 * renderOnnxError({ _tag: "UnsupportedLayer", path: "layers.3", layer: "Custom", reason: "no export rule" })
 * // "layer Custom at layers.3 cannot be exported to ONNX: no export rule"
 */
export const renderOnnxError = (e: OnnxError): string => {
  switch (e._tag) {
    case "InvalidArchitecture":
      return renderDescriptionError(e.error)
    case "UnsupportedLayer":
      return `layer ${e.layer} at ${where(e.path)} cannot be exported to ONNX: ${e.reason}`
    case "ParamsMismatch":
      return `the parameters of ${where(e.path)} do not fit the network: ${e.reason}`
    case "UnsupportedDtype":
      return `the parameter ${e.path} is ${e.dtype}; ONNX export takes float32 or float64 parameters, all of one dtype`
    case "InvalidInputShape":
      return `cannot export for this input shape: ${e.reason}`
  }
}
