import { defineConfig } from "vitest/config"

/** Benchmarks are run by hand (`pnpm bench`), never by `pnpm test`: this project holds no tests. */
export default defineConfig({ test: { name: "bench", include: [], passWithNoTests: true } })
