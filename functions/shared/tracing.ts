import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';
import { cleanError } from './loggable-error';

/**
 * X-Ray through the Powertools Tracer, which loads the X-Ray SDK. Imported only by `tracing()` in
 * powertools.ts, when tracing is on. The Lambda bundles build this module as a file of its own,
 * `tracing.mjs` beside `index.mjs` (LAMBDA_CHUNKS in lib/constructs/bundling-options.ts), so a
 * function pays for the SDK only when it traces, and never at import.
 */
let tracer: Tracer | undefined;

/** The handler's middleware; one Tracer per process, so only the first invocation is a cold start. */
export function tracerMiddleware(serviceName: string): middy.MiddlewareObj {
  tracer ??= new Tracer({ serviceName });
  const traced = captureLambdaHandler(tracer, { captureResponse: false });
  return {
    ...traced,
    // X-Ray keeps the error's message and frames, and a database error's message may quote the
    // failing row or the colliding key (the Data API writes the server's Detail into it): the trace
    // gets the error as a log line holds it. The request itself keeps the original.
    onError: (request) => traced.onError?.({ ...request, error: cleanError(request.error) }),
  };
}
