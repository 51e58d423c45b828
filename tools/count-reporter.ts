import type { Reporter, TestModule } from "vitest/node"

/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, that CI reads.
 * A test file that fails to load counts as one failed test.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0
    let failed = unhandledErrors.length
    let skipped = 0
    for (const module of testModules) {
      let tests = 0
      for (const test of module.children.allTests()) {
        tests += 1
        const state = test.result().state
        if (state === "passed") passed += 1
        else if (state === "failed") failed += 1
        else skipped += 1
      }
      if (tests === 0 || module.state() === "failed") {
        if (module.errors().length > 0) failed += 1
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
