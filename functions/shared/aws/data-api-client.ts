import { serviceEndpoint } from './endpoint';
import { nodeFetch, type Fetch } from './node-fetch';
import { fromLambdaEnvironment } from './lambda-credentials';
import { type AwsCredentials } from './sigv4';
import { errorAnswer, signedJsonPost } from './signed-json-post';
import { createRetryQuota, withRetries } from './standard-retry';

/**
 * A client of the RDS Data API (REST-JSON, SigV4) for the four operations kysely-data-api calls,
 * on `node:https` (node-fetch.ts): what the Lambda functions use instead of @aws-sdk/client-rds-data, whose
 * middleware stack was the largest part of their cold start. It sends and returns what the SDK
 * client sends and returns for those operations (blobs as base64 on the wire and Uint8Array in
 * JS, errors named after the service's exception type), and retries as the SDK's standard mode
 * does (3 attempts, backoff with jitter, on throttling, 5xx and network errors), plus the retries
 * that wait for Aurora to resume from zero capacity (DatabaseResumingException).
 */

// --- The service's shapes, as far as these operations use them ----------------------------------

/** An array column's value: one member is set; its lists are sparse (a NULL element is null). */
export interface ArrayValue {
  booleanValues?: (boolean | null)[];
  longValues?: (number | null)[];
  doubleValues?: (number | null)[];
  stringValues?: (string | null)[];
  arrayValues?: (ArrayValue | null)[];
}

/** One value from the service (records, generatedFields): a union, exactly one member is set. */
export interface Field {
  isNull?: boolean;
  booleanValue?: boolean;
  longValue?: number;
  doubleValue?: number;
  stringValue?: string;
  blobValue?: Uint8Array;
  arrayValue?: ArrayValue;
}

/** Exactly one of T's members (the SDK types its unions so, which lets it accept this type). */
type OneOf<T> = {
  [K in keyof T]: { [P in K]: T[P] } & { [P in Exclude<keyof T, K>]?: never };
}[keyof T];

/** A parameter's value (the service takes no arrays as parameters). */
export type ParameterValue = OneOf<{
  isNull: boolean;
  booleanValue: boolean;
  longValue: number;
  doubleValue: number;
  stringValue: string;
  blobValue: Uint8Array;
}>;

/** How the service casts a string parameter. */
export type TypeHint = 'DATE' | 'DECIMAL' | 'JSON' | 'TIME' | 'TIMESTAMP' | 'UUID';

export interface SqlParameter {
  name?: string;
  value?: ParameterValue;
  typeHint?: TypeHint;
}

export interface ColumnMetadata {
  name?: string;
  type?: number;
  typeName?: string;
  label?: string;
  schemaName?: string;
  tableName?: string;
  isAutoIncrement?: boolean;
  isSigned?: boolean;
  isCurrency?: boolean;
  isCaseSensitive?: boolean;
  nullable?: number;
  precision?: number;
  scale?: number;
  arrayBaseColumnType?: number;
}

export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  /** Requests sent, retries included. */
  attempts?: number;
  /** Milliseconds slept between attempts. */
  totalRetryDelay?: number;
}

export interface ExecuteStatementInput {
  resourceArn: string | undefined;
  secretArn: string | undefined;
  sql: string | undefined;
  database?: string;
  schema?: string;
  parameters?: SqlParameter[];
  transactionId?: string;
  includeResultMetadata?: boolean;
  continueAfterTimeout?: boolean;
  resultSetOptions?: { decimalReturnType?: 'DOUBLE_OR_LONG' | 'STRING'; longReturnType?: 'LONG' | 'STRING' };
  formatRecordsAs?: 'JSON' | 'NONE';
}

export interface ExecuteStatementOutput {
  records?: Field[][];
  columnMetadata?: ColumnMetadata[];
  numberOfRecordsUpdated?: number;
  generatedFields?: Field[];
  formattedRecords?: string;
  $metadata: ResponseMetadata;
}

export interface BeginTransactionInput {
  resourceArn: string | undefined;
  secretArn: string | undefined;
  database?: string;
  schema?: string;
}

export interface BeginTransactionOutput {
  transactionId?: string;
  $metadata: ResponseMetadata;
}

export interface EndTransactionInput {
  resourceArn: string | undefined;
  secretArn: string | undefined;
  transactionId: string | undefined;
}

export interface EndTransactionOutput {
  transactionStatus?: string;
  $metadata: ResponseMetadata;
}

