/**
 * @fnn/nn — neural networks as values. Layers are `(init, apply)` pairs and `serial(...)` of
 * layers is a layer; losses are tensor functions; optimizers are pure state transitions
 * `{ init, update }`; a training step is a pure function of the state and a batch; checkpoints
 * are safetensors that carry their architecture.
 *
 * @example
 * import * as nn from "@fnn/nn"
 * import * as T from "@fnn/tensor"
 * const net = nn.serial(nn.Dense(16), nn.Sigmoid, nn.Dense(16), nn.Sigmoid, nn.Dense(10))
 * const [outShape, params] = net.init(T.random.key(0), [-1, 784])
 * nn.paramCount(params) // 13002
 * const logits = net.apply(params, x) // x: [batch, 784]
 * @module
 */
export type {
  Key,
  Initializer,
  InitializerDescription,
  FanMode,
  Distribution,
} from "./initializers.ts"
export {
  fans,
  varianceScaling,
  glorotUniform,
  glorotNormal,
  heNormal,
  heUniform,
  lecunNormal,
  lecunUniform,
  normal,
  uniform,
  constant as constantInit,
  zeros,
  ones,
  initializerFromDescription,
} from "./initializers.ts"
export type {
  Params,
  EmptyParams,
  DenseParams,
  InitOptions,
  ApplyOptions,
  Layer,
  ParamsOf,
  DenseOptions,
  SerialParams,
  SerialIn,
  SerialOut,
  InOf,
  OutOf,
  Flow,
  FlowShape,
  AnyLayer,
} from "./layers.ts"
export {
  Dense,
  Sigmoid,
  Relu,
  Tanh,
  Softmax,
  LogSoftmax,
  LeakyRelu,
  leakyRelu,
  Flatten,
  Dropout,
  Reshape,
  serial,
  paramCount,
} from "./layers.ts"
export { describe, fromDescription } from "./build.ts"
export type { ConvParams, ConvOptions, PoolOptions, Padding } from "./spatial.ts"
export { Conv, MaxPool, AvgPool } from "./spatial.ts"
export type { LayerNormParams } from "./norm.ts"
export { LayerNorm } from "./norm.ts"
export type { ParallelParams } from "./branches.ts"
export { parallel, FanOut, FanInSum, FanInConcat, Identity } from "./branches.ts"
export type {
  LayerDescription,
  SimpleLayerName,
  DescriptionError,
  DescriptionProblem,
  DescriptionLimit,
  PaddingDescription,
} from "./description.ts"
export {
  decodeDescription,
  renderDescriptionError,
  maxNesting,
  descriptionLimits,
} from "./description.ts"
export type { Loss } from "./losses.ts"
export { mse, softmaxCrossEntropy, binaryCrossEntropy } from "./losses.ts"
export type { Schedule, LearningRate, CosineOptions, OneCycleOptions } from "./schedules.ts"
export {
  asSchedule,
  constant,
  step,
  exponential,
  piecewise,
  cosine,
  oneCycle,
} from "./schedules.ts"
export type {
  OptState,
  GradientTransformation,
  Optimizer,
  StateOf,
  EmptyState,
  CountState,
  TraceState,
  AdamState,
  AdamOptions,
  AdamWOptions,
  MomentumOptions,
} from "./optimizers.ts"
export {
  applyUpdates,
  chain,
  scale,
  scaleByLearningRate,
  trace,
  scaleByAdam,
  weightDecay,
  clipByGlobalNorm,
  sgd,
  momentum,
  adam,
  adamw,
} from "./optimizers.ts"
export type {
  Batch,
  TrainState,
  TrainSpec,
  StepResult,
  EvaluateOptions,
  Evaluation,
} from "./train.ts"
export { trainState, trainStep, predict, accuracy, evaluate, confusionMatrix } from "./train.ts"
export type { PrivateAggregateOptions, PrivateTrainSpec } from "./privacy.ts"
export {
  exampleLoss,
  perExampleGrads,
  clipPerExample,
  differentiallyPrivateAggregate,
  privateTrainStep,
} from "./privacy.ts"
export type { CheckpointInput, Checkpoint, TensorMismatch, CheckpointError } from "./checkpoint.ts"
export {
  saveCheckpoint,
  loadCheckpoint,
  renderCheckpointError,
  checkpointVersion,
} from "./checkpoint.ts"
export type { OnnxOptions } from "./onnx/export.ts"
export { toOnnx, onnxOpset, onnxIrVersion, batchAxisName, onnxMetadataKeys } from "./onnx/export.ts"
export type { OnnxError } from "./onnx/errors.ts"
export { renderOnnxError } from "./onnx/errors.ts"
export { fnnVersion } from "./version.ts"
