import { createDataApiClient, type DataApiClient, type ResumeRetryOptions } from '../aws/data-api-client';
import { getConfig } from '../config';
import { dataApiDatabase } from './data-api-sql';
import type { DatabaseConfig } from './database';
import { sql, type SqlDatabase } from './sql';

export interface CreateSqlDatabaseOptions {
  /** Data API only: the client to use (tests pass one pointed at their server). */
  readonly rdsData?: DataApiClient;
  /** Data API only: how long the client built here waits for Aurora to resume. */
  readonly resumeRetry?: ResumeRetryOptions;
}

/** The query layer (sql.ts) on the configured driver: node-postgres, or the RDS Data API. */
export function createSqlDatabase(
  config: DatabaseConfig,
  options: CreateSqlDatabaseOptions = {},
): SqlDatabase {
  if (config.DB_DRIVER === 'pg') {
    // Chosen at build time: the Lambda bundles define PARLEY_BUNDLE as 'lambda'
    // (lib/constructs/bundling-options.ts), which drops this branch and pg with it.
    if (process.env.PARLEY_BUNDLE !== 'lambda') {
      const load = Promise.all([import('./pg-sql'), import('./pg-pool')]);
      const database = load.then(([{ pgDatabase }, { createPgPool }]) =>
        pgDatabase(async () => createPgPool(config)),
      );
      // The loading is not awaited here, so a failure to load surfaces at the first statement.
      database.catch(() => undefined);
      return {
        query: async (statement) => (await database).query(statement),
        transaction: async (work) => (await database).transaction(work),
        destroy: async () => (await database).destroy(),
      };
    }
    throw new Error('DB_DRIVER=pg: this Lambda bundle has the Data API driver only (DB_DRIVER=data-api)');
  }
  const client =
    options.rdsData ?? createDataApiClient({ region: config.AWS_REGION, resumeRetry: options.resumeRetry });
  return dataApiDatabase(client, {
    resourceArn: config.DB_CLUSTER_ARN,
    secretArn: config.DB_SECRET_ARN,
    database: config.DB_NAME,
  });
}

let instance: SqlDatabase | undefined;

/** The query layer of this process, created on first use from `getConfig()` and then kept. */
export function getSql(): SqlDatabase {
  instance ??= createSqlDatabase(getConfig());
  return instance;
}

/** Closes the process's query layer (its pool), if one was opened. Safe to call more than once. */
export async function closeSql(): Promise<void> {
  const db = instance;
  instance = undefined;
  await db?.destroy();
}

export interface DatabaseCheck {
  readonly status: 'ok' | 'down';
  readonly latencyMs: number;
  /** Why it is down: the driver's error, or `timeout`. For the logs, never for an answer. */
  readonly failure?: unknown;
}

/** For /health/ready: `select 1` within `timeoutMs`. Never throws; a failure is `down`. */
export async function checkSql(db: SqlDatabase, timeoutMs = 2_000): Promise<DatabaseCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([db.query(sql`select 1`).then(() => 'ok' as const), timedOut]);
    const latencyMs = Math.round(performance.now() - started);
    return result === 'ok' ? { status: 'ok', latencyMs } : { status: 'down', latencyMs, failure: 'timeout' };
  } catch (failure) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), failure };
  } finally {
    clearTimeout(timer);
  }
}
