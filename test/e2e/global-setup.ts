import { execFileSync } from 'node:child_process';

/**
 * Builds the web app once per browser-test run, as it is now (not a stale build), before any file
 * starts its stack: the files may run side by side, and one build emptying `web/dist` while
 * another file's server reads it would break that file.
 */
export default function setup(): void {
  // A child process, because vitest sets NODE_ENV=test and an in-process build would then bundle
  // React's development build.
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'],
    {
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}
