import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';

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

/**
 * Applies every pending migration, all in ONE transaction (Kysely runs a whole migrateToLatest in
 * one where DDL is transactional, as on PostgreSQL: a failure rolls back every migration of the
 * run), under Kysely's advisory lock, so concurrent deploys do not race, and with
 * MIGRATION_LOCK_TIMEOUT. Throws MigrationFailedError naming the migration that failed.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResultSet> {
  return check(await createMigrator(db).migrateToLatest());
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
