import { afterAll } from 'vitest';

import type { SqlDatabase } from '../../functions/shared/db/sql';
import { sqlOnDataApi } from './data-api-on-postgres';
import { testDatabase, testSql } from './database';

/**
 * A repository test file's databases: `pgDb` (Kysely on this run's PostgreSQL, to arrange and read
 * rows), and the query layer the functions use on both of their drivers, `drivers` for
 * `describe.each`: node-postgres (`pgSql`) and the Data API played by the same PostgreSQL
 * (`onDataApi`). Call it at the top of the file; all are closed after its tests.
 */
export function repositoryDrivers() {
  const pgDb = testDatabase();
  const pgSql = testSql();
  const onDataApi = sqlOnDataApi();

  afterAll(async () => {
    await pgSql.destroy();
    await pgDb.destroy();
  });

  const drivers: [driver: string, database: () => SqlDatabase][] = [
    ['node-postgres', () => pgSql],
    ['the Data API', () => onDataApi.db()],
  ];
  return { pgDb, pgSql, onDataApi, drivers };
}
