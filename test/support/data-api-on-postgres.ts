/**
 * The RDS Data API, played by a real PostgreSQL server: ExecuteStatement / BeginTransaction /
 * CommitTransaction / RollbackTransaction run the SQL with node-postgres, behind
 * `startDataApiOnPostgres`: a loopback HTTP server that checks each request's SigV4 signature and
 * speaks the service's REST-JSON (test/support/aws/data-api-test-server.ts), with our Data API
 * client pointed at it: the whole path the Lambda functions take.
 * Lets tests prove the `data-api` driver path (kysely-data-api's parameter and result encoding)
 * without AWS.
 *
 * Behaviour copied from the real service, because it is what bites in production:
 * - `:name` placeholders; a parameter is typed by its field (stringValue → varchar, longValue →
 *   int8, doubleValue → float8, booleanValue → bool, blobValue → bytea) or by typeHint (UUID,
 *   TIMESTAMP, DATE, TIME, JSON, DECIMAL). So an uncast string compared with a uuid column fails
 *   here exactly as on Aurora.
 * - One statement per call; session time zone UTC; timestamptz values come back as UTC strings
 *   without offset; int8 comes back as longValue (a JS number), numeric as a string.
 * - Errors are BadRequestException with "ERROR: …; SQLState: XXXXX" in the message.
 * - The result's size limits (Aurora User Guide, "Limitations for the Amazon RDS Data API"): at
 *   most 64 KB a row and 1 MiB in all, counted here as the UTF-8 bytes of the values' text;
 *   more is refused with a BadRequestException, so a query that would fail on Aurora fails here.
 * - Statements with a transactionId run on that transaction's own connection.
 */
import { randomUUID } from 'node:crypto';

