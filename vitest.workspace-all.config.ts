import { defineConfig } from "vitest/config"

/** Runs every package's tests in one vitest process and ends with the `N passed, N failed` line. */
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "tools"],
    reporters: ["default", "./tools/count-reporter.ts"],
  },
})
