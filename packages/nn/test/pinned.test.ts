/**
 * Saved models depend on the random bits of initializers and dropout: these tests pin the bytes
 * of checkpoints made from fixed seeds, as hashes taken when they were pinned.
 */
import { describe, expect, it } from "vitest"
import * as T from "@fnn/tensor"
import * as nn from "../src/index.ts"
import type { Initializer } from "../src/index.ts"
import { hashBytes, hashTensor } from "./helpers.ts"

const initializers: ReadonlyArray<readonly [string, Initializer]> = [
  ["glorotUniform", nn.glorotUniform],
  ["glorotNormal", nn.glorotNormal],
  ["heNormal", nn.heNormal],
  ["heUniform", nn.heUniform],
  ["lecunNormal", nn.lecunNormal],
  ["lecunUniform", nn.lecunUniform],
  ["normal(0.1)", nn.normal(0.1)],
  ["uniform(0.2)", nn.uniform(0.2)],
  ["truncatedNormal fanAvg", nn.varianceScaling(1.5, "fanAvg", "truncatedNormal")],
]

const pinnedInits: Readonly<Record<string, string>> = {
  "glorotUniform key(0) [784,16] float32": "7941adc34f10e174",
  "glorotUniform key(0) [3,3,4,8] float32": "8286e9e24c18b784",
  "glorotUniform key(0) [10] float32": "cdf9ea6d9a95ab9e",
  "glorotUniform key(0) [784,16] float64": "26ec469f00b4847c",
  "glorotUniform key(0) [3,3,4,8] float64": "1782ffe79906160e",
  "glorotUniform key(0) [10] float64": "773dec1213441f42",
  "glorotUniform key(5) [784,16] float32": "35947cd63f996810",
  "glorotUniform key(5) [3,3,4,8] float32": "1a36d86013a635ba",
  "glorotUniform key(5) [10] float32": "beb16f99f2baf0f4",
  "glorotUniform key(5) [784,16] float64": "f46ced7848af486b",
  "glorotUniform key(5) [3,3,4,8] float64": "17431eff8aede3fd",
  "glorotUniform key(5) [10] float64": "34a21089674748fa",
  "glorotUniform key(8589934593) [784,16] float32": "7940de27220b7b9a",
  "glorotUniform key(8589934593) [3,3,4,8] float32": "73a883a416a2e6a9",
  "glorotUniform key(8589934593) [10] float32": "df001f24259c1c1e",
  "glorotUniform key(8589934593) [784,16] float64": "ef31adf8f2e543ef",
  "glorotUniform key(8589934593) [3,3,4,8] float64": "ab2f03de4402669a",
  "glorotUniform key(8589934593) [10] float64": "a65094163148bf96",
  "glorotNormal key(0) [784,16] float32": "b57a1142c808d695",
  "glorotNormal key(0) [3,3,4,8] float32": "8e4daa82e11b5781",
  "glorotNormal key(0) [10] float32": "de3c3b012905f005",
  "glorotNormal key(0) [784,16] float64": "7e5f32b2d99fe149",
  "glorotNormal key(0) [3,3,4,8] float64": "8382be76c8a91aa7",
  "glorotNormal key(0) [10] float64": "a1ad16a03417cb8f",
  "glorotNormal key(5) [784,16] float32": "8c6241f6144a4a81",
  "glorotNormal key(5) [3,3,4,8] float32": "9d27b44026b77de7",
  "glorotNormal key(5) [10] float32": "494b4b21c954eccd",
  "glorotNormal key(5) [784,16] float64": "54cb7cdaa815eb44",
  "glorotNormal key(5) [3,3,4,8] float64": "40c84108b23cdd55",
  "glorotNormal key(5) [10] float64": "7f29d77ef97ad580",
  "glorotNormal key(8589934593) [784,16] float32": "b631b2f1cb0cd5dc",
  "glorotNormal key(8589934593) [3,3,4,8] float32": "28afd009ec34ec0b",
  "glorotNormal key(8589934593) [10] float32": "0b006be8b22cc121",
  "glorotNormal key(8589934593) [784,16] float64": "646d61e367c49add",
  "glorotNormal key(8589934593) [3,3,4,8] float64": "0ce37aec71535161",
  "glorotNormal key(8589934593) [10] float64": "4d7d48bd6786160a",
  "heNormal key(0) [784,16] float32": "02dbd7d1b1818459",
  "heNormal key(0) [3,3,4,8] float32": "0a417c768fe1d89f",
  "heNormal key(0) [10] float32": "5fbbe21ef5c04b13",
  "heNormal key(0) [784,16] float64": "6980615fffde1e67",
  "heNormal key(0) [3,3,4,8] float64": "e2678aebfe948ede",
  "heNormal key(0) [10] float64": "c123583497b44c3f",
  "heNormal key(5) [784,16] float32": "09bbc9a1fdde175d",
  "heNormal key(5) [3,3,4,8] float32": "f006ee5ada6cf228",
  "heNormal key(5) [10] float32": "4e8f7728a3f2c3f7",
  "heNormal key(5) [784,16] float64": "9ecf9dbc4ed44cb3",
  "heNormal key(5) [3,3,4,8] float64": "29648d211838676c",
  "heNormal key(5) [10] float64": "ee59c0945fe72db7",
  "heNormal key(8589934593) [784,16] float32": "fee8171d81a67dad",
  "heNormal key(8589934593) [3,3,4,8] float32": "9a4034c7973284e5",
  "heNormal key(8589934593) [10] float32": "bedd10694d7c32e3",
  "heNormal key(8589934593) [784,16] float64": "0f09d71a35d1a11a",
  "heNormal key(8589934593) [3,3,4,8] float64": "31464dc5e94b1058",
  "heNormal key(8589934593) [10] float64": "21f7128041c436d8",
  "heUniform key(0) [784,16] float32": "451e028cbbfcbb44",
  "heUniform key(0) [3,3,4,8] float32": "8e423deb56a3f4a5",
  "heUniform key(0) [10] float32": "7d2b2243b537248b",
  "heUniform key(0) [784,16] float64": "062ff804ade22081",
  "heUniform key(0) [3,3,4,8] float64": "57aa8c31ded2dad3",
  "heUniform key(0) [10] float64": "e034b2d273c6d377",
  "heUniform key(5) [784,16] float32": "b6eab09f91e0fbf0",
  "heUniform key(5) [3,3,4,8] float32": "2823910d9a65cb21",
  "heUniform key(5) [10] float32": "135645ee6ec6e0e7",
  "heUniform key(5) [784,16] float64": "eedcef33c0dc9f31",
  "heUniform key(5) [3,3,4,8] float64": "b8198d071de5f53b",
  "heUniform key(5) [10] float64": "4694c3fdc28c91ec",
  "heUniform key(8589934593) [784,16] float32": "5fcd5e6518582991",
  "heUniform key(8589934593) [3,3,4,8] float32": "0f0c287cd7a2d114",
  "heUniform key(8589934593) [10] float32": "d7f7ea7056bf7fd5",
  "heUniform key(8589934593) [784,16] float64": "62e67bec786d040f",
  "heUniform key(8589934593) [3,3,4,8] float64": "5c833c3a0720f634",
  "heUniform key(8589934593) [10] float64": "81010f1111e4a5dc",
  "lecunNormal key(0) [784,16] float32": "fed805c3ecb0b338",
  "lecunNormal key(0) [3,3,4,8] float32": "fd62011362ac40f8",
  "lecunNormal key(0) [10] float32": "de3c3b012905f005",
  "lecunNormal key(0) [784,16] float64": "fb9b71012c56d68f",
  "lecunNormal key(0) [3,3,4,8] float64": "10bc190be886b075",
  "lecunNormal key(0) [10] float64": "a1ad16a03417cb8f",
  "lecunNormal key(5) [784,16] float32": "a4a058abe559acf5",
  "lecunNormal key(5) [3,3,4,8] float32": "5fa65d96400e57a8",
  "lecunNormal key(5) [10] float32": "494b4b21c954eccd",
  "lecunNormal key(5) [784,16] float64": "00e6b482b12d0f55",
  "lecunNormal key(5) [3,3,4,8] float64": "593bc5ac4ec57d89",
  "lecunNormal key(5) [10] float64": "7f29d77ef97ad580",
  "lecunNormal key(8589934593) [784,16] float32": "ceb865d679c301e5",
  "lecunNormal key(8589934593) [3,3,4,8] float32": "931debb34f8d23b9",
  "lecunNormal key(8589934593) [10] float32": "0b006be8b22cc121",
  "lecunNormal key(8589934593) [784,16] float64": "db3eb2fe2f4e0ce4",
  "lecunNormal key(8589934593) [3,3,4,8] float64": "d16c9e4f29f8cfe7",
  "lecunNormal key(8589934593) [10] float64": "4d7d48bd6786160a",
  "lecunUniform key(0) [784,16] float32": "2de5dab9a452076d",
  "lecunUniform key(0) [3,3,4,8] float32": "ce6f7efbc31db0a4",
  "lecunUniform key(0) [10] float32": "cdf9ea6d9a95ab9e",
  "lecunUniform key(0) [784,16] float64": "a44a5fad16bfd59d",
  "lecunUniform key(0) [3,3,4,8] float64": "ef19b489b078a590",
  "lecunUniform key(0) [10] float64": "773dec1213441f42",
  "lecunUniform key(5) [784,16] float32": "b65207455d2ddd61",
  "lecunUniform key(5) [3,3,4,8] float32": "655594948ca44821",
  "lecunUniform key(5) [10] float32": "beb16f99f2baf0f4",
  "lecunUniform key(5) [784,16] float64": "1916cfaa6bbadc28",
  "lecunUniform key(5) [3,3,4,8] float64": "56600cd9aa28517c",
  "lecunUniform key(5) [10] float64": "34a21089674748fa",
  "lecunUniform key(8589934593) [784,16] float32": "e9071635fdb8522d",
  "lecunUniform key(8589934593) [3,3,4,8] float32": "a7efba76d2d0c891",
  "lecunUniform key(8589934593) [10] float32": "df001f24259c1c1e",
  "lecunUniform key(8589934593) [784,16] float64": "90fcf2fff84a6c80",
  "lecunUniform key(8589934593) [3,3,4,8] float64": "a5f6fb926ff7cdbc",
  "lecunUniform key(8589934593) [10] float64": "a65094163148bf96",
  "normal(0.1) key(0) [784,16] float32": "b93343072ed6589d",
  "normal(0.1) key(0) [3,3,4,8] float32": "f90f7276d44e0cef",
  "normal(0.1) key(0) [10] float32": "a40eb654167fa630",
  "normal(0.1) key(0) [784,16] float64": "0f0d1f66aab84ab3",
  "normal(0.1) key(0) [3,3,4,8] float64": "75c726b75d956093",
  "normal(0.1) key(0) [10] float64": "129ca67ec847f6bc",
  "normal(0.1) key(5) [784,16] float32": "8a2ff90003d98f32",
  "normal(0.1) key(5) [3,3,4,8] float32": "fc998873b4c0a391",
  "normal(0.1) key(5) [10] float32": "6060b3abe859eb30",
  "normal(0.1) key(5) [784,16] float64": "3a893ff22b211e92",
  "normal(0.1) key(5) [3,3,4,8] float64": "bf3be208bd03528c",
  "normal(0.1) key(5) [10] float64": "8198fce579616441",
  "normal(0.1) key(8589934593) [784,16] float32": "6314f6c31755e868",
  "normal(0.1) key(8589934593) [3,3,4,8] float32": "56e612bdd3bb7a0c",
  "normal(0.1) key(8589934593) [10] float32": "7cbb0c7f5f9f1167",
  "normal(0.1) key(8589934593) [784,16] float64": "a3efffc8a3e7348b",
  "normal(0.1) key(8589934593) [3,3,4,8] float64": "e415449c05b2f6de",
  "normal(0.1) key(8589934593) [10] float64": "4d412e388a51820a",
  "uniform(0.2) key(0) [784,16] float32": "c0d525b95c6ba397",
  "uniform(0.2) key(0) [3,3,4,8] float32": "d32b3db049c78318",
  "uniform(0.2) key(0) [10] float32": "81ec71715121408a",
  "uniform(0.2) key(0) [784,16] float64": "28d3a6e77c1743c8",
  "uniform(0.2) key(0) [3,3,4,8] float64": "34527b53ad18d6c3",
  "uniform(0.2) key(0) [10] float64": "c972d4a672a7ee77",
  "uniform(0.2) key(5) [784,16] float32": "928a7a6b605c37a2",
  "uniform(0.2) key(5) [3,3,4,8] float32": "cd5041ec82f5ac5d",
  "uniform(0.2) key(5) [10] float32": "bc8c66cca44b2d6b",
  "uniform(0.2) key(5) [784,16] float64": "56358e97f0f84729",
  "uniform(0.2) key(5) [3,3,4,8] float64": "17526dc9037b0f96",
  "uniform(0.2) key(5) [10] float64": "eace6dff3e15a880",
  "uniform(0.2) key(8589934593) [784,16] float32": "218e0ec502161bc9",
  "uniform(0.2) key(8589934593) [3,3,4,8] float32": "589cae846c576673",
  "uniform(0.2) key(8589934593) [10] float32": "faaf5519660846fa",
  "uniform(0.2) key(8589934593) [784,16] float64": "84ee4b006ca85a37",
  "uniform(0.2) key(8589934593) [3,3,4,8] float64": "a0d46bd62b7fa9cb",
  "uniform(0.2) key(8589934593) [10] float64": "5ee8d3322c034b6a",
  "truncatedNormal fanAvg key(0) [784,16] float32": "abca7a9d1bb19382",
  "truncatedNormal fanAvg key(0) [3,3,4,8] float32": "fd62011362ac40f8",
  "truncatedNormal fanAvg key(0) [10] float32": "fe121eb6d695b3b0",
  "truncatedNormal fanAvg key(0) [784,16] float64": "a473aee405c60ebc",
  "truncatedNormal fanAvg key(0) [3,3,4,8] float64": "10bc190be886b075",
  "truncatedNormal fanAvg key(0) [10] float64": "f7321e23b727f696",
  "truncatedNormal fanAvg key(5) [784,16] float32": "db6fdc84321f0474",
  "truncatedNormal fanAvg key(5) [3,3,4,8] float32": "5fa65d96400e57a8",
  "truncatedNormal fanAvg key(5) [10] float32": "ef8b45a28cf14f24",
  "truncatedNormal fanAvg key(5) [784,16] float64": "acd0e2487c921f6b",
  "truncatedNormal fanAvg key(5) [3,3,4,8] float64": "593bc5ac4ec57d89",
  "truncatedNormal fanAvg key(5) [10] float64": "990680651770891c",
  "truncatedNormal fanAvg key(8589934593) [784,16] float32": "05493f6d0e660585",
  "truncatedNormal fanAvg key(8589934593) [3,3,4,8] float32": "931debb34f8d23b9",
  "truncatedNormal fanAvg key(8589934593) [10] float32": "2d8fdc80efb1ab64",
  "truncatedNormal fanAvg key(8589934593) [784,16] float64": "8c5533f371c83c2d",
  "truncatedNormal fanAvg key(8589934593) [3,3,4,8] float64": "d16c9e4f29f8cfe7",
  "truncatedNormal fanAvg key(8589934593) [10] float64": "9dbd781eb4fc41ec",
}

