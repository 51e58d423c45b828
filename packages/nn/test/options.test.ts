/**
 * Every public function of tensor, autodiff and nn that takes options checks them: each export is
 * either called here with bad options, or listed as taking none, so a new export must be placed.
 */
import * as A from "@fnn/autodiff"
import * as T from "@fnn/tensor"
import { describe, expect, it } from "vitest"
import * as nn from "../src/index.ts"

const x = T.ones([2, 3])
const key = T.random.key(0)
const params = { w: T.zeros([3]) }
const f = (t: T.Tensor): T.Tensor => T.sum(t)
const net = nn.serial(nn.Dense(2))

/** How to call each export with `o` where its options go. */
const withOptions: Record<string, (o: never) => unknown> = {
  "T.arange": (o) => T.arange(0, 3, 1, o),
  "T.argmax": (o) => T.argmax(x, o),
  "T.argmin": (o) => T.argmin(x, o),
  "T.eye": (o) => T.eye(2, 2, o),
  "T.full": (o) => T.full([2], 1, o),
  "T.linspace": (o) => T.linspace(0, 1, 3, o),
  "T.logSoftmax": (o) => T.logSoftmax(x, o),
  "T.logSumExp": (o) => T.logSumExp(x, o),
  "T.max": (o) => T.max(x, o),
  "T.mean": (o) => T.mean(x, o),
  "T.min": (o) => T.min(x, o),
  "T.oneHot": (o) => T.oneHot(T.tensor([0], { dtype: "int32" }), 2, o),
  "T.ones": (o) => T.ones([2], o),
  "T.onesLike": (o) => T.onesLike(x, o),
  "T.softmax": (o) => T.softmax(x, o),
  "T.sum": (o) => T.sum(x, o),
  "T.tensor": (o) => T.tensor([1], o),
  "T.zeros": (o) => T.zeros([2], o),
  "T.zerosLike": (o) => T.zerosLike(x, o),
  "T.random.normal": (o) => T.random.normal(key, [2], o),
  "T.random.truncatedNormal": (o) => T.random.truncatedNormal(key, [2], o),
  "T.random.uniform": (o) => T.random.uniform(key, [2], o),
  "T.tree.flatten": (o) => T.tree.flatten(params, o),
  "T.tree.leaves": (o) => T.tree.leaves(params, o),
  "T.tree.map": (o) => T.tree.map(params, (t) => t, o),
  "T.tree.paths": (o) => T.tree.paths(params, o),
  "T.tree.structureEquals": (o) => T.tree.structureEquals(params, params, o),
  "T.tree.zipAllWith": (o) => T.tree.zipAllWith([params], (ts) => ts[0]!, o),
  "T.tree.zipWith": (o) => T.tree.zipWith(params, params, (a) => a, o),
  "T.safetensors.parseJson": (o) => T.safetensors.parseJson("[]", o),
  "T.safetensors.measureJson": (o) => T.safetensors.measureJson(Uint8Array.of(0x30), o),
  "A.grad": (o) => A.grad(f, o)(x),
  "A.valueAndGrad": (o) => A.valueAndGrad(f, o)(x),
  "A.jacfwd": (o) => A.jacfwd(T.exp, o)(x),
  "A.jacrev": (o) => A.jacrev(T.exp, o)(x),
  "A.hessian": (o) => A.hessian(f, o)(x),
  "A.vmap": (o) => A.vmap(T.exp, o)(x),
  "nn.adam": (o) => nn.adam(1e-3, o),
  "nn.adamw": (o) => nn.adamw(1e-3, o),
  "nn.cosine": (o) => nn.cosine(0.1, 10, o),
  "nn.evaluate": (o) =>
    nn.evaluate(net, net.init(key, [-1, 3])[1], { x, y: T.zeros([2], { dtype: "int32" }) }, o),
  "nn.exponential": (o) => nn.exponential(0.1, o),
  "nn.momentum": (o) => nn.momentum(0.1, o),
  "nn.oneCycle": (o) => nn.oneCycle(10, 0.1, o),
  "nn.saveCheckpoint": (o) => nn.saveCheckpoint(o),
  "nn.scaleByAdam": (o) => nn.scaleByAdam(o),
  "nn.step": (o) => nn.step(0.1, o),
  "nn.trace": (o) => nn.trace(o),
  "nn.trainStep": (o) => nn.trainStep(o),
  "nn.toOnnx": (o) => nn.toOnnx(net, net.init(key, [-1, 3])[1], o),
  "nn.privateTrainStep": (o) => nn.privateTrainStep(o),
  "nn.differentiallyPrivateAggregate": (o) => nn.differentiallyPrivateAggregate(o),
  "nn.Dense": (o) => nn.Dense(2, o),
  "Dense.init": (o) => nn.Dense(2).init(key, [-1, 3], o),
  "Dense.apply": (o) => nn.Dense(2).apply({ w: T.zeros([3, 2]), b: T.zeros([2]) }, x, o),
  "serial.init": (o) => net.init(key, [-1, 3], o),
  "serial.apply": (o) => net.apply(net.init(key, [-1, 3])[1], x, o),
  "Relu.apply": (o) => nn.Relu.apply({}, x, o),
  "Flatten.apply": (o) => nn.Flatten.apply({}, x, o),
  "T.conv": (o) => T.conv(T.zeros([1, 3, 1]), T.zeros([2, 1, 1]), o),
  "T.conv2d": (o) => T.conv2d(T.zeros([1, 3, 3, 1]), T.zeros([2, 2, 1, 1]), o),
  "T.convShape": (o) => T.convShape([-1, 3, 1], [2, 1, 1], o),
  "T.maxPool": (o) => T.maxPool(T.zeros([1, 4, 1]), 2, o),
  "T.avgPool": (o) => T.avgPool(T.zeros([1, 4, 1]), 2, o),
  "T.poolShape": (o) => T.poolShape([-1, 4, 1], 2, o),
  "nn.Conv": (o) => nn.Conv(2, 3, o),
  "nn.MaxPool": (o) => nn.MaxPool(2, o),
  "Conv.init": (o) => nn.Conv(2, 3).init(key, [-1, 5, 1], o),
  "Conv.apply": (o) =>
    nn.Conv(2, 1).apply({ w: T.zeros([1, 1, 2]), b: T.zeros([2]) }, T.zeros([1, 3, 1]), o),
  "MaxPool.apply": (o) => nn.MaxPool(2).apply({}, T.zeros([1, 4, 1]), o),
  "LayerNorm.init": (o) => nn.LayerNorm().init(key, [-1, 3], o),
  "parallel.init": (o) => nn.parallel(nn.Identity).init(key, [[-1, 3]], o),
  "parallel.apply": (o) => nn.parallel(nn.Identity).apply([{}], [x], o),
}

