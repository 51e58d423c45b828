import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

/** Unit tests of the page's pure logic, run by `pnpm test` in Node (the browser test is apart). */
export default defineConfig({
  ...sourceResolve,
  test: { name: "web", include: ["test/**/*.test.ts"], environment: "node" },
})
