import { defineConfig } from 'vitest/config';

/**
 * `npm run test:resilience`: load and soak, faults, hostile input and sign-in abuse against the
 * real handlers, PostgreSQL and Redis (docs/resilience.md). One file at a time: each starts its
 * own servers and loads the machine; every loop is bounded in count and time (RESILIENCE_* env).
 */
export default defineConfig({
  test: {
    include: ['test/resilience/**/*.resilience.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    // Memory growth is read after a full collection.
    execArgv: ['--expose-gc'],
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_DEV: 'false' },
    reporters: ['default', './test/resilience/support/summary-reporter.ts'],
  },
});