/** Exports that take no options object (their arguments are checked by their own tests). */
const noOptions = new Set(
  `T.abs T.add T.broadcastShapes T.broadcastTo T.cast T.clip T.concat T.cos T.div T.dot T.equal
  T.exp T.expandDims T.gather T.greater T.greaterEqual T.isFloat T.isTensor T.item T.less
  T.lessEqual T.log T.log1p T.matmul T.maximum T.minimum T.mul T.neg T.outer T.pow T.promoteTypes
  T.random.bernoulli T.random.foldIn T.random.isKey T.random.isKeyData T.random.key
  T.random.keyData T.random.keyFromData T.random.permutation T.random.randint T.random.shuffle
  T.random.split T.reciprocal T.relu T.reshape T.safetensors.decode T.safetensors.encode
  T.safetensors.renderJsonError T.safetensors.renderSafetensorsError T.scalar T.sigmoid T.sign T.sin T.slice T.softplus T.sqrt
  T.square T.squeeze T.stack T.sub T.take T.tanh T.toArray T.transpose T.tree.unflatten T.where
  A.customVjp A.jvp A.stopGradient A.vjp
  nn.accuracy nn.applyUpdates nn.clipPerExample nn.exampleLoss nn.perExampleGrads nn.asSchedule nn.binaryCrossEntropy nn.chain nn.clipByGlobalNorm
  nn.confusionMatrix nn.constant nn.constantInit nn.decodeDescription nn.describe nn.fans
  nn.fromDescription nn.glorotNormal nn.glorotUniform nn.heNormal nn.heUniform
  nn.initializerFromDescription nn.leakyRelu nn.lecunNormal nn.lecunUniform nn.loadCheckpoint
  nn.mse nn.normal nn.ones nn.paramCount nn.piecewise nn.predict nn.renderCheckpointError
  nn.renderDescriptionError nn.renderOnnxError nn.scale nn.scaleByLearningRate nn.serial nn.sgd
  nn.softmaxCrossEntropy nn.trainState nn.uniform nn.varianceScaling nn.weightDecay nn.zeros
  T.flip nn.parallel`.split(/\s+/),
)

const functionsOf = (ns: object, prefix: string): string[] =>
  Object.entries(ns as Record<string, unknown>).flatMap(([k, v]) =>
    typeof v === "function" && !/^[A-Z]/.test(k)
      ? [`${prefix}${k}`]
      : typeof v === "object" && v !== null && /^[a-z]/.test(k) && !Array.isArray(v)
        ? functionsOf(v, `${prefix}${k}.`)
        : [],
  )

const thrown = (f: () => unknown): T.TensorError => {
  try {
    f()
  } catch (e) {
    if (e instanceof T.TensorError) return e
    throw e
  }
  throw new Error("expected a TensorError")
}

describe("every export that takes options checks them", () => {
  it("every function export is called below or listed as taking no options", () => {
    const all = [...functionsOf(T, "T."), ...functionsOf(A, "A."), ...functionsOf(nn, "nn.")]
    const unplaced = all.filter((name) => !(name in withOptions) && !noOptions.has(name))
    expect(unplaced).toEqual([])
    const stale = [...noOptions].filter((name) => !all.includes(name))
    expect(stale).toEqual([])
  })

  it.each(Object.entries(withOptions))("%s refuses an unknown option", (name, call) => {
    const e = thrown(() => call({ notAnOption: 1 } as never))
    expect(e.message).toContain('unknown option "notAnOption"')
    const op = name.replace(/^(T|A|nn)\./, "")
    // a layer's errors name the layer as it was made: Dense(2), Relu
    if (/^[A-Z]\w*\.(init|apply)$/.test(op)) expect(e.op.startsWith(op.split(".")[0]!)).toBe(true)
    else expect(e.op).toBe(op)
  })

  it.each(Object.entries(withOptions))("%s refuses a number where its options go", (name, call) => {
    expect(thrown(() => call(7 as never)).message).toMatch(
      /options must be an object \{ .* \}, got number 7/,
    )
    void name
  })
})
