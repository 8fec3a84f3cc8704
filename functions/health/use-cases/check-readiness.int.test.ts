import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SqlDatabase } from '#shared/db/sql';
import { checkSql, createSqlDatabase } from '#shared/db/sql-database';
import { createScratchDatabase, withPgClient } from '#test/support/scratch-database';
import { DATABASE_DOWN_TTL_MS, DATABASE_OK_TTL_MS, makeCheckReadiness } from './check-readiness';

/**
 * The readiness probe against a real PostgreSQL database that the test takes away and gives back:
 * the database answer is reused within its TTL (no query reaches the server) and changes once
 * the TTL has passed. The clock is the test's own, so nothing sleeps.
 */
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: SqlDatabase;
let queries = 0;
let clock = 0;

const serverUrl = () => {
  const url = new URL(scratch.url);
  url.pathname = '/postgres';
  return url.toString();
};
const onServer = (statement: string) => withPgClient(serverUrl(), (c) => c.query(statement));

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_readiness');
  db = createSqlDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
});

afterAll(async () => {
  await db.destroy();
  await scratch.drop();
});

const checkReadiness = () =>
  makeCheckReadiness({
    database: () => {
      queries += 1;
      return checkSql(db);
    },
    cache: { kind: 'in-process', ping: async () => undefined },
    llmConfigured: false,
    now: () => clock,
  });

describe('readiness database check on PostgreSQL', () => {
  it('queries once per TTL, then sees the database gone, then back', async () => {
    // Prepare
    const probe = checkReadiness();

    // Act: the first probe queries; probes within the TTL reuse its answer.
    const first = await probe();
    clock += DATABASE_OK_TTL_MS - 1;
    const withinTtl = await probe();
    const queriesWithinTtl = queries;

    // The database goes away (its connections are closed); the cached answer still holds.
    await onServer(`drop database "${scratch.name}" with (force)`);
    const stillCached = await probe();

    // Assess
    expect(first.status).toBe('ok');
    expect(first.checks.database.status).toBe('ok');
    expect(withinTtl.status).toBe('ok');
    expect(queriesWithinTtl).toBe(1);
    expect(stillCached.status).toBe('ok');
    expect(queries).toBe(1);

    // Act: the TTL passes: the next probe queries and finds the database down.
    clock += 1;
    const afterTtl = await probe();
    expect(afterTtl.status).toBe('down');
    expect(afterTtl.checks.database.status).toBe('down');
    expect(queries).toBe(2);

    // The database is back, but `down` is reused for its own (shorter) TTL.
    await onServer(`create database "${scratch.name}"`);
    clock += DATABASE_DOWN_TTL_MS - 1;
    expect((await probe()).status).toBe('down');
    expect(queries).toBe(2);

    clock += 1;
    const recovered = await probe();
    expect(recovered.status).toBe('ok');
    expect(queries).toBe(3);
  });

  it('shares one query between probes that arrive while it runs', async () => {
    // Prepare
    const before = queries;
    clock += DATABASE_OK_TTL_MS * 10;
    const probe = checkReadiness();

    // Act
    const answers = await Promise.all([probe(), probe(), probe()]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual(['ok', 'ok', 'ok']);
    expect(queries - before).toBe(1);
  });
});
