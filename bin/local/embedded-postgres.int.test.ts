import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, stopOrphanedServer } from './embedded-postgres';
import { freePort } from './free-port';

const query = async (url: string, sql: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

let base = '';
afterAll(() => rm(base, { recursive: true, force: true }));

describe('startEmbeddedPostgres', () => {
  it('initialises PostgreSQL 16 on loopback, keeps its data across restarts, and stops cleanly', async () => {
    base = await mkdtemp(join(tmpdir(), 'parley-embedded-'));
    await chmod(base, 0o755);
    const dataDir = join(base, 'data');

    const first = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'parley_embedded',
    });
    expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/parley_embedded$/);
    const [version] = await query(first.url, 'show server_version');
    expect(String(version?.server_version)).toMatch(/^16\./);
    await query(first.url, 'create table kept (n int); insert into kept values (42)');
    await first.stop();
    await first.stop(); // idempotent
    await expect(query(first.url, 'select 1')).rejects.toThrow();

    // A stale pid file (its process long gone) does not stop the next start.
    await writeFile(join(dataDir, 'postmaster.pid'), '999999\n');
    const second = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'parley_embedded',
    });
    expect(await query(second.url, 'select n from kept')).toEqual([{ n: 42 }]);
    // Nothing to stop when the running server is its own caller's.
    await second.stop();
    expect(await stopOrphanedServer(dataDir)).toBe(false);
  }, 120_000);
});
