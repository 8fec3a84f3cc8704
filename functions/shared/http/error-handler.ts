import type middy from '@middy/core';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable';
import { DomainError } from '../errors';
import { loggableErrorMessage, loggableMessage } from '../loggable-error';
import { logger, metrics, MetricUnit } from '../powertools';
import { problemFor } from './problem';
import type { ApiEvent, ApiResult } from './types';

/**
 * Maps any error to problem+json; logs server errors in full, client errors briefly, and a 5xx
 * that is shown (a moment to wait, such as 503 with Retry-After) as one WARN line with its cause
 * (name, message and code; no stack, no credentials). A database
 * that cannot be reached is a 503 with Retry-After (the request can be repeated as it is), never
 * a generic 500; the cause is logged, not shown.
 */
export function errorHandler(): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'error-handler',
    onError: (request) => {
      const error = request.error;
      const requestId = request.event.parley?.requestId ?? request.context?.awsRequestId ?? 'unknown';
      request.response = reportError(error, requestId);
    },
  };
}

/**
 * Logs an error as the API answers it (a refusal briefly, a failure in full with its metric) and
 * gives that answer. Also for a failure after a stream's status went out (its `error` event): it
 * must reach the logs and the alarms as a buffered answer's would.
 */
export function reportError(error: unknown, requestId: string): ApiResult {
  if (!(error instanceof DomainError) && isDatabaseUnavailable(error)) {
    logger.error('Database unavailable', { error: error as Error, requestId });
    metrics.addMetric('DatabaseUnavailable', MetricUnit.Count, 1);
    return problemFor(databaseUnavailable(), requestId);
  }
  const response = problemFor(error, requestId);
  // Only a domain error answers below 500; one that is shown (an exposed 503) is a refusal too,
  // but not the client's doing: its WARN line says why, or the operator sees 503s and no cause.
  if (error instanceof DomainError && response.statusCode < 500) {
    logger.info('Request refused', { status: response.statusCode, reason: error.constructor.name });
  } else if (error instanceof DomainError && error.expose) {
    logger.warn('Request refused', {
      status: response.statusCode,
      reason: error.constructor.name,
      detail: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
      requestId,
      ...(error.cause === undefined ? {} : { cause: errorSummary(error.cause) }),
    });
  } else {
    logger.error('Request failed', { error: error as Error, requestId });
    metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
  }
  return response;
}

/** What a log line may say of an error: its name, message and code, and those of its causes. */
export interface ErrorSummary {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly cause?: ErrorSummary;
}

/** Causes (and inner errors) followed at most: a cycle of causes must not loop. */
const MAX_CAUSES = 4;

/**
 * An error as a log line may hold it: name, message and code (no stack, no other fields: a
 * driver's error can carry its connection's settings), with the causes it wraps, any credentials
 * in a URL or a `password=`, a database's Detail, the values a data error quotes and the text a
 * JSON SyntaxError quotes cut out (loggableErrorMessage, as loggableError does). A message left empty (Node's AggregateError for a refused
 * connection) says the messages of the errors it holds, which name the addresses tried.
 */
export function errorSummary(error: unknown, depth = 0): ErrorSummary {
  if (typeof error !== 'object' || error === null)
    return { name: typeof error, message: loggableMessage(String(error)) };
  const { name, message, code, cause, errors } = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  let text = typeof message === 'string' ? message : '';
  if (!text && Array.isArray(errors) && depth < MAX_CAUSES)
    text = errors.map((inner) => errorSummary(inner, depth + 1).message).join('; ');
  const named = typeof name === 'string' ? name : (error.constructor?.name ?? 'Object');
  return {
    name: named,
    message: loggableErrorMessage(named, text, typeof code === 'string' ? code : undefined),
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    ...(cause !== undefined && depth < MAX_CAUSES ? { cause: errorSummary(cause, depth + 1) } : {}),
  };
}
