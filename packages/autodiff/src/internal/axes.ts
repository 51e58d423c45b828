/**
 * Shape helpers shared by the forward and reverse rules.
 * @module
 */
export { keptShape } from "@fnn/tensor/internal"
