/**
 * Epoch orders and validation splits depend on the random bits of `permutation`: these tests
 * pin them for fixed keys, as hashes taken when they were pinned.
 */
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { random } from "@fnn/tensor"
import { batches, split } from "../src/index.ts"
import { indexedDataset, rowIds } from "./fixtures.ts"

const sha = (xs: ReadonlyArray<number>): string =>
  createHash("sha256").update(JSON.stringify(xs)).digest("hex").slice(0, 16)

const keys = [
  ["key(0)", random.key(0)],
  ["key(77)", random.key(77)],
  ["foldIn(foldIn(key(0), 1), 3)", random.foldIn(random.foldIn(random.key(0), 1), 3)],
] as const

const pinnedOrders: Readonly<Record<string, string>> = {
  "key(0)": "00b266db279fa08a",
  "key(77)": "f16464bb45ed9bbd",
  "foldIn(foldIn(key(0), 1), 3)": "3b1707c50400d2ed",
}
const pinnedSplits: Readonly<Record<string, string>> = {
  "key(0) validation 0.1": "871b77ef366429de",
  "key(0) validation 500": "9ae1039675e5b7b6",
  "key(77) validation 0.1": "c261650dd753fed2",
  "key(77) validation 500": "d3d8c796cf464551",
  "foldIn(foldIn(key(0), 1), 3) validation 0.1": "02e44eeaf3f0786c",
  "foldIn(foldIn(key(0), 1), 3) validation 500": "4565f143d652d880",
}

describe("pinned random bits", () => {
  it("batches visit the examples in the same order as when they were pinned", () => {
    const got: Record<string, string> = {}
    const d = indexedDataset(6000, 1, 2)
    for (const [name, key] of keys)
      got[name] = sha([...batches(d, { batchSize: 32, key })].flatMap(({ x }) => rowIds(x, 2)))
    expect(got).toEqual(pinnedOrders)
  })

  it("split holds out the same examples as when they were pinned", () => {
    const got: Record<string, string> = {}
    const d = indexedDataset(6000, 1, 2)
    for (const [name, key] of keys)
      for (const validation of [0.1, 500]) {
        const parts = split(d, { validation, key })
        got[`${name} validation ${validation}`] = sha(rowIds(parts.validation.images, 2))
      }
    expect(got).toEqual(pinnedSplits)
  })
})
