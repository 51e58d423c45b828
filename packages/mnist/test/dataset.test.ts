import { describe, expect, it } from "vitest"
import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { TensorError, random } from "@fnn/tensor"
import type { Dataset, IdxArray } from "../src/index.ts"
import {
  count,
  dataset,
  labelHistogram,
  limit,
  normalise,
  split,
  subset,
  take,
} from "../src/index.ts"
import { idxPair, indexedDataset, rowIds } from "./fixtures.ts"

const ok = (images: IdxArray, labels: IdxArray, options = {}): Dataset => {
  const r = dataset(images, labels, options)
  if (E.isLeft(r)) throw new Error(`expected Right, got ${r.left._tag}`)
  return r.right
}

const ids = (d: Dataset): number[] => rowIds(d.images, d.rows * d.cols)

describe("dataset", () => {
  it("flattens images to float32 [n, rows·cols] holding x / 255 and labels to int32 [n]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (n, rows, cols, seed) => {
          const { images, labels } = idxPair(n, rows, cols, seed)
          const d = ok(images, labels)
          expect(d.images.dtype).toBe("float32")
          expect(d.images.shape).toEqual([n, rows * cols])
          expect(d.labels.dtype).toBe("int32")
          expect(d.labels.shape).toEqual([n])
          expect([d.rows, d.cols]).toEqual([rows, cols])
          expect(Array.from(d.images.data)).toEqual(
            Array.from(images.data, (v) => Math.fround(v / 255)),
          )
          expect(Array.from(d.labels.data)).toEqual(Array.from(labels.data))
        },
      ),
      { numRuns: 50 },
    )
  })

  it("maps 0 to 0 and 255 to 1 exactly", () => {
    expect(Array.from(normalise(Uint8Array.of(0, 255, 51)))).toEqual([0, 1, Math.fround(0.2)])
  })

  it("with a limit, keeps the first examples only", () => {
    const { images, labels } = idxPair(6, 2, 3)
    const d = ok(images, labels, { limit: 4 })
    expect(d.images.shape).toEqual([4, 6])
    expect(Array.from(d.labels.data)).toEqual(Array.from(labels.data.subarray(0, 4)))
    expect(ok(images, labels, { limit: 100 }).labels.shape).toEqual([6])
  })

  it("refuses images that are not ubyte of rank 3", () => {
    const { labels } = idxPair(2, 2, 2)
    const flat: IdxArray = { dtype: "ubyte", shape: [2, 4], data: new Uint8Array(8) }
    expect(dataset(flat, labels)).toEqual(
      E.left({
        _tag: "WrongShape",
        role: "images",
        expected: "ubyte [n, rows, cols]",
        dtype: "ubyte",
        shape: [2, 4],
      }),
    )
    const floats: IdxArray = { dtype: "float", shape: [2, 2, 2], data: new Float32Array(8) }
    const r = dataset(floats, labels)
    expect(E.isLeft(r) && r.left._tag === "WrongShape" && r.left.dtype).toBe("float")
  })

  it("refuses labels that are not ubyte of rank 1", () => {
    const { images } = idxPair(2, 2, 2)
    const labels: IdxArray = { dtype: "int", shape: [2], data: new Int32Array(2) }
    const r = dataset(images, labels)
    expect(E.isLeft(r) && r.left._tag === "WrongShape" && r.left.role).toBe("labels")
  })

  it("reports different numbers of images and labels", () => {
    const { images } = idxPair(3, 2, 2)
    const { labels } = idxPair(4, 2, 2)
    expect(dataset(images, labels)).toEqual(E.left({ _tag: "CountMismatch", images: 3, labels: 4 }))
    // counts are checked even when a limit would hide the difference
    expect(E.isLeft(dataset(images, labels, { limit: 1 }))).toBe(true)
  })

  it("reports the first label outside 0–9 with its index and value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))),
        fc.integer({ min: 10, max: 255 }),
        ([n, at], value) => {
          const { images, labels } = idxPair(n, 1, 1)
          const bad = new Uint8Array(labels.data)
          bad[at] = value
          if (at + 1 < n) bad[n - 1] = 200
          expect(dataset(images, { dtype: "ubyte", shape: [n], data: bad })).toEqual(
            E.left({ _tag: "LabelOutOfRange", index: at, value }),
          )
        },
      ),
      { numRuns: 50 },
    )
  })

  it("does not throw for any pair of small IDX arrays", () => {
    const arr = fc
      .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.nat())
      .map(([shape, seed]): IdxArray => {
        const n = shape.reduce((a, b) => a * b, 1)
        return { dtype: "ubyte", shape, data: new Uint8Array(n).fill(seed % 256) }
      })
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        const r = dataset(a, b)
        expect(E.isLeft(r) || E.isRight(r)).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})

