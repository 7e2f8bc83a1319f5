import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // yeoman-test changes the working directory: it needs process isolation, not worker threads.
    pool: 'forks',
    // Two files at a time, also on a 2-core machine (the default there is one): most of the suite's time is
    // spent waiting on the processes it starts (the bin, git, kubectl, bash, openssl). 352 s instead of 454 s
    // on a 2-core machine for the whole suite.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Tests validate against the shared, provenance-documented data set (as CI does), not only the bundled copy.
    env: {
      // The shared set first; then the bundled schemas converted from pinned charts' CRDs (kinds the shared set lacks).
      HAVEN_PLUS_SCHEMA_LOCATION: [fileURLToPath(new URL('../shared/schemas', import.meta.url)), fileURLToPath(new URL('./schemas/kubernetes', import.meta.url))].join(';'),
      HAVEN_PLUS_CHART_DATA: fileURLToPath(new URL('../shared/charts', import.meta.url)),
    },
  },
});