/**
 * What kysely-data-api calls: the SDK's RDSData client has these methods (tests inject one,
 * stubbed with aws-sdk-client-mock), and so does the client made by `createDataApiClient`.
 */
export interface DataApiClient {
  executeStatement(input: ExecuteStatementInput): Promise<ExecuteStatementOutput>;
  beginTransaction(input: BeginTransactionInput): Promise<BeginTransactionOutput>;
  commitTransaction(input: EndTransactionInput): Promise<EndTransactionOutput>;
  rollbackTransaction(input: EndTransactionInput): Promise<EndTransactionOutput>;
}

// --- Errors ----------------------------------------------------------------------------------------

/**
 * An error answer of the service. `name` is the exception type (e.g. 'BadRequestException',
 * 'DatabaseResumingException'), as on the SDK's exceptions; `message` is the service's.
 */
export class DataApiServiceError extends Error {
  readonly $fault: 'client' | 'server';
  $metadata: ResponseMetadata;
  /** StatementTimeoutException only: the connection the statement ran on. */
  readonly dbConnectionId?: number;

  constructor(name: string, message: string, status: number, requestId: string | undefined, extra?: number) {
    super(message);
    this.name = name;
    this.$fault = status < 500 ? 'client' : 'server';
    this.$metadata = { httpStatusCode: status, requestId };
    if (extra !== undefined) this.dbConnectionId = extra;
  }
}

/** The request never got an answer: connection refused or cut, DNS failure, timeout. */
export class DataApiNetworkError extends Error {
  /** A socket error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT, …), which callers check. */
  readonly code: string;
  $metadata: ResponseMetadata = {};

  constructor(message: string, code: string, cause: unknown, name = 'Error') {
    super(message, { cause });
    this.name = name;
    this.code = code;
  }
}

/**
 * A commit's error, unless its outcome is unknown. TransactionNotFoundException means the
 * service no longer has the transaction: rolled back by a failover, a resume or its 3-minute idle
 * limit (the database was unavailable; the work can be tried again), or already committed. After
 * a retried commit (the first attempt's answer lost to a cut or a 5xx), it is likely the second:
 * that error is renamed CommitOutcomeUnknown, which is not counted as unavailable, so no caller
 * runs the work again and stores it twice.
 */
function commitOutcome(error: unknown): unknown {
  if (!(error instanceof DataApiServiceError) || error.name !== 'TransactionNotFoundException') return error;
  if ((error.$metadata.attempts ?? 1) < 2) return error;
  const unknown = new DataApiServiceError(
    'CommitOutcomeUnknown',
    `Commit retried: may have been committed`,
    400,
    '',
  );
  unknown.$metadata = error.$metadata;
  return unknown;
}

/** True for the error Aurora gives while it resumes from zero capacity (the call did not run). */
export function isDatabaseResuming(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'DatabaseResumingException'
  );
}

// --- The client ------------------------------------------------------------------------------------

export interface ResumeRetryOptions {
  /** Give up once the next retry would start this long after the first attempt. @default 45_000 */
  readonly maxElapsedMs?: number;
  /** Delay cap before the first resume retry; doubles after each. @default 500 */
  readonly baseDelayMs?: number;
  /** Largest delay between two resume retries. @default 8_000 */
  readonly maxDelayMs?: number;
}

export interface DataApiClientOptions {
  readonly region: string;
  /**
   * The service's URL. @default AWS_ENDPOINT_URL_RDS_DATA, else AWS_ENDPOINT_URL (the SDK's
   * settings, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), else https://rds-data.<region>.amazonaws.com
   */
  readonly endpoint?: string;
  /** @default the credentials Lambda puts in the environment, read on each request */
  readonly credentials?: () => AwsCredentials;
  /** Attempts for throttling, 5xx and network errors, the first included. @default 3 (the SDK's) */
  readonly maxAttempts?: number;
  /** Waiting for Aurora to resume (retries that do not count against `maxAttempts`). */
  readonly resumeRetry?: ResumeRetryOptions;
  /**
   * One request's time limit, connection included. @default 45_000 (the Data API ends a
   * synchronous statement at 45 s; a Lambda's own timeout is the outer bound)
   */
  readonly requestTimeoutMs?: number;
  /** For tests. @default Math.random */
  readonly random?: () => number;
  /** For tests. @default Date.now */
  readonly now?: () => number;
  /** For tests. @default nodeFetch (node-fetch.ts: node:https, not undici) */
  readonly fetch?: Fetch;
}

