import type { FetchHeaders } from './node-fetch';
import { NETWORK_CODES } from '../db/unavailable';

/**
 * The AWS SDK's standard retry mode (@smithy/core/retry, 2026 defaults), shared by our AWS
 * clients on `fetch` (data-api-client.ts, aws-json-client.ts): which errors it retries, how long
 * it waits (full jitter), and the retry capacity a client's calls share, so that a failing
 * service is not hammered by every caller's retries. Also how the SDK names an error answer.
 */

export interface RetryMetadata {
  httpStatusCode?: number;
  requestId?: string;
  /** Requests sent, retries included. */
  attempts?: number;
  /** Milliseconds slept between attempts. */
  totalRetryDelay?: number;
}

const THROTTLING_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

export type RetryKind = 'throttling' | 'transient' | 'final';

/** How the standard mode treats an error: retried as throttling, as transient, or not at all. */
export function retryKindOf(error: unknown): RetryKind {
  if (typeof error !== 'object' || error === null) return 'final';
  const { name, code, $metadata } = error as { name?: unknown; code?: unknown; $metadata?: RetryMetadata };
  const status = $metadata?.httpStatusCode;
  if (status === 429 || (typeof name === 'string' && THROTTLING_NAMES.has(name))) return 'throttling';
  if (
    (typeof name === 'string' && TRANSIENT_NAMES.has(name)) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (status !== undefined && TRANSIENT_STATUS.has(status))
  )
    return 'transient';
  return 'final';
}

// Base delays, delay cap, retry capacity and its costs.
const BASE_DELAY_MS = 50;
const THROTTLING_BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 20_000;
const INITIAL_CAPACITY = 500;
const RETRY_COST = 14;
const THROTTLING_RETRY_COST = 5;
const NO_RETRY_INCREMENT = 1;

/** One client's retry capacity; `retryAfter` decides each retry, `succeeded` refills. */
export interface RetryQuota {
  /**
   * The delay before retry number `retries + 1` of a call that failed with `error`, or undefined
   * when it is not retried (not retryable, `maxAttempts` reached, or the capacity spent).
   */
  retryAfter(
    error: unknown,
    retries: number,
    maxAttempts: number,
    random: () => number,
  ): { readonly delay: number; readonly cost: number } | undefined;
  /** A call succeeded; `lastCost` is what its last retry cost (undefined: it took no retry). */
  succeeded(lastCost: number | undefined): void;
}

export function createRetryQuota(): RetryQuota {
  let capacity = INITIAL_CAPACITY;
  return {
    retryAfter(error, retries, maxAttempts, random) {
      const kind = retryKindOf(error);
      const cost = kind === 'throttling' ? THROTTLING_RETRY_COST : RETRY_COST;
      if (kind === 'final' || retries + 1 >= maxAttempts || capacity < cost) return undefined;
      const base = kind === 'throttling' ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
      capacity -= cost;
      return { delay: Math.floor(random() * Math.min(base * 2 ** retries, MAX_DELAY_MS)), cost };
    },
    succeeded(lastCost) {
      capacity = Math.min(INITIAL_CAPACITY, capacity + (lastCost ?? NO_RETRY_INCREMENT));
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Puts the attempt count and the time slept on an error's `$metadata`, as the SDK does. */
export function withAttempts(error: unknown, attempts: number, totalRetryDelay: number): unknown {
  if (typeof error === 'object' && error !== null) {
    const withMetadata = error as { $metadata?: RetryMetadata };
    if (withMetadata.$metadata)
      withMetadata.$metadata = { ...withMetadata.$metadata, attempts, totalRetryDelay };
  }
  return error;
}

export interface RetryLoopOptions {
  readonly quota: RetryQuota;
  readonly maxAttempts: number;
  readonly random: () => number;
  /** The caller's own signal: once it has fired, a failure is not retried. */
  readonly signal?: AbortSignal;
  /**
   * Retries outside the standard mode (the Data API while Aurora resumes): the delay before the
   * next attempt, null to give up, or undefined to leave the error to the standard mode.
   */
  readonly extraRetry?: (error: unknown) => number | null | undefined;
}

/**
 * Runs `attempt` until it succeeds or the retries end, as the SDK's standard mode does: the
 * quota decides each retry and its delay, a success refills it, and the error given up on
 * carries the attempts and the time slept (`withAttempts`).
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: RetryLoopOptions,
): Promise<{ readonly value: T; readonly attempts: number; readonly totalRetryDelay: number }> {
  const { quota, maxAttempts, random, signal, extraRetry } = options;
  let attempts = 1;
  let retries = 0;
  let totalRetryDelay = 0;
  let lastCost: number | undefined;
  for (;;) {
    try {
      const value = await attempt();
      quota.succeeded(lastCost);
      return { value, attempts, totalRetryDelay };
    } catch (error) {
      let delay = extraRetry?.(error);
      if (delay === null) throw withAttempts(error, attempts, totalRetryDelay);
      if (delay === undefined) {
        const next = signal?.aborted ? undefined : quota.retryAfter(error, retries, maxAttempts, random);
        if (!next) throw withAttempts(error, attempts, totalRetryDelay);
        delay = next.delay;
        lastCost = next.cost;
        retries += 1;
      }
      attempts += 1;
      totalRetryDelay += delay;
      await sleep(delay);
    }
  }
}

// --- Error answers -----------------------------------------------------------------------------------

export const stringOrNumber = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * The exception type of an error answer, where the SDK's JSON protocols (REST-JSON, awsJson1.0
 * and 1.1) look for it: the x-amzn-ErrorType header, else the body's `code`, else its `__type`;
 * without what follows ':' and what precedes '#' ("aws.protocoltests#FooError:http://…" is FooError).
 */
export function errorTypeOf(headers: FetchHeaders, data: unknown): string | undefined {
  const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const raw = headers.get('x-amzn-errortype') ?? stringOrNumber(body.code) ?? stringOrNumber(body.__type);
  if (raw === undefined) return undefined;
  let type = raw.split(',')[0] as string;
  type = type.split(':')[0] as string;
  if (type.includes('#')) type = type.split('#')[1] as string;
  return type || undefined;
}

/** Undici's socket errors, as the socket error codes the retry and the 503 mapping know. */
const UNDICI_CODES: Record<string, string> = {
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CLOSED: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
};

/**
 * What a failed `fetch` says about the network: a timeout (its signal fired), or a socket error
 * code. fetch rejects with TypeError('fetch failed' or 'terminated') and the socket error as
 * cause; undici gives its socket errors a code, so one without a code is rare: treat it as a
 * reset (retried) rather than as a broken request.
 */
export function fetchFailure(error: unknown): { timedOut: boolean; code: string; detail: string } {
  const e = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return { timedOut: true, code: 'ETIMEDOUT', detail: 'timeout' };
  const causeCode = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const code = causeCode ? (UNDICI_CODES[causeCode] ?? causeCode) : 'ECONNRESET';
  const detail = typeof e?.cause?.message === 'string' ? e.cause.message : String(e?.message ?? error);
  return { timedOut: false, code, detail };
}