describe("limit and take", () => {
  it("keep the first n examples, or all of them when there are fewer", () => {
    fc.assert(
      fc.property(fc.nat(12), fc.nat(15), (n, m) => {
        const d = indexedDataset(n)
        const l = limit(d, m)
        const k = Math.min(n, m)
        expect(count(l)).toBe(k)
        expect(ids(l)).toEqual(Array.from({ length: k }, (_, i) => i))
        expect(Array.from(l.labels.data)).toEqual(Array.from(d.labels.data.subarray(0, k)))
        expect(take(d, m).images.shape).toEqual(l.images.shape)
      }),
      { numRuns: 50 },
    )
  })

  it("refuse a negative or fractional n", () => {
    expect(() => limit(indexedDataset(3), -1)).toThrow(TensorError)
    expect(() => limit(indexedDataset(3), 1.5)).toThrow(TensorError)
  })
})

describe("subset", () => {
  it("gathers rows and labels in the order given", () => {
    const d = subset(indexedDataset(10), [7, 2, 2, 0])
    expect(ids(d)).toEqual([7, 2, 2, 0])
    expect(Array.from(d.labels.data)).toEqual([7, 2, 2, 0])
    expect(() => subset(indexedDataset(3), [3])).toThrow(TensorError)
  })
})

describe("split", () => {
  const cases = fc.record({
    n: fc.integer({ min: 1, max: 40 }),
    fraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
    seed: fc.nat(),
    keyed: fc.boolean(),
  })

  it("partitions the examples, each part in the original order", () => {
    fc.assert(
      fc.property(cases, ({ n, fraction, seed, keyed }) => {
        const d = indexedDataset(n)
        const s = split(
          d,
          keyed ? { validation: fraction, key: random.key(seed) } : { validation: fraction },
        )
        const v = Math.round(fraction * n)
        expect(count(s.validation)).toBe(v)
        expect(count(s.train)).toBe(n - v)
        const all = [...ids(s.train), ...ids(s.validation)].sort((a, b) => a - b)
        expect(all).toEqual(Array.from({ length: n }, (_, i) => i))
        for (const part of [s.train, s.validation]) {
          const p = ids(part)
          expect(p).toEqual([...p].sort((a, b) => a - b))
          expect(Array.from(part.labels.data)).toEqual(p.map((i) => i % 10))
        }
      }),
      { numRuns: 60 },
    )
  })

  it("holds out the last examples without a key and a key-determined set with one", () => {
    expect(ids(split(indexedDataset(10), { validation: 3 }).validation)).toEqual([7, 8, 9])
    const a = split(indexedDataset(50), { validation: 10, key: random.key(3) })
    const b = split(indexedDataset(50), { validation: 10, key: random.key(3) })
    const c = split(indexedDataset(50), { validation: 10, key: random.key(4) })
    expect(ids(a.validation)).toEqual(ids(b.validation))
    expect(ids(a.validation)).not.toEqual(ids(c.validation))
  })

  it("takes a whole number as a count and refuses impossible sizes", () => {
    expect(count(split(indexedDataset(10), { validation: 4 }).validation)).toBe(4)
    expect(count(split(indexedDataset(10), { validation: 10 }).train)).toBe(0)
    expect(() => split(indexedDataset(10), { validation: 11 })).toThrow(TensorError)
    expect(() => split(indexedDataset(10), { validation: 2.5 })).toThrow(TensorError)
    expect(() => split(indexedDataset(10), { validation: -0.5 })).toThrow(TensorError)
  })
})

describe("labelHistogram", () => {
  it("counts each digit as a naive count does", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 60 }), (labels) => {
        const n = labels.length
        const d = ok(
          { dtype: "ubyte", shape: [n, 1, 1], data: new Uint8Array(n) },
          { dtype: "ubyte", shape: [n], data: Uint8Array.from(labels) },
        )
        const naive = Array.from({ length: 10 }, (_, k) => labels.filter((l) => l === k).length)
        expect(labelHistogram(d)).toEqual(naive)
      }),
      { numRuns: 50 },
    )
  })
})
