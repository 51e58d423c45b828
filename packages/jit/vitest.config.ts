import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

// Property tests trace and compile many small programs: allow for a busy machine rather than fail on time.
export default defineConfig({
  ...sourceResolve,
  test: { name: "jit", include: ["test/**/*.test.ts"], testTimeout: 60_000 },
})
