import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

export default defineConfig({
  ...sourceResolve,
  test: { name: "mnist", include: ["test/**/*.test.ts"] },
})
