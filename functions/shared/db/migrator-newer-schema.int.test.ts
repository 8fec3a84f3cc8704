import { Kysely, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '#test/support/scratch-database';
import { migrations } from '#schema-migrations/index';
import { MigrationFailedError, migrateToLatest } from './migrator';

/**
 * The previous release's migrator on a database a newer release has migrated: what a
 * CloudFormation rollback of the Schema stack runs, and what deploying the previous commit runs.
 * Migrations only ever add, so the older code runs on the newer schema: its migrator must leave
 * the newer migrations alone, and still refuse a database its own migrations are not in order in.
 */
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Kysely<unknown>;

beforeAll(async () => {
  scratch = await createScratchDatabase('parley_migrator_newer');
  db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 2 }) }),
  });
}, 30_000);

// Each test starts from an empty schema: no tables, no migrator tables.
afterEach(async () => {
  await sql`drop schema public cascade`.execute(db);
  await sql`create schema public`.execute(db);
});

afterAll(async () => {
  await db.destroy();
  await scratch.drop();
});

/** A migration that creates one table, so what ran shows in the schema. */
const creates = (table: string): Migration => ({
  up: async (db) => {
    await db.schema.createTable(table).addColumn('id', 'integer').execute();
  },
});

const tables = async (db: Kysely<unknown>) =>
  (
    await sql<{
      name: string;
    }>`select tablename as name from pg_tables where schemaname = 'public' and tablename like 't\_%' order by 1`.execute(
      db,
    )
  ).rows.map((r) => r.name);

describe('the migrator, on a database a newer release has migrated', () => {
  it('succeeds and applies nothing when the newer migrations all come after every one it knows', async () => {
    // Prepare: the product's migrations, then a newer release's.
    await migrateToLatest(db, { migrations: { ...migrations, '9999-future': creates('t_future') } });

    // Act: this release's migrator, which knows no 9999-future.
    const result = await migrateToLatest(db);

    // Assess
    expect(result.results).toEqual([]);
    expect(result.newer).toEqual(['9999-future']);
    expect(await tables(db)).toEqual(['t_future']);
  });

  it('still applies nothing twice: a second run says the same', async () => {
    // Prepare
    const known = { '0001-a': creates('t_a'), '0002-b': creates('t_b') };
    await migrateToLatest(db, {
      migrations: { ...known, '0003-c': creates('t_c'), '0004-d': creates('t_d') },
    });

    // Act
    const first = await migrateToLatest(db, { migrations: known });
    const second = await migrateToLatest(db, { migrations: known });

    // Assess
    expect([first.newer, second.newer]).toEqual([
      ['0003-c', '0004-d'],
      ['0003-c', '0004-d'],
    ]);
    expect(await tables(db)).toEqual(['t_a', 't_b', 't_c', 't_d']);
  });

  it('refuses, applying nothing, when one of its own migrations is pending under newer ones', async () => {
    // Prepare: 0002-b was never applied, a newer release's 0003-c was.
    await migrateToLatest(db, { migrations: { '0001-a': creates('t_a'), '0003-c': creates('t_c') } });

    // Act
    const error = await migrateToLatest(db, {
      migrations: { '0001-a': creates('t_a'), '0002-b': creates('t_b') },
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toMatch(/0002-b is not applied.*0003-c/);
    expect(await tables(db)).toEqual(['t_a', 't_c']);
  });

  it("names a reverted release's migration to restore when a later release's is refused under it", async () => {
    // Prepare: a release's 0002-foo ran; the release was reverted, migration and all
    await migrateToLatest(db, { migrations: { '0001-a': creates('t_a'), '0002-foo': creates('t_foo') } });
    expect(await migrateToLatest(db, { migrations: { '0001-a': creates('t_a') } })).toMatchObject({
      newer: ['0002-foo'],
    });

    // Act: the next release's migration
    const error = await migrateToLatest(db, {
      migrations: { '0001-a': creates('t_a'), '0003-bar': creates('t_bar') },
    }).catch((e: unknown) => e);

    // Assess: refused, and the way out named (before: "deploy that release", which no longer exists)
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toMatch(
      /0003-bar is not applied.*\(0002-foo\).*restore them in migrations\//,
    );
    expect(await tables(db)).toEqual(['t_a', 't_foo']);
  });

  it('refuses a gap among the migrations it knows, newer ones or not', async () => {
    // Prepare: 0001-a and 0003-c applied, 0002-b (known) not.
    await migrateToLatest(db, { migrations: { '0001-a': creates('t_a'), '0003-c': creates('t_c') } });

    // Act
    const error = await migrateToLatest(db, {
      migrations: { '0001-a': creates('t_a'), '0002-b': creates('t_b'), '0003-c': creates('t_c') },
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toMatch(/corrupted migrations/);
    expect(await tables(db)).toEqual(['t_a', 't_c']);
  });

  it('refuses migrations it knows that ran out of order, even with newer ones after them', async () => {
    // Prepare: the record says 0002-b ran before 0001-a, and a newer release's 0003-c after both.
    const known = { '0001-a': creates('t_a'), '0002-b': creates('t_b') };
    await migrateToLatest(db, { migrations: { ...known, '0003-c': creates('t_c') } });
    await sql`update kysely_migration set timestamp = '2000-01-01T00:00:00.000Z' where name = '0002-b'`.execute(
      db,
    );

    // Act
    const error = await migrateToLatest(db, { migrations: known }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toMatch(/0001-a/);
  });
});
