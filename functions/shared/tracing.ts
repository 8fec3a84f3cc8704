import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';

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
  return captureLambdaHandler(tracer, { captureResponse: false });
}
