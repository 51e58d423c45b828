import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

/**
 * The end-to-end test in Chromium, run by `pnpm test:e2e` after a build. Never part of
 * `pnpm test`: it needs /usr/bin/chromium and the built page in `dist/`; the workspace packages
 * come from their sources, as in every test.
 */
export default defineConfig({
  ...sourceResolve,
  test: {
    name: "web-e2e",
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
