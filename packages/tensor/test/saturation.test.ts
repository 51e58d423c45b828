import { describe, expect, it } from "vitest"
import * as T from "../src/index.ts"

describe("casts to int32 saturate and truncate toward zero", () => {
  it("below −2³¹ and above 2³¹ − 1, and for ±∞; NaN becomes 0", () => {
    const x = T.tensor(
      [-3e9, -2147483649, -2147483648.5, 3e9, -Infinity, Infinity, NaN, -2.7, 2.7],
      {
        dtype: "float64",
      },
    )
    expect(T.toArray(T.cast(x, "int32"))).toEqual([
      -2147483648, -2147483648, -2147483648, 2147483647, -2147483648, 2147483647, 0, -2, 2,
    ])
  })
})