import {
  BadRequestException,
  type ColumnMetadata,
  type ExecuteStatementCommandInput,
  type ExecuteStatementCommandOutput,
  type Field,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

import { createDataApiClient, type DataApiClient } from '#shared/aws/data-api-client';
import type { DatabaseConfig } from '#shared/db/database';
import type { SqlDatabase } from '#shared/db/sql';
import { createSqlDatabase } from '#shared/db/sql-database';
import {
  startDataApiTestServer,
  TEST_CREDENTIALS,
  type DataApiAnswer,
  type DataApiCall,
  type DataApiOperation,
  type DataApiTestServer,
} from './aws/data-api-test-server';

export interface DataApiOnPostgresOptions {
  /** Any postgres:// URL on the server; the request's `database` picks the database. */
  readonly serverUrl: string;
}

const TYPE_HINT_CASTS: Record<string, string> = {
  UUID: 'uuid',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  TIME: 'time',
  JSON: 'json',
  DECIMAL: 'numeric',
};

// Values come back from pg as PostgreSQL's text output; we encode them as the Data API would.
const rawText: pg.CustomTypesConfig = {
  getTypeParser: (() => (value: string) => value) as unknown as pg.CustomTypesConfig['getTypeParser'],
};

/** The four operations on PostgreSQL, with the SDK's input and output shapes. */
interface PostgresDataApi {
  beginTransaction(input: { database?: string }): Promise<{ transactionId: string }>;
  commitTransaction(input: { transactionId?: string }): Promise<{ transactionStatus: string }>;
  rollbackTransaction(input: { transactionId?: string }): Promise<{ transactionStatus: string }>;
  executeStatement(input: ExecuteStatementCommandInput): Promise<ExecuteStatementCommandOutput>;
  close(): Promise<void>;
}

function createPostgresDataApi(options: DataApiOnPostgresOptions): PostgresDataApi {
  const pools = new Map<string, pg.Pool>();
  const transactions = new Map<string, pg.Client>();
  const typeNames = new Map<number, string>();

  const connectionConfig = (database: string | undefined): pg.ClientConfig => {
    const url = new URL(options.serverUrl);
    if (database) url.pathname = `/${database}`;
    // The Data API's sessions run in UTC.
    return { connectionString: url.toString(), types: rawText, options: '-c TimeZone=UTC' };
  };
  const poolFor = (database: string | undefined): pg.Pool => {
    const key = database ?? '';
    let pool = pools.get(key);
    if (!pool) {
      pool = new pg.Pool({ ...connectionConfig(database), max: 4 });
      // An idle connection is cut when a test drops its scratch database; the next query reconnects.
      pool.on('error', () => undefined);
      pools.set(key, pool);
    }
    return pool;
  };

  const finish =
    (statement: 'commit' | 'rollback', status: string) => async (input: { transactionId?: string }) => {
      const connection = input.transactionId ? transactions.get(input.transactionId) : undefined;
      if (!connection) throw badRequest(`Transaction ${input.transactionId ?? ''} is not found`);
      transactions.delete(input.transactionId as string);
      try {
        await connection.query(statement);
      } finally {
        await connection.end();
      }
      return { transactionStatus: status };
    };

  async function typeNamesFor(
    result: pg.QueryResult,
    connection: pg.Client | pg.Pool,
  ): Promise<Map<number, string>> {
    const missing = result.fields.map((f) => f.dataTypeID).filter((oid) => !typeNames.has(oid));
    if (missing.length) {
      const { rows } = await connection.query<{ oid: string; typname: string }>(
        'select oid::text as oid, typname from pg_type where oid = any($1::oid[])',
        [missing],
      );
      for (const row of rows) typeNames.set(Number(row.oid), row.typname);
    }
    return typeNames;
  }

  return {
    async beginTransaction(input) {
      const connection = new pg.Client(connectionConfig(input.database));
      await connection.connect();
      await connection.query('begin');
      const transactionId = randomUUID();
      transactions.set(transactionId, connection);
      return { transactionId };
    },
    commitTransaction: finish('commit', 'Transaction Committed'),
    rollbackTransaction: finish('rollback', 'Rollback Complete'),
    async executeStatement(input) {
      if (!input.resourceArn || !input.secretArn || !input.sql)
        throw badRequest('resourceArn, secretArn and sql are required');
      const { text, values } = toPgQuery(input.sql, input.parameters ?? []);
      let connection: pg.Client | pg.Pool;
      if (input.transactionId) {
        const transaction = transactions.get(input.transactionId);
        if (!transaction) throw badRequest(`Transaction ${input.transactionId} is not found`);
        connection = transaction;
      } else {
        connection = poolFor(input.database);
      }
      let result: pg.QueryResult<unknown[]>;
      try {
        // Array rows keep duplicate column names apart, as the Data API's records do. The extended
        // protocol refuses several statements in one call, as the Data API does.
        result = await connection.query({
          text,
          values,
          rowMode: 'array',
          queryMode: 'extended',
        } as pg.QueryConfig);
      } catch (error) {
        throw fromPgError(error);
      }
      return toDataApiResult(
        result,
        input.includeResultMetadata ?? false,
        await typeNamesFor(result, connection),
      );
    },
    async close() {
      for (const connection of transactions.values()) await connection.end().catch(() => undefined);
      transactions.clear();
      for (const pool of pools.values()) await pool.end();
      pools.clear();
    },
  };
}

export interface DataApiOnPostgresServer {
  /** Our Data API client, signing with the server's keys; pass it to `createDatabase(…, { rdsData })`. */
  readonly client: DataApiClient;
  /** The loopback server: its URL, and every call it answered (`calls`), in order. */
  readonly server: DataApiTestServer;
  /** Ends the server and every connection (rolling back open transactions). */
  readonly close: () => Promise<void>;
}

export interface DataApiOnPostgresServerOptions extends DataApiOnPostgresOptions {
  /** Answers a call instead of PostgreSQL when it returns an answer (a failure to inject). */
  readonly intercept?: (index: number, call: DataApiCall) => DataApiAnswer | undefined;
}

/** The Data API on PostgreSQL at the wire level, with our client pointed at it. */
export async function startDataApiOnPostgres(
  options: DataApiOnPostgresServerOptions,
): Promise<DataApiOnPostgresServer> {
  const postgres = createPostgresDataApi(options);
  const run = (operation: DataApiOperation, body: Record<string, unknown>): Promise<unknown> => {
    switch (operation) {
      case 'BeginTransaction':
        return postgres.beginTransaction(body as { database?: string });
      case 'CommitTransaction':
        return postgres.commitTransaction(body as { transactionId?: string });
      case 'RollbackTransaction':
        return postgres.rollbackTransaction(body as { transactionId?: string });
      case 'ExecuteStatement':
        return postgres.executeStatement(fromWireStatement(body));
    }
  };
  const server = await startDataApiTestServer({
    answer: async (index, call) => {
      const injected = options.intercept?.(index, call);
      if (injected) return injected;
      try {
        return { status: 200, body: await run(call.operation, call.body) };
      } catch (error) {
        const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        if (status && e.name) return { status, errorType: e.name, body: { message: e.message } };
        return { status: 500, errorType: 'InternalServerErrorException', body: { message: String(error) } };
      }
    },
  });
  const client = createDataApiClient({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: () => TEST_CREDENTIALS,
    resumeRetry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
  return {
    client,
    server,
    close: async () => {
      await server.close();
      await postgres.close();
    },
  };
}

/** An ExecuteStatement body as the SDK would hand it over: blobs as bytes, doubles as numbers. */
function fromWireStatement(body: Record<string, unknown>): ExecuteStatementCommandInput {
  const input = body as unknown as ExecuteStatementCommandInput;
  const parameters = (input.parameters ?? []).map((parameter): SqlParameter => {
    const value = parameter.value as Record<string, unknown> | undefined;
    if (typeof value?.blobValue === 'string')
      return { ...parameter, value: { blobValue: Buffer.from(value.blobValue, 'base64') } };
    if (typeof value?.doubleValue === 'string')
      return { ...parameter, value: { doubleValue: Number(value.doubleValue) } };
    return parameter;
  });
  return { ...input, parameters };
}

/**
 * Rewrites `:name` placeholders to `$n` (skipping quoted strings, quoted identifiers,
 * dollar-quoted bodies, comments and `::` casts) and types each value as the Data API does.
 */
export function toPgQuery(
  sqlText: string,
  parameters: readonly SqlParameter[],
): { text: string; values: unknown[] } {
  const byName = new Map(parameters.map((p) => [p.name ?? '', p]));
  const indexes = new Map<string, number>();
  const values: unknown[] = [];
  let text = '';
  let i = 0;
  while (i < sqlText.length) {
    const rest = sqlText.slice(i);
    const skipped =
      /^'(?:[^']|'')*'/.exec(rest) ??
      /^"(?:[^"]|"")*"/.exec(rest) ??
      /^--[^\n]*/.exec(rest) ??
      /^\/\*[\s\S]*?\*\//.exec(rest) ??
      /^(\$[A-Za-z_]?[A-Za-z0-9_]*\$)[\s\S]*?\1/.exec(rest) ??
      /^::/.exec(rest);
    if (skipped) {
      text += skipped[0];
      i += skipped[0].length;
      continue;
    }
    const placeholder = /^:([A-Za-z0-9_]+)/.exec(rest);
    if (placeholder) {
      const name = placeholder[1] as string;
      const parameter = byName.get(name);
      if (!parameter) throw badRequest(`No value specified for parameter: ${name}`);
      let index = indexes.get(name);
      if (index === undefined) {
        values.push(toPgValue(parameter));
        index = values.length;
        indexes.set(name, index);
      }
      text += `$${index}${castFor(parameter)}`;
      i += placeholder[0].length;
      continue;
    }
    text += sqlText[i];
    i += 1;
  }
  return { text, values };
}