/** A network with dropout, trained a few steps with a fresh key per step, saved. */
const trainedCheckpoint = (seed: number, optimizer: nn.GradientTransformation): Uint8Array => {
  const net = nn.serial(
    nn.Dense(24, { init: nn.heNormal }),
    nn.Relu,
    nn.Dropout(0.3),
    nn.Dense(12, { init: nn.varianceScaling(1, "fanIn", "truncatedNormal") }),
    nn.Tanh,
    nn.Dropout(0.5),
    nn.Dense(10),
  )
  const root = T.random.key(seed)
  const [, params] = net.init(T.random.foldIn(root, 0), [-1, 20])
  const x = T.random.normal(T.random.foldIn(root, 1), [16, 20])
  const y = T.random.randint(T.random.foldIn(root, 2), [16], 0, 10)
  const step = nn.trainStep({ net, loss: nn.softmaxCrossEntropy, optimizer })
  let state = nn.trainState(params, optimizer)
  for (let i = 0; i < 4; i++) state = step(state, { x, y }, T.random.foldIn(root, 100 + i)).state
  return nn.saveCheckpoint({
    params: state.params,
    arch: nn.describe(net),
    optState: state.optState,
  })
}

const pinnedModels: Readonly<Record<string, string>> = {
  "sgd seed 0": "af15c8809765e8ea",
  "adam seed 0": "3813ed119a4bb322",
  "sgd seed 1": "627a428bbaeca8ed",
  "adam seed 1": "efa5ce1a0d937482",
  "sgd seed 31337": "68ed95db07c2ba1c",
  "adam seed 31337": "3c5e06b04c418878",
}

describe("pinned random bits", () => {
  it("initializers draw the same weights from the same key as when they were pinned", () => {
    const got: Record<string, string> = {}
    for (const [name, init] of initializers)
      for (const seed of [0, 5, 2 ** 33 + 1])
        for (const dtype of ["float32", "float64"] as const)
          for (const shape of [[784, 16], [3, 3, 4, 8], [10]])
            got[`${name} key(${seed}) [${shape.join(",")}] ${dtype}`] = hashTensor(
              init(T.random.key(seed), shape, dtype),
            )
    expect(got).toEqual(pinnedInits)
  })

  it("training with dropout writes the same checkpoint bytes as when they were pinned", () => {
    const got: Record<string, string> = {}
    for (const seed of [0, 1, 31337]) {
      got[`sgd seed ${seed}`] = hashBytes(trainedCheckpoint(seed, nn.sgd(0.1)))
      got[`adam seed ${seed}`] = hashBytes(trainedCheckpoint(seed, nn.adam(0.01)))
    }
    expect(got).toEqual(pinnedModels)
  })
})
