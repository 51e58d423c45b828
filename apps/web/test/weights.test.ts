import fc from "fast-check"
import { describe, expect, test } from "vitest"
import type { DenseWeights } from "../src/weights.ts"
import { incoming, pixelPattern, strongest } from "../src/weights.ts"

const small = fc.double({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true })

const dense = (inputs: number, units: number) =>
  fc
    .tuple(
      fc.float32Array({
        minLength: inputs * units,
        maxLength: inputs * units,
        noNaN: true,
        noDefaultInfinity: true,
        min: -4,
        max: 4,
      }),
      fc.float32Array({
        minLength: units,
        maxLength: units,
        noNaN: true,
        noDefaultInfinity: true,
        min: -4,
        max: 4,
      }),
    )
    .map(([w, b]): DenseWeights => ({ w, b, inputs, units }))

const layerWithInput = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 8 }))
  .chain(([inputs, units]) =>
    fc.tuple(
      dense(inputs, units),
      fc.array(fc.oneof(small, fc.constant(0)), { minLength: inputs, maxLength: inputs }),
    ),
  )

describe("strongest contributions", () => {
  test("are the k largest |w·a| of a naive listing, largest first", () => {
    fc.assert(
      fc.property(layerWithInput, fc.integer({ min: 0, max: 120 }), ([layer, a], k) => {
        const naive: number[] = []
        for (let i = 0; i < layer.inputs; i++)
          for (let j = 0; j < layer.units; j++) {
            const v = layer.w[i * layer.units + j]! * a[i]!
            if (v !== 0) naive.push(Math.abs(v))
          }
        naive.sort((p, q) => q - p)
        const got = strongest(layer, a, k)
        expect(got.map((c) => Math.abs(c.value))).toEqual(naive.slice(0, k))
        for (const c of got)
          expect(c.value).toBe(layer.w[c.from * layer.units + c.to]! * a[c.from]!)
      }),
    )
  })

  test("into one unit, are exactly that unit's nonzero contributions", () => {
    fc.assert(
      fc.property(layerWithInput, fc.nat(), ([layer, a], pick) => {
        const unit = pick % layer.units
        const got = strongest(layer, a, Infinity, unit)
        expect(got.every((c) => c.to === unit)).toBe(true)
        const expected = a.filter((ai, i) => ai * layer.w[i * layer.units + unit]! !== 0).length
        expect(got).toHaveLength(expected)
      }),
    )
  })
})

describe("pixel patterns", () => {
  test("for the first layer are the unit's incoming weights", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 6 }))
          .chain(([i, u]) => dense(i, u)),
        fc.nat(),
        (layer, pick) => {
          const j = pick % layer.units
          const got = pixelPattern([layer], 0, j)
          expect(Array.from(got)).toEqual(
            Array.from({ length: layer.inputs }, (_, i) => layer.w[i * layer.units + j]!),
          )
          expect(got).toEqual(incoming(layer, j))
        },
      ),
    )
  })

  test("deeper, are the matrix product of the earlier weights with the unit's weights", () => {
    const shapes = fc.tuple(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 5 }),
    )
    fc.assert(
      fc.property(
        shapes.chain(([n, h, o]) => fc.tuple(dense(n, h), dense(h, o))),
        fc.nat(),
        ([l0, l1], pick) => {
          const j = pick % l1.units
          const got = pixelPattern([l0, l1], 1, j)
          for (let i = 0; i < l0.inputs; i++) {
            let want = 0
            for (let u = 0; u < l0.units; u++)
              want += l0.w[i * l0.units + u]! * l1.w[u * l1.units + j]!
            expect(got[i]).toBeCloseTo(want, 3)
          }
        },
      ),
    )
  })
})
