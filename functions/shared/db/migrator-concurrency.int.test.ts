import { Kysely, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { migrations } from '#schema-migrations/index';
import { createScratchDatabase } from '#test/support/scratch-database';
import { createDatabase } from './database';
import { createMigrator, migrateToLatest } from './migrator';

/** A database of its own, as a process of its own would open it (its own pool). */
const open = (url: string) =>
  new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });

describe('two migration runs at once (two deploys, or a local start while the tests migrate)', () => {
  it('apply each migration once: the second waits for the first and finds nothing left to do', async () => {
    // Prepare: a fresh database (not even the migrator's own tables), a slow migration that counts
    const scratch = await createScratchDatabase('parley_migrator_race');
    const [a, b] = [open(scratch.url), open(scratch.url)];
    try {
      await sql`create table applied (at timestamptz not null default clock_timestamp())`.execute(a);
      const counting: Migration = {
        up: async (tx) => {
          await sql`select pg_sleep(0.5)`.execute(tx);
          await sql`insert into applied default values`.execute(tx);
        },
      };
      const all = { '0001-counting': counting, '0002-counting-again': counting };

      // Act
      const [first, second] = await Promise.all([
        createMigrator(a, { migrations: all }).migrateToLatest(),
        createMigrator(b, { migrations: all }).migrateToLatest(),
      ]);

      // Assess: no error, every migration applied by exactly one of the runs
      expect([first.error, second.error]).toEqual([undefined, undefined]);
      const names = [...(first.results ?? []), ...(second.results ?? [])].map(
        (r) => `${r.migrationName} ${r.status}`,
      );
      expect(names.sort()).toEqual(['0001-counting Success', '0002-counting-again Success']);
      const { rows } = await sql<{ n: string }>`select count(*) as n from applied`.execute(a);
      expect(Number(rows[0]?.n)).toBe(2);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await scratch.drop();
    }
  });

  it("apply the product's migrations once on a fresh database, both runs succeeding", async () => {
    // Prepare
    const scratch = await createScratchDatabase('parley_migrator_race');
    const config = { DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 2 } as const;
    const [a, b] = [createDatabase(config), createDatabase(config)];
    try {
      // Act
      const runs = await Promise.all([migrateToLatest(a), migrateToLatest(b)]);

      // Assess: between them, every migration once, and the record says so
      const applied = runs.flatMap((r) => (r.results ?? []).map((m) => m.migrationName));
      expect(applied.sort()).toEqual(Object.keys(migrations));
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        a,
      );
      expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await scratch.drop();
    }
  });
});
