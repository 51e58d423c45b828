import { defineConfig } from "vitest/config"

/**
 * The end-to-end test in Chromium, run by `pnpm test:e2e` after a build. Never part of
 * `pnpm test`: it needs /usr/bin/chromium and the built `dist/`.
 */
export default defineConfig({
  test: {
    name: "web-e2e",
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
})