function castFor(parameter: SqlParameter): string {
  const value = parameter.value;
  if (!value || value.isNull) return '';
  if (value.stringValue !== undefined) {
    const hinted = parameter.typeHint ? TYPE_HINT_CASTS[parameter.typeHint] : undefined;
    return `::${hinted ?? 'varchar'}`;
  }
  if (value.longValue !== undefined) return '::int8';
  if (value.doubleValue !== undefined) return '::float8';
  if (value.booleanValue !== undefined) return '::bool';
  if (value.blobValue !== undefined) return '::bytea';
  return '';
}

function toPgValue(parameter: SqlParameter): unknown {
  const value = parameter.value;
  if (!value || value.isNull) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.longValue !== undefined) return String(value.longValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.booleanValue !== undefined) return value.booleanValue;
  if (value.blobValue !== undefined) return Buffer.from(value.blobValue);
  throw badRequest(`Unsupported parameter type for ${parameter.name ?? '?'} (arrays cannot be parameters)`);
}

/** The Data API's limits on a result: a row, and the whole response (bytes). */
export const DATA_API_ROW_LIMIT = 64 * 1024;
export const DATA_API_RESPONSE_LIMIT = 1024 * 1024;

/** Refuses a result Aurora's Data API would not return (its documented size limits). */
function checkResultSize(rows: readonly unknown[][]): void {
  let total = 0;
  for (const row of rows) {
    const bytes = row.reduce<number>(
      (sum, value) => sum + (value === null || value === undefined ? 0 : Buffer.byteLength(String(value))),
      0,
    );
    if (bytes > DATA_API_ROW_LIMIT)
      throw badRequest(`Packet for query is too large: a row of ${bytes} bytes (the limit is 64 KB a row)`);
    total += bytes;
    if (total > DATA_API_RESPONSE_LIMIT)
      throw badRequest('Database returned more than the allowed response size limit (1 MiB)');
  }
}

