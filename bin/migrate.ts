/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (local PostgreSQL or any server
 * you can reach directly). On AWS the migrations Lambda does the same through the Data API.
 */
import { createDatabase } from '../functions/shared/db/database';
import { migrateToLatest } from '../functions/shared/db/migrator';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/parley');
    process.exitCode = 1;
    return;
  }
  const db = createDatabase({
    DB_DRIVER: 'pg',
    DATABASE_URL: url,
    DB_POOL_MAX: 1,
    DB_SSL: process.env.DB_SSL === 'true' || process.env.DB_SSL === '1',
  });
  try {
    const resultSet = await migrateToLatest(db);
    const applied = (resultSet.results ?? []).map((r) => r.migrationName);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
