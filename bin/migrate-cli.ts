/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (local PostgreSQL or any server
 * you can reach directly). On AWS the migrations Lambda does the same through the Data API.
 */
import type { MigrationResult } from 'kysely';

import { createDatabase } from '../functions/shared/db/database';
import { migrateToLatest } from '../functions/shared/db/migrator';

export interface MigrateIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Migrates DATABASE_URL to the latest migration; returns the exit code (0 done, 1 failed). */
export async function migrate(
  env: NodeJS.ProcessEnv,
  io: MigrateIo = { out: console.log, err: console.error },
): Promise<number> {
  const url = env.DATABASE_URL;
  if (!url) {
    io.err('DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/parley');
    return 1;
  }
  const db = createDatabase({
    DB_DRIVER: 'pg',
    DATABASE_URL: url,
    DB_POOL_MAX: 1,
    DB_SSL: env.DB_SSL === 'true' || env.DB_SSL === '1',
  });
  try {
    const resultSet = await migrateToLatest(db);
    // migrateToLatest throws on any error, so the results are there (empty when up to date).
    const applied = (resultSet.results as MigrationResult[]).map((r) => r.migrationName);
    if (applied.length) io.out(`Applied: ${applied.join(', ')}`);
    else if (resultSet.newer?.length)
      io.out(
        `Already up to date; left as they are, migrations of a newer release: ${resultSet.newer.join(', ')}.`,
      );
    else io.out('Already up to date.');
    return 0;
  } catch (error) {
    // pg and the migrator (MigrationFailedError) reject with Errors; their messages hold no password.
    io.err((error as Error).message);
    return 1;
  } finally {
    await db.destroy();
  }
}
