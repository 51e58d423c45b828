/**
 * Writes `src/kernels/wasm/gemm.generated.ts` (see `wasm-source.ts`). Run with
 * `pnpm --filter @fnn/tensor gen:wasm`; a test checks the checked-in file is up to date.
 * @module
 */
import { writeFileSync } from "node:fs"
import { generatedSource } from "./wasm-source.ts"

const target = new URL("../src/kernels/wasm/gemm.generated.ts", import.meta.url)
writeFileSync(target, generatedSource())
console.log(`wrote ${target.pathname}`)
