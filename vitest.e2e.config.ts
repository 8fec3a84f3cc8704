import { defineConfig } from 'vitest/config';

/** Browser tests: the real local stack driven through Debian's Chromium (`npm run test:e2e`). */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
