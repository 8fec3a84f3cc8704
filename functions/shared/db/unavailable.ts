import { ServiceUnavailableError } from '../errors';

/**
 * Seconds a client should wait when the database cannot be reached. A PostgreSQL restart or an
 * Aurora failover is over in seconds; the pool reconnects on the next request by itself.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Socket errors that mean "the server is not reachable right now", not "the query is wrong". */
export const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 53300 too many
 * connections, 57P01-57P03 shutdown / crash / cannot connect now (a restart in progress).
 */
const UNAVAILABLE_SQLSTATE = /^(08\w{3}|53300|57P0[1-3])$/;

/** Messages node-postgres gives when the socket goes away or a connection cannot be made in time. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
];

/**
 * Data API answers while Aurora is paused, failing over or overloaded. TransactionNotFoundException
 * is a transaction the service rolled back (failover, resume, its 3-minute idle limit); the
 * client renames it when a retried commit may have committed (data-api-client.ts).
 */
const DATA_API_UNAVAILABLE = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'TransactionNotFoundException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
]);

/**
 * HTTP statuses of the Data API's front door that mean "not now" whatever the body says: a load
 * balancer's 502/504 page or a 503 arrives as HTML or empty, so the client can only name it
 * `UnknownError`; the status is what tells.
 */
const GATEWAY_UNAVAILABLE_STATUS = new Set([502, 503, 504]);

/**
 * True when an error says the database is unreachable (down, restarting, refusing connections)
 * rather than that a query failed. Looks through `cause` and AggregateError's `errors`, where
 * drivers put the socket error.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, name, message, cause, errors, $metadata } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (typeof name === 'string' && DATA_API_UNAVAILABLE.has(name)) return true;
  if (GATEWAY_UNAVAILABLE_STATUS.has($metadata?.httpStatusCode as number)) return true;
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m))) return true;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** The answer to give instead of a generic 500: 503 with Retry-After, no detail of the cause. */
export function databaseUnavailable(): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'The database is unavailable for a moment; try again shortly.',
    DATABASE_RETRY_AFTER_SECONDS,
  );
}
