import { defineConfig } from 'vitest/config';

/** Browser tests: the real local stack driven through Debian's Chromium (`npm run test:e2e`). */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two files side by side: each starts its own stack on free ports and its own Chromium, and
    // their people are unique, so they keep apart; much of a browser test is waiting (for the
    // model's words, a poll, an idle timer). On 2 cores the 9 files took 437 s one at a time and
    // 278 s two at a time. More would crowd two cores.
    maxWorkers: 2,
  },
});
