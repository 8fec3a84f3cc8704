/**
 * What the bench sections share: a scratch database of their own, the handlers' environment with a
 * test token issuer, REST proxy events, and bounded measuring loops with percentiles.
 * Nothing here imports vitest, so it runs under plain `node --import tsx`.
 */
import { callerEnv } from './quiet';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ServerResponse } from 'node:http';
import { lambdaContext } from '../bin/local/gateway';
import {
  installLambdaStreamingGlobals,
  invokeStreaming,
  type StreamingHandler,
} from '../bin/local/streaming';
import { resetConfig } from '#shared/config';
import { createDatabase } from '#shared/db/database';
import { migrateToLatest } from '#shared/db/migrator';
import type { ApiEvent } from '#shared/http/types';
import { proxyEvent as testProxyEvent, trustIssuer, type CallInput } from '../test/support/api-event';
import { createTestIssuer, type TestIssuer } from '../test/support/tokens';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const WEB_ORIGIN = 'https://chat.example.test';

/** The PostgreSQL server the bench uses (DATABASE_URL); only loopback addresses are accepted. */
export function benchServerUrl(): string {
  const url = callerEnv.DATABASE_URL || DEFAULT_DATABASE_URL;
  assertLoopback(url, 'DATABASE_URL');
  return url;
}

/** REDIS_URL when set (loopback only); the bench never starts a cache of its own. */
export function benchRedisUrl(): string | undefined {
  const url = callerEnv.REDIS_URL || undefined;
  if (url) assertLoopback(url, 'REDIS_URL');
  return url;
}

function assertLoopback(url: string, name: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host))
    throw new Error(`${name} must point at 127.0.0.1: the bench sends traffic to loopback only`);
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** A new, migrated database on the server (parley_bench_<pid>_<hex>), as the tests make theirs. */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const serverUrl = benchServerUrl();
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const scratch: ScratchDatabase = {
    url: url.toString(),
    name,
    drop: () =>
      withClient(serverUrl, (c) =>
        c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`),
      ).then(() => undefined),
  };
  const db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    await scratch.drop();
    throw error;
  } finally {
    await db.destroy().catch(() => undefined);
  }
  return scratch;
}

/**
 * The environment the handlers read at cold start, as test/support/api.ts sets it for the tests,
 * and a verifier that trusts the returned issuer. Call before the handlers' first request.
 */
export function setUpBenchEnvironment(
  databaseUrl: string,
  overrides: Record<string, string> = {},
): TestIssuer {
  const issuer = createTestIssuer();
  const redisUrl = benchRedisUrl();
  delete process.env.REDIS_URL;
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: databaseUrl,
    COGNITO_USER_POOL_ID: issuer.userPoolId,
    COGNITO_CLIENT_IDS: issuer.clientId,
    COGNITO_ENDPOINT: 'http://127.0.0.1:1',
    WEB_ORIGIN,
    MAX_BODY_BYTES: '65536',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...overrides,
  });
  resetConfig();
  trustIssuer(issuer);
  return issuer;
}

/** An access token of `issuer` for user `id` in the `members` group. */
export const memberToken = (issuer: TestIssuer, id: string) =>
  issuer.accessToken({ sub: id, username: `${id}@example.test`, 'cognito:groups': ['members'] });

export type RequestInput = CallInput;

/** The REST proxy event API Gateway would send for this request, from the web's origin. */
export function proxyEvent(input: RequestInput): ApiEvent {
  return testProxyEvent({ ...input, headers: { Origin: WEB_ORIGIN, ...(input.headers ?? {}) } });
}

type ProxyHandler = (
  event: ApiEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

/** Calls a (non-streaming) handler as API Gateway would; throws unless the status is `expect`. */
export async function invoke(handler: ProxyHandler, input: RequestInput, expect = 200): Promise<string> {
  const event = proxyEvent(input);
  const result = await handler(event, lambdaContext('bench', event.requestContext.requestId));
  if (result.statusCode !== expect)
    throw new Error(`${input.method} ${input.path}: ${result.statusCode} ${result.body.slice(0, 300)}`);
  return result.body;
}

/**
 * Calls a streaming handler as API Gateway's STREAM mode would, reading the whole body in memory
 * (no socket: the figure is the function's); throws unless the status is `expect`.
 */
export async function invokeStreamed(handler: unknown, input: RequestInput, expect = 200): Promise<string> {
  installLambdaStreamingGlobals();
  const event = proxyEvent(input);
  let status = 0;
  const chunks: Buffer[] = [];
  // What LocalResponseStream uses of an HTTP response.
  const res = {
    headersSent: false,
    writeHead(code: number) {
      status = code;
      res.headersSent = true;
    },
    flushHeaders() {},
    write(chunk: Buffer, done: () => void) {
      chunks.push(chunk);
      done();
      return true;
    },
    end(done: () => void) {
      done();
    },
  };
  await invokeStreaming(
    handler as StreamingHandler,
    event,
    res as unknown as ServerResponse,
    lambdaContext('bench', event.requestContext.requestId),
  );
  const body = Buffer.concat(chunks).toString('utf8');
  if (status !== expect) throw new Error(`${input.method} ${input.path}: ${status} ${body.slice(0, 300)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentile (p in 0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** Milliseconds, rounded to 0.01 for the JSON line. */
export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export const roundSummary = (s: Summary): Summary => ({
  n: s.n,
  p50: round(s.p50),
  p95: round(s.p95),
  min: round(s.min),
  max: round(s.max),
});

/**
 * Runs `fn` up to `count` times (after `warmup` unrecorded runs), stopping early once `budgetMs`
 * has passed: every loop of the bench is bounded in count and in time.
 */
export async function bounded<T>(
  options: { count: number; budgetMs: number; warmup?: number },
  fn: (index: number) => Promise<T>,
): Promise<T[]> {
  const deadline = performance.now() + options.budgetMs;
  for (let i = 0; i < (options.warmup ?? 0) && performance.now() < deadline; i++) await fn(-1 - i);
  const results: T[] = [];
  for (let i = 0; i < options.count && performance.now() < deadline; i++) results.push(await fn(i));
  return results;
}

/** Times `fn` in milliseconds, `bounded` as above. */
export async function timed(
  options: { count: number; budgetMs: number; warmup?: number },
  fn: (index: number) => Promise<unknown>,
): Promise<number[]> {
  return bounded(options, async (i) => {
    const start = performance.now();
    await fn(i);
    return performance.now() - start;
  });
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function printTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): void {
  const cells = [headers, ...rows].map((row) =>
    row.map((cell) => (typeof cell === 'number' ? (Number.isFinite(cell) ? cell.toFixed(2) : '–') : cell)),
  );
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  for (const [r, row] of cells.entries()) {
    console.log(
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    );
    if (r === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
