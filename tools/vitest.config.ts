import { defineConfig } from "vitest/config"
import { sourceResolve } from "./source-condition.ts"

/** Tests of the workspace's packaging: export maps and what browser entries import. */
export default defineConfig({
  ...sourceResolve,
  test: { name: "tools", include: ["test/**/*.test.ts"] },
})
