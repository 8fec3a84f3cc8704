import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type pg from 'pg';
import { createPgPool, endOpenPools } from './pg-pool';

/** The local driver's pool against the real test PostgreSQL. */
let pool: pg.Pool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
  vi.restoreAllMocks();
});

describe('endOpenPools', () => {
  it('ends every pool still open, and not again one that was ended already', async () => {
    const url = inject('databaseUrl');
    const [used, idle, ended] = [
      createPgPool({ DATABASE_URL: url }),
      createPgPool({ DATABASE_URL: url }),
      createPgPool({ DATABASE_URL: url }),
    ];
    await used.query('select 1');
    await ended.end();
    // A second end() of one pool throws in pg: the ended pool must have left the open set.
    await expect(endOpenPools()).resolves.toBeUndefined();
    expect([used.ending, idle.ending, ended.ending]).toEqual([true, true, true]);
    await expect(used.query('select 1')).rejects.toThrow(/after calling end/);
    await expect(endOpenPools()).resolves.toBeUndefined();
  });
});

describe('createPgPool', () => {
  it('returns dates as YYYY-MM-DD strings and other types as pg parses them', async () => {
    pool = createPgPool({ DATABASE_URL: inject('databaseUrl') });
    const { rows } = await pool.query<{ day: unknown; n: unknown; at: unknown }>(
      "select '2026-02-28'::date as day, 41 + 1 as n, '2026-02-28T23:30:00Z'::timestamptz as at",
    );
    expect(rows[0]).toEqual({ day: '2026-02-28', n: 42, at: new Date('2026-02-28T23:30:00Z') });
  });

  it('holds 10 connections unless told otherwise, and verifies the server certificate with TLS on', () => {
    pool = createPgPool({ DATABASE_URL: inject('databaseUrl') });
    expect(pool.options.max).toBe(10);
    expect(pool.options.ssl).toBeUndefined();
    const tls = createPgPool({ DATABASE_URL: inject('databaseUrl'), DB_POOL_MAX: 3, DB_SSL: true });
    expect(tls.options).toMatchObject({ max: 3, ssl: { rejectUnauthorized: true } });
    void tls.end();
  });

  it('survives a connection the server ends: it logs a warning and the next query reconnects', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    pool = createPgPool({ DATABASE_URL: inject('databaseUrl'), DB_POOL_MAX: 1 });
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const admin = createPgPool({ DATABASE_URL: inject('databaseUrl'), DB_POOL_MAX: 1 });
    await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
    await admin.end();
    // The server's "terminating connection" reaches the idle checked-out client as an event.
    await vi.waitFor(() => expect(warn).toHaveBeenCalled(), { timeout: 5_000 });
    await expect(client.query('select 1')).rejects.toThrow();
    client.release(true);
    expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    expect(String(warn.mock.calls[0]?.[0])).toContain('"level":"WARN"');
  });
});
