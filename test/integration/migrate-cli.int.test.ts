import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../support/scratch-database';

const run = promisify(execFile);
const cli = (env: NodeJS.ProcessEnv) =>
  run(process.execPath, ['--import', 'tsx', 'bin/migrate.ts'], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

let drop: (() => Promise<void>) | undefined;
afterAll(() => drop?.());

/** The command as npm runs it, in a process of its own: its output and exit code. */
describe('npm run migrate', () => {
  it('applies every migration once, then reports the database up to date', async () => {
    const scratch = await createScratchDatabase('parley_cli');
    drop = scratch.drop;

    const first = await cli({ DATABASE_URL: scratch.url });
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Applied: 0001-users, .*0007-audit-events-append-only/);

    const second = await cli({ DATABASE_URL: scratch.url });
    expect(second).toEqual({ code: 0, out: 'Already up to date.\n' });
  });

  it('exits 1 with the message when it fails (the failures themselves: bin/migrate-cli.int.test.ts)', async () => {
    const missing = await cli({ DATABASE_URL: '' });
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('DATABASE_URL is required');
  });
});
