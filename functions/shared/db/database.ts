import { Kysely, PostgresDialect } from 'kysely';
import { DataApiDialect } from 'kysely-data-api';

import { createDataApiClient, type DataApiClient, type ResumeRetryOptions } from '../aws/data-api-client';
import { getConfig, type Config } from '../config';
import type { Database } from './schema';
import { closeSql } from './sql-database';

type PgConfig = Extract<Config, { DB_DRIVER: 'pg' }>;
type DataApiConfig = Extract<Config, { DB_DRIVER: 'data-api' }>;

/** The part of `Config` the database needs (so tests and scripts need not invent the rest). */
export type DatabaseConfig =
  | (Pick<PgConfig, 'DB_DRIVER' | 'DATABASE_URL'> & { DB_POOL_MAX?: number; DB_SSL?: boolean | undefined })
  | Pick<DataApiConfig, 'DB_DRIVER' | 'DB_CLUSTER_ARN' | 'DB_SECRET_ARN' | 'DB_NAME' | 'AWS_REGION'>;

/** kysely-data-api types its client as the SDK's RDSData, of which it calls these four methods. */
type DialectClient = ConstructorParameters<typeof DataApiDialect>[0]['driver']['client'];

export interface CreateDatabaseOptions {
  /**
   * Data API only: the client to use, as it is (any object with the four methods
   * kysely-data-api calls, such as the SDK's RDSData; the tests pass a stubbed one). Its retries
   * are its own.
   * @default our Data API client (functions/shared/aws/data-api-client.ts), which retries as
   *   the SDK does and while Aurora resumes, signing with the environment's credentials
   */
  readonly rdsData?: DataApiClient;
  /** Data API only: how long the client built here waits for Aurora to resume (not `rdsData`'s). */
  readonly resumeRetry?: ResumeRetryOptions;
}

export function createDatabase(
  config: DatabaseConfig,
  options: CreateDatabaseOptions = {},
): Kysely<Database> {
  if (config.DB_DRIVER === 'pg') {
    // Chosen at build time: the Lambda bundles define PARLEY_BUNDLE as 'lambda'
    // (lib/constructs/bundling-options.ts), which drops this branch and pg with it.
    if (process.env.PARLEY_BUNDLE !== 'lambda') {
      // The pool is made on the first query, once pg is loaded.
      const pool = async () => (await import('./pg-pool')).createPgPool(config);
      return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    }
    throw new Error('DB_DRIVER=pg: this Lambda bundle has the Data API driver only (DB_DRIVER=data-api)');
  }

  const client =
    options.rdsData ?? createDataApiClient({ region: config.AWS_REGION, resumeRetry: options.resumeRetry });
  return new Kysely<Database>({
    dialect: new DataApiDialect({
      mode: 'postgres',
      driver: {
        // Only the four methods are called, and DataApiClient has them with the SDK's shapes.
        client: client as unknown as DialectClient,
        resourceArn: config.DB_CLUSTER_ARN,
        secretArn: config.DB_SECRET_ARN,
        database: config.DB_NAME,
      },
    }),
  });
}

// ---------------------------------------------------------------------------------------------

let instance: Kysely<Database> | undefined;

/** The database of this process, created on first use from `getConfig()` and then kept. */
export function getDatabase(): Kysely<Database> {
  instance ??= createDatabase(getConfig());
  return instance;
}

/**
 * Closes the process's database pools, if opened: this one and the API's query layer
 * (`getSql()`). Safe to call more than once.
 */
export async function closeDatabase(): Promise<void> {
  const db = instance;
  instance = undefined;
  await Promise.all([db?.destroy(), closeSql()]);
}
