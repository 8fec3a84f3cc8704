import type middy from '@middy/core';
import { DomainError } from '../errors';
import { logger, metrics, MetricUnit } from '../powertools';
import { problemFor } from './problem';
import type { ApiEvent, ApiResult } from './types';

/** Maps any error to problem+json; logs server errors in full, client errors briefly. */
export function errorHandler(): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'error-handler',
    onError: (request) => {
      const error = request.error;
      const requestId = request.event.parley?.requestId ?? request.context?.awsRequestId ?? 'unknown';
      const response = problemFor(error, requestId);
      if (response.statusCode >= 500 && !(error instanceof DomainError && error.expose)) {
        logger.error('Request failed', { error: error as Error, requestId });
        metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
      } else {
        logger.info('Request refused', {
          status: response.statusCode,
          reason: error instanceof Error ? error.constructor.name : typeof error,
        });
      }
      request.response = response;
    },
  };
}
