/**
 * The size of a browser bundle of `@fnn/tensor`, `@fnn/autodiff` and `@fnn/nn` with everything
 * they export (nothing left out by tree shaking), minified and gzipped, as a user's Vite build
 * makes it. `pnpm size` prints it; a test holds it to `sizeBudget`.
 * @module
 */
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { build } from "vite"
import type { Plugin } from "vite"
import { sourceResolve } from "./source-condition.ts"
import { root } from "./workspace.ts"

/** The most the bundle may weigh, gzipped, in bytes. */
export const sizeBudget = 56 * 1024

/** The bundle's minified and gzipped sizes, in bytes. */
export interface BundleSize {
  readonly minified: number
  readonly gzipped: number
}

const entry = `
export * from "@fnn/tensor"
export * as autodiff from "@fnn/autodiff"
export * as nn from "@fnn/nn"
`

const entryId = "virtual:fnn-bundle"
const resolvedEntry = "\0virtual:fnn-bundle"

/** The entry as a virtual module whose imports resolve as they would from inside `@fnn/nn`. */
const entryPlugin: Plugin = {
  name: "fnn-bundle-entry",
  resolveId(id, importer) {
    if (id === entryId) return resolvedEntry
    if (importer === resolvedEntry)
      return this.resolve(id, join(root, "packages", "nn", "src", "index.ts"), { skipSelf: true })
    return null
  },
  load: (id) => (id === resolvedEntry ? entry : null),
}

/** Bundles the three packages (from the workspace) and measures the result. */
export const bundleSize = async (): Promise<BundleSize> => {
  {
    const out = await build({
      ...sourceResolve,
      root: import.meta.dirname,
      configFile: false,
      logLevel: "error",
      plugins: [entryPlugin],
      build: {
        write: false,
        target: "es2022",
        minify: true,
        rollupOptions: { input: entryId, preserveEntrySignatures: "strict" },
      },
    })
    const chunks = (Array.isArray(out) ? out : [out])
      .flatMap((o) => ("output" in o ? o.output : []))
      .flatMap((o) => (o.type === "chunk" ? [o.code] : []))
    const code = chunks.join("\n")
    return {
      minified: Buffer.byteLength(code),
      gzipped: gzipSync(code, { level: 9 }).length,
    }
  }
}

if (process.argv[1] === import.meta.filename) {
  const { minified, gzipped } = await bundleSize()
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`
  console.log(
    `@fnn/tensor + @fnn/autodiff + @fnn/nn: ${kb(minified)} minified, ${kb(gzipped)} gzipped (budget ${kb(sizeBudget)})`,
  )
}
