/**
 * Writes the generated modules in `src/kernels/wasm/` (see `wasm-source.ts`). Run with
 * `pnpm --filter @fnn/tensor gen:wasm`; a test checks the checked-in files are up to date.
 * @module
 */
import { writeFileSync } from "node:fs"
import { generatedElementwiseSource, generatedSource } from "./wasm-source.ts"

for (const [file, text] of [
  ["gemm.generated.ts", generatedSource()],
  ["elementwise.generated.ts", generatedElementwiseSource()],
] as const) {
  const target = new URL(`../src/kernels/wasm/${file}`, import.meta.url)
  writeFileSync(target, text)
  console.log(`wrote ${target.pathname}`)
}
