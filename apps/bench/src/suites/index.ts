/**
 * Every suite `--suite NAME` can pick, in the order a full run goes through them. A new suite
 * (the MNIST training loops, say) is a module in this folder added to this list.
 * @module
 */
import type { Suite } from "../suite.ts"
import { matmulSuite } from "./matmul.ts"

/** All suites, in run order. */
export const suites: readonly Suite[] = [matmulSuite]
