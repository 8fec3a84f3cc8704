import { Kysely, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '#test/support/scratch-database';
import { createMigrator, MIGRATION_LOCK_TIMEOUT } from './migrator';

/**
 * The migrator's lock timeout, on a database of its own: these migrations are not the product's,
 * and the migrator's own tables must start empty.
 */
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<unknown>;

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_migrator_locks');
  db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 3 }) }),
  });
  await sql`create table held (id int primary key)`.execute(db);
}, 30_000);

afterAll(async () => {
  await db.destroy();
  await scratch.drop();
});

describe('the migrator', () => {
  it('runs each migration with its lock timeout in force, up and down', async () => {
    // Prepare: a migration that notes the setting it runs with
    const seen: string[] = [];
    const noting: Migration = {
      up: async (tx) => {
        const { rows } = await sql<{
          value: string;
        }>`select current_setting('lock_timeout') as value`.execute(tx);
        seen.push(`up ${rows[0]?.value}`);
      },
      down: async (tx) => {
        const { rows } = await sql<{
          value: string;
        }>`select current_setting('lock_timeout') as value`.execute(tx);
        seen.push(`down ${rows[0]?.value}`);
      },
    };
    const migrator = createMigrator(db, { migrations: { '0001-noting': noting } });

    // Act
    const up = await migrator.migrateToLatest();
    const down = await migrator.migrateDown();
    const { rows } = await sql<{ value: string }>`select current_setting('lock_timeout') as value`.execute(
      db,
    );

    // Assess: in force in the migrations' transaction, and only there
    expect([up.error, down.error]).toEqual([undefined, undefined]);
    expect(seen).toEqual([`up ${MIGRATION_LOCK_TIMEOUT}`, `down ${MIGRATION_LOCK_TIMEOUT}`]);
    expect(rows[0]?.value).toBe('0');
  });

  it('fails a migration that cannot take its lock soon, instead of queueing every statement behind it', async () => {
    // Prepare: a transaction that read the table and stays open (as a lingering Data API one)
    const holder = new pg.Client({ connectionString: scratch.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select * from held');
    const altering: Migration = {
      up: async (tx) => {
        await sql`alter table held add column note text`.execute(tx);
      },
    };
    const migrator = createMigrator(db, { migrations: { '0001-altering': altering }, lockTimeout: '300ms' });

    try {
      // Act
      const started = Date.now();
      const result = await migrator.migrateToLatest();

      // Assess: failed fast with PostgreSQL's lock_not_available, nothing applied
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.error).toMatchObject({ code: '55P03' });
      expect(result.results).toEqual([{ migrationName: '0001-altering', direction: 'Up', status: 'Error' }]);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // Once the lock is free, the same migration applies (a retried deploy)
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
});
