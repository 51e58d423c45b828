import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import * as T from "../src/index.ts"
import { checkOptions, suggestOption } from "../src/internal.ts"

const thrown = (f: () => unknown): T.TensorError => {
  try {
    f()
  } catch (e) {
    if (e instanceof T.TensorError) return e
    throw e
  }
  throw new Error("expected a TensorError")
}

const spec = { axis: "integers", keepDims: "boolean", dtype: "dtype", mode: ["a", "b"] } as const

describe("checkOptions", () => {
  test.prop([
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in spec) && k !== "__proto__"),
  ])("an unknown key names the op and the key and lists what is taken", (key) => {
    const e = thrown(() => checkOptions("op", { [key]: 1 }, spec))
    expect(e.op).toBe("op")
    expect(e.message).toContain(`unknown option ${JSON.stringify(key)}`)
    expect(e.message).toContain("{ axis, keepDims, dtype, mode }")
  })

  test.prop([
    fc.record(
      {
        axis: fc.oneof(fc.integer(), fc.array(fc.integer())),
        keepDims: fc.boolean(),
        dtype: fc.constantFrom("float32", "float64", "int32"),
        mode: fc.constantFrom("a", "b"),
      },
      { requiredKeys: [] },
    ),
  ])("well-typed options come back unchanged", (options) => {
    expect(checkOptions("op", options, spec)).toBe(options)
  })

  test.prop([
    fc.constantFrom("axis", "keepDims", "dtype", "mode"),
    fc.oneof(fc.string(), fc.double(), fc.constant(null), fc.object()),
  ])("a value of the wrong type is named with what was expected", (key, value) => {
    fc.pre(checkValue(key, value))
    const e = thrown(() => checkOptions("op", { [key]: value }, spec))
    expect(e.message).toMatch(new RegExp(`^op: option ${key} must be `))
  })

  test("undefined means no options, and undefined values are allowed", () => {
    expect(checkOptions("op", undefined, spec)).toEqual({})
    expect(checkOptions("op", { axis: undefined }, spec)).toEqual({ axis: undefined })
  })

  test("a value where the options object goes gets a hint", () => {
    expect(thrown(() => T.sum(T.ones([2, 2]), 0 as never)).message).toBe(
      "sum: options must be an object { axis, keepDims }, got number 0; to reduce over an axis write sum(x, { axis: 0 })",
    )
    expect(thrown(() => T.random.normal(T.random.key(0), [2], "float64" as never)).message).toMatch(
      /^random\.normal: options must be an object .* to choose the dtype write \{ dtype: "float64" \}$/,
    )
    expect(thrown(() => T.softmax(T.ones([2, 2]), 0 as never)).message).toContain(
      "softmax(x, { axis: 0 })",
    )
    expect(thrown(() => checkOptions("op", [1], spec)).message).toContain("got the array [1]")
  })

  test("JAX and NumPy spellings are suggested as fnn's", () => {
    expect(
      thrown(() => T.random.uniform(T.random.key(0), [2], { minval: -1 } as never)).message,
    ).toBe(
      'random.uniform: unknown option "minval" (did you mean "min"?); it takes { dtype, min, max }',
    )
    expect(thrown(() => T.mean(T.ones([2]), { keepdims: true } as never)).message).toContain(
      '(did you mean "keepDims"?)',
    )
    expect(suggestOption("axes", ["axis", "keepDims"])).toBe("axis")
    expect(suggestOption("kepDims", ["axis", "keepDims"])).toBe("keepDims")
    expect(suggestOption("zzz", ["axis", "keepDims"])).toBeUndefined()
  })

  test("keys of Object.prototype are unknown options, not accepted ones", () => {
    for (const key of ["constructor", "toString", "hasOwnProperty"])
      expect(thrown(() => checkOptions("op", { [key]: 1 }, spec)).message).toContain(
        `unknown option "${key}"`,
      )
  })
})

/** Whether `value` is wrong for `key` of `spec` (the generator also makes right ones). */
const checkValue = (key: string, value: unknown): boolean => {
  switch (key) {
    case "axis":
      return !Number.isInteger(value) && !Array.isArray(value)
    case "keepDims":
      return typeof value !== "boolean"
    case "dtype":
      return !["float32", "float64", "int32"].includes(value as string)
    default:
      return value !== "a" && value !== "b"
  }
}
