import type middy from '@middy/core';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable';
import { DomainError } from '../errors';
import { logger, metrics, MetricUnit } from '../powertools';
import { problemFor } from './problem';
import type { ApiEvent, ApiResult } from './types';

/**
 * Maps any error to problem+json; logs server errors in full, client errors briefly. A database
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
  // Only a domain error answers below 500; one that is shown (an exposed 503) is a refusal too.
  if (error instanceof DomainError && (response.statusCode < 500 || error.expose)) {
    logger.info('Request refused', { status: response.statusCode, reason: error.constructor.name });
  } else {
    logger.error('Request failed', { error: error as Error, requestId });
    metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
  }
  return response;
}
