import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints `N passed, N failed, N skipped` alone on the last line: the plain closing line
 * CI reads (Vitest's own summary is not one it knows).
 */
export default class SummaryReporter implements Reporter {
  private modules: readonly TestModule[] = [];

  onTestRunEnd(testModules: readonly TestModule[]): void {
    this.modules = testModules;
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of this.modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests but is still a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
