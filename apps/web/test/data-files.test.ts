import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { galleryIndices } from "../src/data-files.ts"

describe("the gallery", () => {
  test("takes the first examples of each digit, digits in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 4 }),
        (labels, per) => {
          const picked = galleryIndices(labels, per)
          const naive = Array.from({ length: 10 }, (_, d) =>
            labels.flatMap((l, i) => (l === d ? [i] : [])).slice(0, per),
          ).flat()
          expect(picked).toEqual(naive)
        },
      ),
    )
  })
})
