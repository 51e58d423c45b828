import { defineConfig } from "vitest/config"

/** Unit tests of the page's pure logic, run by `pnpm test` in Node (the browser test is apart). */
export default defineConfig({
  test: { name: "web", include: ["test/**/*.test.ts"], environment: "node" },
})
