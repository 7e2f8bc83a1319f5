import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The shared, provenance-documented data set beside the project; a bare clone has none (test/shared.ts). */
const SHARED = fileURLToPath(new URL('../shared', import.meta.url));
const hasShared = existsSync(SHARED);

export default defineConfig({
  test: {
    // yeoman-test changes the working directory: it needs process isolation, not worker threads.
    pool: 'forks',
    // Two files at a time, also on a 2-core machine (the default there is one): most of the suite's time is
    // spent waiting on the processes it starts (the bin, git, kubectl, bash, openssl). 352 s instead of 454 s
    // on a 2-core machine for the whole suite.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      // The unit tests share a worker's module graph from file to file (isolate: false): importing the
      // project's modules again for every file was 40 s of the unit tests' 140 s on a 2-core machine (96 s
      // without). They keep no state between files that another file reads: each makes its own
      // directories, and changes to process.env or the working directory are undone in the same file.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // The end-to-end tests keep a process per file: yeoman-test changes the working directory.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
    // With ../shared beside it, tests validate against the shared data set (as CI does), not only the bundled
    // copy; without it (a bare clone), against the copies shipped in the package, and the tests that compare
    // the two say they skipped.
    env: hasShared
      ? {
          // The shared set first; then the bundled schemas converted from pinned charts' CRDs (kinds the shared set lacks).
          HAVEN_PLUS_SCHEMA_LOCATION: [`${SHARED}/schemas`, fileURLToPath(new URL('./schemas/kubernetes', import.meta.url))].join(';'),
          HAVEN_PLUS_CHART_DATA: `${SHARED}/charts`,
        }
      : {},
  },
});