const SERVICE = 'rds-data';
export function defaultEndpoint(region: string, env: NodeJS.ProcessEnv = process.env): string {
  return serviceEndpoint(SERVICE, 'AWS_ENDPOINT_URL_RDS_DATA', region, env);
}

export function createDataApiClient(options: DataApiClientOptions): DataApiClient {
  const endpoint = new URL(options.endpoint ?? defaultEndpoint(options.region));
  const credentials = options.credentials ?? (() => fromLambdaEnvironment(process.env));
  const maxAttempts = options.maxAttempts ?? 3;
  const maxElapsedMs = options.resumeRetry?.maxElapsedMs ?? 45_000;
  const resumeBaseMs = options.resumeRetry?.baseDelayMs ?? 500;
  const resumeMaxMs = options.resumeRetry?.maxDelayMs ?? 8_000;
  const timeoutMs = options.requestTimeoutMs ?? 45_000;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? nodeFetch;
  // Shared by the client's calls, as the SDK's retry capacity is: a failing service is not
  // hammered by every caller's retries.
  const quota = createRetryQuota();

  async function attempt(
    path: string,
    body: string,
  ): Promise<{ status: number; data: unknown; requestId?: string }> {
    const answer = await signedJsonPost(
      {
        url: new URL(path, endpoint),
        headers: { 'content-type': 'application/json' },
        body,
        credentials: credentials(),
        region: options.region,
        service: SERVICE,
        timeoutMs,
        fetch: doFetch,
      },
      { subject: 'Data API', create: (...args) => new DataApiNetworkError(...args) },
    );
    const { status, requestId } = answer;
    if (status >= 300) {
      const { type, message } = errorAnswer(answer);
      const connectionId = answer.object?.dbConnectionId;
      throw new DataApiServiceError(
        type,
        message,
        status,
        requestId,
        typeof connectionId === 'number' ? connectionId : undefined,
      );
    }
    if (!answer.object) {
      throw new DataApiServiceError(
        'DeserializationError',
        `The Data API answered ${status} with a body that is not a JSON object: ${answer.text.slice(0, 200)}`,
        status,
        requestId,
      );
    }
    return { status, data: answer.object, requestId };
  }

  async function call(
    path: string,
    input: object,
  ): Promise<{ data: Record<string, unknown>; $metadata: ResponseMetadata }> {
    const body = JSON.stringify(input, jsonReplacer);
    const startedAt = now();
    let resumeRetries = 0;
    const { value, attempts, totalRetryDelay } = await withRetries(() => attempt(path, body), {
      quota,
      maxAttempts,
      random,
      // Not executed, so always safe to send again; Aurora takes up to ~15 s to resume.
      extraRetry: (error) => {
        if (!isDatabaseResuming(error)) return undefined;
        const cap = Math.min(resumeMaxMs, resumeBaseMs * 2 ** resumeRetries);
        const delay = Math.round(cap / 2 + random() * (cap / 2));
        if (now() - startedAt + delay > maxElapsedMs) return null;
        resumeRetries += 1;
        return delay;
      },
    });
    return {
      data: value.data as Record<string, unknown>,
      $metadata: { httpStatusCode: value.status, requestId: value.requestId, attempts, totalRetryDelay },
    };
  }

  return {
    async executeStatement(input) {
      const { data, $metadata } = await call('/Execute', {
        resourceArn: input.resourceArn,
        secretArn: input.secretArn,
        sql: input.sql,
        database: input.database,
        schema: input.schema,
        parameters: input.parameters,
        transactionId: input.transactionId,
        includeResultMetadata: input.includeResultMetadata,
        continueAfterTimeout: input.continueAfterTimeout,
        resultSetOptions: input.resultSetOptions,
        formatRecordsAs: input.formatRecordsAs,
      });
      const output: ExecuteStatementOutput = { $metadata };
      if (Array.isArray(data.records))
        output.records = data.records.map((row: unknown) => (Array.isArray(row) ? row.map(toField) : []));
      if (Array.isArray(data.columnMetadata))
        output.columnMetadata = data.columnMetadata.map(toColumnMetadata);
      if (typeof data.numberOfRecordsUpdated === 'number')
        output.numberOfRecordsUpdated = data.numberOfRecordsUpdated;
      if (Array.isArray(data.generatedFields)) output.generatedFields = data.generatedFields.map(toField);
      if (typeof data.formattedRecords === 'string') output.formattedRecords = data.formattedRecords;
      return output;
    },
    async beginTransaction(input) {
      const { data, $metadata } = await call('/BeginTransaction', {
        resourceArn: input.resourceArn,
        secretArn: input.secretArn,
        database: input.database,
        schema: input.schema,
      });
      return { ...stringMember(data, 'transactionId'), $metadata };
    },
    async commitTransaction(input) {
      try {
        return await endTransaction('/CommitTransaction', input);
      } catch (error) {
        throw commitOutcome(error);
      }
    },
    async rollbackTransaction(input) {
      return endTransaction('/RollbackTransaction', input);
    },
  };

  async function endTransaction(path: string, input: EndTransactionInput): Promise<EndTransactionOutput> {
    const { data, $metadata } = await call(path, {
      resourceArn: input.resourceArn,
      secretArn: input.secretArn,
      transactionId: input.transactionId,
    });
    return { ...stringMember(data, 'transactionStatus'), $metadata };
  }
}

