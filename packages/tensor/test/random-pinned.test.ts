import { describe, expect, it } from "vitest"
import { cases } from "./random-pins.ts"
import { pinned } from "./random-pinned.ts"

/** The cases grouped by the function they call (the first word of their name). */
const groups = (): Map<string, Array<readonly [string, () => string]>> => {
  const out = new Map<string, Array<readonly [string, () => string]>>()
  for (const c of cases()) {
    const fn = c[0].split(/[ (]/)[0]!
    out.set(fn, [...(out.get(fn) ?? []), c])
  }
  return out
}

describe("pinned random bits", () => {
  it("cover the same cases as when they were pinned", () => {
    const names = cases().map(([name]) => name)
    expect(new Set(names).size).toBe(names.length)
    expect(names.sort()).toEqual(Object.keys(pinned).sort())
  })

  for (const [fn, group] of groups())
    it(`${fn} gives the same bits for the same key as when they were pinned`, () => {
      const changed = group
        .map(([name, run]) => [name, run()] as const)
        .filter(([name, h]) => h !== pinned[name])
      expect(changed.slice(0, 5), `${changed.length} of ${group.length} changed`).toEqual([])
    })
})
