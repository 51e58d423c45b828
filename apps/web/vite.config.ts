import { defineConfig } from "vite"
import { sourceResolve } from "../../tools/source-condition.ts"

/**
 * A static page with relative URLs, so `dist/` works from any folder or server. fp-ts and io-ts
 * are resolved to their ES module builds (the packages import the CommonJS `lib/` ones), which
 * lets the bundler drop what the page does not use. Workspace packages come from their sources.
 */
export default defineConfig({
  base: "./",
  ...sourceResolve,
  resolve: {
    ...sourceResolve.resolve,
    alias: [
      { find: /^fp-ts\/lib\/(.*)$/, replacement: "fp-ts/es6/$1" },
      { find: /^io-ts$/, replacement: "io-ts/es6/index.js" },
    ],
  },
  worker: { format: "es" },
  build: { target: "es2022", reportCompressedSize: true },
  preview: { host: "127.0.0.1" },
  server: { host: "127.0.0.1" },
})