// --- Serialisation ---------------------------------------------------------------------------------

/**
 * The SDK's JSON for values JSON has no form for: blobs as base64 (a Buffer would otherwise be
 * `{"type":"Buffer",…}`), non-finite doubles as "NaN", "Infinity", "-Infinity".
 */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the value before its toJSON (which Buffer has) ran.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array)
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

const toDouble = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  return undefined;
};

function toBlob(value: string): Uint8Array {
  const buffer = Buffer.from(value, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A Field from the wire: the member that is set, as the SDK gives it (blobs as Uint8Array). */
function toField(wire: unknown): Field {
  if (typeof wire !== 'object' || wire === null) return {};
  const w = wire as Record<string, unknown>;
  if (typeof w.isNull === 'boolean') return { isNull: w.isNull };
  if (typeof w.booleanValue === 'boolean') return { booleanValue: w.booleanValue };
  if (typeof w.longValue === 'number') return { longValue: w.longValue };
  const double = toDouble(w.doubleValue);
  if (double !== undefined) return { doubleValue: double };
  if (typeof w.stringValue === 'string') return { stringValue: w.stringValue };
  if (typeof w.blobValue === 'string') return { blobValue: toBlob(w.blobValue) };
  if (typeof w.arrayValue === 'object' && w.arrayValue !== null)
    return { arrayValue: toArrayValue(w.arrayValue) };
  return {};
}

function toArrayValue(wire: object): ArrayValue {
  const w = wire as Record<string, unknown>;
  // Sparse lists: null elements stay null, as the SDK keeps them.
  const list = <T>(value: unknown, item: (v: unknown) => T | undefined): (T | null)[] | undefined =>
    Array.isArray(value) ? value.map((v) => (v === null ? null : (item(v) ?? null))) : undefined;
  const booleanValues = list(w.booleanValues, (v) => (typeof v === 'boolean' ? v : undefined));
  if (booleanValues) return { booleanValues };
  const longValues = list(w.longValues, (v) => (typeof v === 'number' ? v : undefined));
  if (longValues) return { longValues };
  const doubleValues = list(w.doubleValues, toDouble);
  if (doubleValues) return { doubleValues };
  const stringValues = list(w.stringValues, (v) => (typeof v === 'string' ? v : undefined));
  if (stringValues) return { stringValues };
  const arrayValues = list(w.arrayValues, (v) =>
    typeof v === 'object' ? toArrayValue(v as object) : undefined,
  );
  if (arrayValues) return { arrayValues };
  return {};
}

const COLUMN_STRINGS = ['name', 'typeName', 'label', 'schemaName', 'tableName'] as const;
const COLUMN_NUMBERS = ['type', 'nullable', 'precision', 'scale', 'arrayBaseColumnType'] as const;
const COLUMN_BOOLEANS = ['isAutoIncrement', 'isSigned', 'isCurrency', 'isCaseSensitive'] as const;

function toColumnMetadata(wire: unknown): ColumnMetadata {
  const column: ColumnMetadata = {};
  if (typeof wire !== 'object' || wire === null) return column;
  const w = wire as Record<string, unknown>;
  for (const key of COLUMN_STRINGS) if (typeof w[key] === 'string') column[key] = w[key];
  for (const key of COLUMN_NUMBERS) if (typeof w[key] === 'number') column[key] = w[key];
  for (const key of COLUMN_BOOLEANS) if (typeof w[key] === 'boolean') column[key] = w[key];
  return column;
}

function stringMember<K extends string>(data: Record<string, unknown>, key: K): Partial<Record<K, string>> {
  const value = data[key];
  return typeof value === 'string' ? ({ [key]: value } as Partial<Record<K, string>>) : {};
}

// --- Errors from answers ---------------------------------------------------------------------------
