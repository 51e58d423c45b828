import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Tensor, TensorError } from "@fnn/tensor"
import type { MnistError } from "../src/index.ts"
import { renderDigit, renderMnistError, shades } from "../src/index.ts"

describe("renderDigit", () => {
  it("draws a 28×28 image as 28 lines of 56 characters", () => {
    const image = new Float32Array(784)
    for (let r = 4; r < 24; r++) image[r * 28 + 14] = 1
    const lines = renderDigit(image).split("\n")
    expect(lines).toHaveLength(28)
    for (const line of lines) expect([...line]).toHaveLength(56)
    expect(lines[10]).toBe(" ".repeat(28) + "██" + " ".repeat(26))
    expect(lines[0]).toBe(" ".repeat(56))
  })

  it("uses two identical characters per pixel, darker for smaller values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (values) => {
          const chars = [...renderDigit(Float32Array.from(values), { width: values.length })]
          expect(chars).toHaveLength(2 * values.length)
          const levels = values.map((_, i) => shades.indexOf(chars[2 * i]!))
          values.forEach((_, i) => expect(chars[2 * i + 1]).toBe(chars[2 * i]))
          const order = values.map((v, i) => [v, levels[i]!] as const).sort((a, b) => a[0] - b[0])
          for (let i = 1; i < order.length; i++)
            expect(order[i]![1]).toBeGreaterThanOrEqual(order[i - 1]![1])
        },
      ),
      { numRuns: 50 },
    )
  })

  it("draws 0 as blank and 1 (or more) as full, and clamps", () => {
    expect(renderDigit([0, 1, 2, -1, Number.NaN], { width: 5 })).toBe("  ████    ")
  })

  it("takes the width of a rank-2 tensor from its last axis", () => {
    const t = new Tensor("float32", [3, 2], Float32Array.of(1, 0, 0, 1, 1, 1))
    expect(renderDigit(t)).toBe("██  \n  ██\n████")
  })

  it("refuses a width that does not divide the image", () => {
    expect(() => renderDigit(new Float32Array(10), { width: 3 })).toThrow(TensorError)
  })
})

describe("renderMnistError", () => {
  const cases: ReadonlyArray<[MnistError, ReadonlyArray<string>]> = [
    [
      {
        _tag: "MissingFile",
        file: "train-images-idx3-ubyte",
        dir: "data",
        tried: ["data/a", "data/a.gz"],
      },
      ["train-images-idx3-ubyte", "data", "data/a.gz"],
    ],
    [{ _tag: "ReadFailed", file: "x/y", message: "EACCES" }, ["x/y", "EACCES"]],
    [
      { _tag: "GzipGarbage", file: "x.gz", message: "incorrect header check" },
      ["x.gz", "gzip", "incorrect header check"],
    ],
    [{ _tag: "BadMagic", found: [0x1f, 0x8b, 8, 0], file: "f" }, ["f:", "1f 8b 08 00", "00 00"]],
    [{ _tag: "UnsupportedDType", code: 0x0a }, ["0x0a", "0x08 ubyte", "0x0e double"]],
    [
      { _tag: "Truncated", part: "data", expected: 47040016, actual: 100 },
      ["47040016 bytes", "100 bytes"],
    ],
    [
      { _tag: "TrailingBytes", expected: 10, actual: 11 },
      ["10 bytes", "11 bytes", "1 byte too many"],
    ],
    [
      {
        _tag: "WrongShape",
        role: "images",
        expected: "ubyte [n, rows, cols]",
        dtype: "float",
        shape: [2, 4],
      },
      ["images", "ubyte [n, rows, cols]", "float [2, 4]"],
    ],
    [
      { _tag: "CountMismatch", images: 60000, labels: 59999, imagesFile: "i", labelsFile: "l" },
      ["60000 images in i", "59999 labels in l"],
    ],
    [{ _tag: "LabelOutOfRange", index: 7, value: 12, file: "l" }, ["l:", "label 12", "index 7"]],
  ]
  for (const [e, parts] of cases)
    it(`explains ${e._tag} with the facts a person needs`, () => {
      const text = renderMnistError(e)
      for (const p of parts) expect(text).toContain(p)
    })
})
