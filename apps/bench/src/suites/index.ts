/**
 * Every suite `--suite NAME` can pick, in the order a full run goes through them. A new suite is
 * a module in this folder added to this list; an `optIn` suite runs only when named.
 * @module
 */
import type { Suite } from "../suite.ts"
import { matmulSuite } from "./matmul.ts"
import { memorySuite } from "./memory.ts"
import { trainLargeSuite, trainSmallSuite } from "./train.ts"

/** All suites, in run order. */
export const suites: readonly Suite[] = [matmulSuite, trainSmallSuite, trainLargeSuite, memorySuite]
