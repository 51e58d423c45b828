import { describe, expect, it } from "vitest"
import { bundleSize, sizeBudget } from "../size.ts"

describe("the browser bundle of tensor, autodiff and nn", () => {
  it("stays within its gzipped size budget", async () => {
    const { minified, gzipped } = await bundleSize()
    // a bundle that lost its contents would pass any budget: it must hold real code
    expect(minified).toBeGreaterThan(50 * 1024)
    expect(gzipped).toBeLessThanOrEqual(sizeBudget)
  }, 120_000)
})
