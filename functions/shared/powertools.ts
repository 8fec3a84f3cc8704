import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';

/**
 * Powertools, once per process. Service name and namespace come from POWERTOOLS_SERVICE_NAME and
 * POWERTOOLS_METRICS_NAMESPACE when set (the CDK app sets them per function).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parley' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Parley',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parley',
});

export { MetricUnit };

/** Where the Lambda runtime is in charge of invocation state (it scopes it itself). */
const inLambda = () => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

let invokeStore: Promise<{ run<T>(context: object, fn: () => T): T }> | undefined;

/**
 * Runs one invocation with its own logger keys, Lambda context and metrics. Powertools keeps that
 * state on the shared `logger` and `metrics`, which is right for Lambda's one invocation at a
 * time; a process serving many at once (the local server, tests, load) would mix one request's
 * `requestId` into another's log lines and erase it with the other's reset. So outside Lambda
 * this opts into Powertools' per-invocation state (AWS_LAMBDA_MAX_CONCURRENCY, as on a Lambda
 * Managed Instance) and runs `fn` in a fresh InvokeStore context (an AsyncLocalStorage). In
 * Lambda it only calls `fn`.
 */
export async function invocationScope<T>(fn: () => Promise<T>): Promise<T> {
  if (inLambda()) return fn();
  invokeStore ??= import('@aws/lambda-invoke-store').then(async ({ InvokeStore }) => {
    const store = await InvokeStore.getInstanceAsync(true);
    // Read on every access by Powertools; set only once the store exists, or every log would throw.
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
    return store;
  });
  return (await invokeStore).run({}, fn);
}

/**
 * X-Ray tracing, loaded only where it can work: in Lambda with tracing on. Loading the X-Ray SDK
 * enables async hooks that slow every await in the process even when nothing is traced, so the
 * local server and the tests never load it.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.POWERTOOLS_TRACE_ENABLED !== 'false';
}

/** Middy middleware that traces the handler (Powertools Tracer): none when tracing is off. */
export function tracing(): middy.MiddlewareObj[] {
  if (!tracingEnabled()) return [];
  let inner: middy.MiddlewareObj | undefined;
  const load = async (): Promise<middy.MiddlewareObj> => {
    if (inner) return inner;
    const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
      import('@aws-lambda-powertools/tracer'),
      import('@aws-lambda-powertools/tracer/middleware'),
    ]);
    inner = captureLambdaHandler(
      new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parley' }),
      {
        captureResponse: false,
      },
    );
    return inner;
  };
  return [
    {
      name: 'tracing',
      before: async (request) => (await load()).before?.(request),
      after: async (request) => (await load()).after?.(request),
      onError: async (request) => (await load()).onError?.(request),
    },
  ];
}
