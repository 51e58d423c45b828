import fc from "fast-check"
import * as E from "fp-ts/lib/Either.js"
import { describe, expect, it } from "vitest"
import { decode, renderSafetensorsError } from "../src/safetensors.ts"
import {
  defaultJsonLimits,
  measureJson,
  parseJson,
  renderJsonError,
} from "../src/safetensors/json.ts"

/** An independent count over the parsed value: every value and every key, and the nesting. */
const measure = (u: unknown): { readonly values: number; readonly depth: number } => {
  if (Array.isArray(u)) {
    const inner = u.map(measure)
    return {
      values: 1 + inner.reduce((n, m) => n + m.values, 0),
      depth: 1 + Math.max(0, ...inner.map((m) => m.depth)),
    }
  }
  if (typeof u === "object" && u !== null) {
    const inner = Object.values(u).map(measure)
    return {
      values: 1 + Object.keys(u).length + inner.reduce((n, m) => n + m.values, 0),
      depth: 1 + Math.max(0, ...inner.map((m) => m.depth)),
    }
  }
  return { values: 1, depth: 0 }
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

const safetensorsWithHeader = (header: string): Uint8Array => {
  const h = ascii(header)
  const out = new Uint8Array(8 + h.length)
  new DataView(out.buffer).setUint32(0, h.length, true)
  out.set(h, 8)
  return out
}

describe("bounded JSON", () => {
  it("parses what JSON.parse parses when within the limits, and counts as a walk of the value", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.nat({ max: 40 }),
        fc.nat({ max: 8 }),
        fc.boolean(),
        (value, values, depth, spaced) => {
          const text = JSON.stringify(value, null, spaced ? 2 : undefined)
          const m = measure(JSON.parse(text))
          const r = parseJson(text, { values, depth })
          if (m.values <= values && m.depth <= depth) expect(r).toEqual(E.right(JSON.parse(text)))
          else {
            expect(E.isLeft(r)).toBe(true)
            if (E.isLeft(r))
              expect(r.left._tag).toBe(
                m.values > values && m.depth > depth
                  ? r.left._tag
                  : m.values > values
                    ? "TooManyValues"
                    : "TooDeep",
              )
          }
        },
      ),
      { numRuns: 500, seed: 21 },
    )
  })

  it("is not fooled by brackets, quotes and escapes inside strings", () => {
    const text = JSON.stringify({ a: '[[[{{{",\\"]]]', b: ["\\", '"', "{}"] })
    expect(measure(JSON.parse(text))).toEqual({ values: 8, depth: 2 })
    expect(parseJson(text, { values: 8, depth: 2 })).toEqual(E.right(JSON.parse(text)))
    expect(parseJson(text, { values: 7, depth: 2 })).toEqual(
      E.left({ _tag: "TooManyValues", limit: 7 }),
    )
  })

  it("reports text that is not JSON with the parser's message", () => {
    for (const bad of ["", "{", "[1,]", '{"a" 1}', "nul"]) {
      const r = parseJson(bad)
      expect(E.isLeft(r) && r.left._tag).toBe("NotJson")
      if (E.isLeft(r)) expect(renderJsonError(r.left).length).toBeGreaterThan(0)
    }
  })

  it("refuses ten million empty objects in well under a second, before parsing any", () => {
    const text = `[${"{},".repeat(10_000_000)}{}]`
    const began = performance.now()
    const r = parseJson(text)
    expect(performance.now() - began).toBeLessThan(1000)
    expect(r).toEqual(E.left({ _tag: "TooManyValues", limit: defaultJsonLimits.values }))
    expect(renderJsonError(E.isLeft(r) ? r.left : { _tag: "NotJson", message: "" })).toBe(
      "it holds more than 1000000 JSON values",
    )
  })

  it("refuses nesting past the limit and says where", () => {
    const r = parseJson(`${"[".repeat(600)}${"]".repeat(600)}`)
    expect(r).toEqual(E.left({ _tag: "TooDeep", limit: 512, offset: 512 }))
  })

  it("bounds a safetensors header before it is parsed", () => {
    const header = `{${Array.from({ length: 600_000 }, (_, i) => `"t${i}":{}`).join(",")}}`
    const r = decode(safetensorsWithHeader(header))
    expect(E.isLeft(r) && r.left._tag).toBe("HeaderTooComplex")
    if (E.isLeft(r))
      expect(renderSafetensorsError(r.left)).toBe(
        "the header is too large to parse: it holds more than 1000000 JSON values",
      )
  })
})

describe("measuring UTF-8 bytes", () => {
  it("finds what parseJson finds in the decoded text, non-ASCII strings included", () => {
    const encoder = new (
      globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }
    ).TextEncoder()
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 5 }),
        fc.nat({ max: 30 }),
        fc.nat({ max: 6 }),
        (value, values, depth) => {
          const text = JSON.stringify(value)
          const fromText = parseJson(text, { values, depth })
          const fromBytes = measureJson(encoder.encode(text), { values, depth })
          if (E.isRight(fromText)) expect(fromBytes).toBeUndefined()
          else expect(fromBytes?._tag).toBe(fromText.left._tag)
        },
      ),
      { numRuns: 400, seed: 21 },
    )
  })
})
