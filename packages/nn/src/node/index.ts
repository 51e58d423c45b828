/**
 * `@fnn/nn/node`: training on several cores in Node. `parallelTrainStep` is `trainStep` split
 * over worker threads by data parallelism (one shard of each batch per thread, gradients
 * averaged, one optimizer update); everything else in `@fnn/nn` runs anywhere.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import { parallelTrainStep } from "@fnn/nn/node"
 * const step = await parallelTrainStep({ net, loss: nn.softmaxCrossEntropy, optimizer, threads: 2 })
 * ({ state } = step(state, batch))
 * await step.close()
 * @module
 */
export type { ParallelSpec, ParallelStep } from "./parallel.ts"
export type { WorkerKernels } from "./protocol.ts"
export { parallelTrainStep } from "./parallel.ts"