function toDataApiResult(
  result: pg.QueryResult<unknown[]>,
  includeResultMetadata: boolean,
  typeNames: Map<number, string>,
): ExecuteStatementCommandOutput {
  const $metadata = { httpStatusCode: 200 };
  checkResultSize(result.rows);
  if (!result.fields.length) {
    return { $metadata, numberOfRecordsUpdated: result.rowCount ?? 0, generatedFields: [] };
  }
  const columnTypes = result.fields.map((f) => typeNames.get(f.dataTypeID) ?? 'unknown');
  const records = result.rows.map((row) => row.map((value, c) => toField(value, columnTypes[c] as string)));
  const output: ExecuteStatementCommandOutput = {
    $metadata,
    numberOfRecordsUpdated: 0,
    records,
  };
  if (includeResultMetadata) {
    output.columnMetadata = result.fields.map((f, c): ColumnMetadata => ({
      name: f.name,
      label: f.name,
      typeName: columnTypes[c],
      type: f.dataTypeID,
    }));
  }
  return output;
}

function toField(value: unknown, typeName: string): Field {
  if (value === null || value === undefined) return { isNull: true };
  const textValue = String(value);
  switch (typeName) {
    case 'bool':
      return { booleanValue: textValue === 't' };
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return { longValue: Number(textValue) };
    case 'float4':
    case 'float8':
      return { doubleValue: Number(textValue) };
    case 'bytea':
      return { blobValue: Buffer.from(textValue.replace(/^\\x/, ''), 'hex') };
    case 'timestamptz':
      // The session is in UTC: drop the "+00" the text output carries.
      return { stringValue: textValue.replace(/\+00(:00)?$/, '') };
    default:
      if (typeName.startsWith('_')) return { arrayValue: { stringValues: parseTextArray(textValue) } };
      return { stringValue: textValue };
  }
}

function parseTextArray(text: string): string[] {
  const parseArray = pg.types.getTypeParser as unknown as (oid: number) => (value: string) => unknown;
  const parsed = parseArray(1009)(text); // text[]
  return (parsed as (string | null)[]).map((v) => v ?? '');
}

function badRequest(message: string): BadRequestException {
  return new BadRequestException({ message, $metadata: { httpStatusCode: 400 } });
}

function fromPgError(error: unknown): BadRequestException {
  const e = error as pg.DatabaseError;
  const hint = e.hint ? `\n  Hint: ${e.hint}` : '';
  const position = e.position ? `\n  Position: ${e.position}` : '';
  return badRequest(`ERROR: ${e.message}${hint}${position}; SQLState: ${e.code ?? 'XX000'}`);
}

/** The ARNs the Data API tests use (the loopback server accepts any). */
export const TEST_CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:parley';
export const TEST_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:parley-db-AbCdEf';

/** The `data-api` driver's configuration for a database on the test server (default: the suite's). */
export function dataApiTestConfig(
  database = new URL(inject('databaseUrl')).pathname.slice(1),
): Extract<DatabaseConfig, { DB_DRIVER: 'data-api' }> {
  return {
    DB_DRIVER: 'data-api',
    DB_CLUSTER_ARN: TEST_CLUSTER_ARN,
    DB_SECRET_ARN: TEST_SECRET_ARN,
    DB_NAME: database,
    AWS_REGION: 'eu-west-1',
  };
}

export interface SqlOnDataApi {
  /** The query layer (functions/shared/db/sql.ts) through the Data API; use it inside tests. */
  readonly db: () => SqlDatabase;
  /** The loopback Data API behind it, with every call it answered. */
  readonly dataApi: () => DataApiOnPostgresServer;
}

/**
 * The handlers' query layer on the Data API driver, played by this run's PostgreSQL, for one test
 * file: started before its tests and closed after them (call it at the top of the file, so its
 * `afterAll` runs after the file's own clean-up).
 */
export function sqlOnDataApi(): SqlOnDataApi {
  let server: DataApiOnPostgresServer | undefined;
  let db: SqlDatabase | undefined;
  beforeAll(async () => {
    server = await startDataApiOnPostgres({ serverUrl: inject('databaseUrl') });
    db = createSqlDatabase(dataApiTestConfig(), { rdsData: server.client });
  });
  afterAll(async () => {
    await db?.destroy();
    await server?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('sqlOnDataApi: used outside a test');
    return value;
  };
  return { db: () => started(db), dataApi: () => started(server) };
}
