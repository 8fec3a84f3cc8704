import { defineConfig } from 'vitest/config';

const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** Unit tests of the web app's non-visual code: `npx vitest run --config web/vitest.config.ts`. */
export default defineConfig({
  root: webRoot,
  resolve: { alias: { '@/': `${webRoot}src/` } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
