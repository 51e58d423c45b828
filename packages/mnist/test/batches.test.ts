import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { TensorError, random } from "@fnn/tensor"
import { batches } from "../src/index.ts"
import { indexedDataset, rowIds } from "./fixtures.ts"

const cases = fc.record({
  n: fc.integer({ min: 0, max: 60 }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  seed: fc.nat(),
  dropRemainder: fc.boolean(),
})

describe("batches", () => {
  it("cover every example exactly once per epoch, with matching labels", () => {
    fc.assert(
      fc.property(cases, ({ n, batchSize, seed }) => {
        const d = indexedDataset(n, 2, 3)
        const seen: number[] = []
        for (const { x, y } of batches(d, { batchSize, key: random.key(seed) })) {
          expect(x.dtype).toBe("float32")
          expect(y.dtype).toBe("int32")
          expect(x.shape[1]).toBe(6)
          expect(y.shape).toEqual([x.shape[0]])
          const rows = rowIds(x, 6)
          expect(Array.from(y.data)).toEqual(rows.map((i) => i % 10))
          seen.push(...rows)
        }
        expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
      }),
      { numRuns: 80 },
    )
  })

  it("are full except a last, smaller one, which dropRemainder leaves out", () => {
    fc.assert(
      fc.property(cases, ({ n, batchSize, seed, dropRemainder }) => {
        const b = batches(indexedDataset(n), { batchSize, key: random.key(seed), dropRemainder })
        const sizes = [...b].map(({ y }) => y.shape[0])
        expect(sizes.length).toBe(b.length)
        const full = Math.floor(n / batchSize)
        const rest = n % batchSize
        const expected = Array<number>(full).fill(batchSize)
        if (rest > 0 && !dropRemainder) expected.push(rest)
        expect(sizes).toEqual(expected)
      }),
      { numRuns: 80 },
    )
  })

  it("are the same for the same key, every time they are iterated", () => {
    fc.assert(
      fc.property(cases, ({ n, batchSize, seed }) => {
        const d = indexedDataset(n)
        const order = (bs: Iterable<{ x: { data: ArrayLike<number> } }>) =>
          [...bs].flatMap(({ x }) => Array.from(x.data))
        const a = batches(d, { batchSize, key: random.key(seed) })
        const b = batches(d, { batchSize, key: random.key(seed) })
        expect(order(a)).toEqual(order(b))
        expect(order(a)).toEqual(order(a))
        for (let i = 0; i < a.length; i++)
          expect(Array.from(a.at(i).x.data)).toEqual(Array.from(b.at(i).x.data))
      }),
      { numRuns: 40 },
    )
  })

  it("shuffle: different keys give different orders", () => {
    const d = indexedDataset(100)
    const first = (seed: number) =>
      rowIds(batches(d, { batchSize: 100, key: random.key(seed) }).at(0).x, 2)
    expect(first(0)).not.toEqual(first(1))
    expect(first(0)).not.toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it("refuse a batch size that is not a positive integer and a batch index out of range", () => {
    const d = indexedDataset(5)
    expect(() => batches(d, { batchSize: 0, key: random.key(0) })).toThrow(TensorError)
    expect(() => batches(d, { batchSize: 2.5, key: random.key(0) })).toThrow(TensorError)
    expect(() => batches(d, { batchSize: 2, key: random.key(0) }).at(3)).toThrow(TensorError)
  })
})
