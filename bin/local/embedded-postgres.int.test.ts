import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** The process group of a process, from /proc (Linux): the 5th field of its stat line. */
const processGroupOf = async (pid: number | 'self') => {
  const line = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(line.slice(line.lastIndexOf(')') + 2).split(' ')[2]);
};

describe.runIf(existsSync('/proc/self/stat'))('startEmbeddedPostgres and a terminal', () => {
  it("runs PostgreSQL in a process group of its own, out of reach of a terminal's Ctrl-C", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'parley-embedded-group-'));
    await chmod(dir, 0o755);
    const dataDir = join(dir, 'data');
    try {
      // Act
      const server = await startEmbeddedPostgres({ dataDir, port: await freePort() });
      try {
        // Assess: a terminal signals its foreground group, ours; PostgreSQL takes SIGINT as a
        // fast shutdown that would cut the replies npm start lets finish
        const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
        expect(postmaster).toBeGreaterThan(0);
        expect(await processGroupOf(postmaster)).not.toBe(await processGroupOf('self'));
        expect(await processGroupOf(postmaster)).toBe(postmaster);
      } finally {
        await server.stop();
      }
      // Stopped by its pid all the same
      await expect(readFile(join(dataDir, 'postmaster.pid'))).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('startEmbeddedPostgres when something is in the way', () => {
  let dir = '';
  // A folder only its owner may enter: as root, the postgres user must be let through.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-embedded-orphan-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stops a server a killed run left on the data folder (stopOrphan), then starts its own there', async () => {
    const dataDir = join(dir, 'data');
    const lines: string[] = [];
    const orphan = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      onLog: (l) => lines.push(l),
    });
    if (userInfo().uid === 0) expect((await stat(dir)).mode & 0o001).toBe(0o001);

    const next = await startEmbeddedPostgres({ dataDir, port: await freePort(), stopOrphan: true });
    try {
      expect(await query(next.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      await expect(query(orphan.url, 'select 1')).rejects.toThrow();
      // Its owner's stop does not wait for an exit that already happened.
      await orphan.stop();
      expect(lines).toContain('PostgreSQL had already stopped');
    } finally {
      await next.stop();
    }
  }, 120_000);

  it('says which port and folder when PostgreSQL cannot start (the port is taken)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dataDir = join(dir, 'data');
    try {
      await expect(startEmbeddedPostgres({ dataDir, port })).rejects.toThrow(
        `Embedded PostgreSQL did not start on port ${port} (data in ${dataDir})`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);

  it('fails with PostgreSQL’s reason and leaves no server running when the password is not the folder’s', async () => {
    const dataDir = join(dir, 'data');
    const port = await freePort();
    await expect(startEmbeddedPostgres({ dataDir, port, password: 'not-the-one' })).rejects.toThrow(
      'password authentication failed for user "postgres"',
    );
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  }, 60_000);
});
