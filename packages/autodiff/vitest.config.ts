import { defineConfig } from "vitest/config"

// Property tests run many small transformations: allow for a busy machine rather than fail on time.
export default defineConfig({
  test: { name: "autodiff", include: ["test/**/*.test.ts"], testTimeout: 60_000 },
})
