import { defineConfig } from "vitest/config"
import { sourceResolve } from "../../tools/source-condition.ts"

/** Benchmarks are run by hand (`pnpm bench`), never by `pnpm test`: this project holds no tests. */
export default defineConfig({
  ...sourceResolve,
  test: { name: "bench", include: [], passWithNoTests: true },
})
