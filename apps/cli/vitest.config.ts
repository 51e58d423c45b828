import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

export default defineConfig({
  ...sourceResolve,
  test: { name: "cli", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
})
