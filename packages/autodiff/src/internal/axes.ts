/**
 * Shape helpers shared by the forward and reverse rules.
 * @module
 */
import type * as T from "@fnn/tensor"

/**
 * `shape` with each of `axes` set to 1: the shape a reduction over `axes` has with kept dims, so
 * a reduced value reshaped to it broadcasts back against the input.
 */
export const keptShape = (shape: T.Shape, axes: ReadonlyArray<number>): number[] =>
  shape.map((d, i) => (axes.includes(i) ? 1 : d))
