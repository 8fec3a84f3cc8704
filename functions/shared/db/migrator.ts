import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely';

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

export function createMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
}

/**
 * Applies every pending migration (each in its own transaction, under Kysely's advisory lock, so
 * concurrent deploys do not race). Throws MigrationFailedError naming the migration that failed.
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
