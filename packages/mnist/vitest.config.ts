import { defineConfig } from "vitest/config"

export default defineConfig({ test: { name: "mnist", include: ["test/**/*.test.ts"] } })
