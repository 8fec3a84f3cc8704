import {
  DEFAULT_MIGRATION_TABLE,
  Migrator,
  NO_MIGRATIONS,
  sql,
  type Kysely,
  type Migration,
  type MigrationResultSet,
} from 'kysely';

import { migrations } from '#schema-migrations/index';

export class MigrationFailedError extends Error {
  constructor(
    readonly migrationName: string | undefined,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      migrationName ? `Migration ${migrationName} failed: ${reason}` : `Migrations could not run: ${reason}`,
      options,
    );
    this.name = 'MigrationFailedError';
  }
}

/**
 * How long a migration's statement waits for a lock before it fails. An ALTER TABLE waiting for a
 * lock (behind a long statement, or a Data API transaction left open until it expires) makes every
 * later statement on that table wait behind it, so the chat would stop for as long as it waits.
 * 10 s lets the short statements and transactions of the API finish, and fails the migration
 * (and so the deployment, which rolls back and can be run again) well before requests queued
 * behind it reach API Gateway's 29 s.
 */
export const MIGRATION_LOCK_TIMEOUT = '10s';

export interface MigratorOptions {
  /** @default every migration of `migrations/` */
  readonly migrations?: Readonly<Record<string, Migration>>;
  /** PostgreSQL's `lock_timeout` while a migration runs. @default MIGRATION_LOCK_TIMEOUT */
  readonly lockTimeout?: string;
}

/**
 * Each migration with `lock_timeout` set for the rest of the migrator's transaction before it
 * runs. Set there, not before: Kysely takes its advisory lock first, and a deploy that waits for
 * another's migrations should wait for them to end, not fail.
 */
function withLockTimeout(
  all: Readonly<Record<string, Migration>>,
  lockTimeout: string,
): Record<string, Migration> {
  // set_config(…, true) is `set local` with a bound value (SET takes no parameters).
  const limited =
    (step: (db: Kysely<unknown>) => Promise<void>) =>
    async (db: Kysely<unknown>): Promise<void> => {
      await sql`select set_config('lock_timeout', cast(${lockTimeout} as text), true)`.execute(db);
      await step(db);
    };
  return Object.fromEntries(
    Object.entries(all).map(([name, { up, down }]) => [
      name,
      { up: limited(up), ...(down ? { down: limited(down) } : {}) },
    ]),
  );
}

export function createMigrator<DB>(db: Kysely<DB>, options: MigratorOptions = {}): Migrator {
  const all = withLockTimeout(
    options.migrations ?? migrations,
    options.lockTimeout ?? MIGRATION_LOCK_TIMEOUT,
  );
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(all) },
  });
}

export interface MigrateToLatestResult extends MigrationResultSet {
  /** Migrations of a newer release the database holds, after every one this code knows: left alone. */
  readonly newer?: readonly string[];
}

/**
 * Applies every pending migration, all in ONE transaction (Kysely runs a whole migrateToLatest in
 * one where DDL is transactional, as on PostgreSQL: a failure rolls back every migration of the
 * run), under Kysely's advisory lock, so concurrent deploys do not race, and with
 * MIGRATION_LOCK_TIMEOUT. Throws MigrationFailedError naming the migration that failed.
 *
 * A database a newer release has migrated (every migration this code knows applied, in order,
 * then others after the last of them) is left as it is: the result names those in `newer`, and
 * applies nothing. That is what a rollback runs (CloudFormation's, back to the previous
 * migrator; or deploying the previous commit), and migrations only ever add, so older code runs
 * on the newer schema. A migration of this code's still pending under newer ones, or its own
 * applied out of order, is refused.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  options: MigratorOptions = {},
): Promise<MigrateToLatestResult> {
  const known = Object.keys(options.migrations ?? migrations).sort();
  let applied: string[];
  try {
    applied = await appliedMigrations(db);
  } catch (error) {
    throw new MigrationFailedError(undefined, { cause: error });
  }
  const newer = applied.filter((name) => !known.includes(name));
  if (newer.length === 0) return check(await createMigrator(db, options).migrateToLatest());
  const last = known.at(-1) ?? '';
  const pending = known.filter((name) => !applied.includes(name));
  if (pending.length > 0) {
    throw new MigrationFailedError(undefined, {
      cause: new Error(
        `${pending[0]} is not applied, but the database holds migrations this code does not know ` +
          `(${newer.join(', ')}): deploy the release that holds them or a later one, or, for a ` +
          `release reverted after they ran, restore them in migrations/ as they shipped and add ` +
          `new migrations after them`,
      ),
    });
  }
  const inOrder =
    applied.slice(0, known.length).every((name, i) => name === known[i]) &&
    applied.slice(known.length).every((name) => name > last);
  if (!inOrder) {
    throw new MigrationFailedError(undefined, {
      cause: new Error(
        `corrupted migrations: applied in the order ${applied.join(', ')}, where this release's ` +
          `${known.join(', ')} should come first, in that order`,
      ),
    });
  }
  return { results: [], newer };
}

/**
 * The migrations the database records as applied, in the order Kysely takes them (by the time
 * they ran, then by name); none before the first run.
 */
async function appliedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const { rows: exists } = await sql<{
    found: boolean;
  }>`select to_regclass(cast(${DEFAULT_MIGRATION_TABLE} as text)) is not null as found`.execute(db);
  if (!exists[0]?.found) return [];
  const { rows } = await sql<{ name: string; timestamp: string }>`select name, timestamp from ${sql.table(
    DEFAULT_MIGRATION_TABLE,
  )}`.execute(db);
  return rows
    .sort((a, b) =>
      a.timestamp === b.timestamp
        ? a.name.localeCompare(b.name)
        : new Date(a.timestamp).getTime() - new Date(b.timestamp).getTime(),
    )
    .map((r) => r.name);
}

/** Rolls back every migration. For tests and local resets only. */
export async function migrateDownToNothing<DB>(db: Kysely<DB>): Promise<MigrationResultSet> {
  return check(await createMigrator(db).migrateTo(NO_MIGRATIONS));
}

function check(resultSet: MigrationResultSet): MigrationResultSet {
  if (resultSet.error !== undefined) {
    const failed = resultSet.results?.find((r) => r.status === 'Error');
    throw new MigrationFailedError(failed?.migrationName, { cause: resultSet.error });
  }
  return resultSet;
}
