import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

// Property tests run many small transformations: allow for a busy machine rather than fail on time.
export default defineConfig({
  ...sourceResolve,
  test: { name: "autodiff", include: ["test/**/*.test.ts"], testTimeout: 60_000 },
})
