import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { cleanError, loggableErrors } from './loggable-error';
import type { tracerMiddleware } from './tracing';

/** Where the Lambda runtime is in charge of invocation state (it scopes it itself). */
const inLambda = () => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

let invokeStore: Promise<{ run<T>(context: object, fn: () => T): T }> | undefined;
/**
 * The invoke store Powertools reads on every access (`globalThis.awslambda.InvokeStore`), made
 * ours: one context per `run`, kept in an AsyncLocalStorage, as Lambda's own store for many
 * invocations at once. Not the one `InvokeStore.getInstanceAsync` hands out: the first caller
 * decides that one for the whole process, and the AWS SDK (its recursion-detection middleware)
 * asks for it on its first call, before AWS_LAMBDA_MAX_CONCURRENCY is set, which makes it the
 * single-invocation store. That store's `run` sets one process-wide context and never restores
 * it, so requests served at once would log with each other's keys, and everything after the first
 * request would run inside its context. Only used outside Lambda.
 */
function ensureInvokeStore() {
  invokeStore ??= Promise.all([import('@aws/lambda-invoke-store'), import('node:async_hooks')]).then(
    ([{ InvokeStoreBase }, { AsyncLocalStorage }]) => {
      type Context = Record<string | symbol, unknown>;
      const contexts = new AsyncLocalStorage<Context>();
      class PerInvocationStore extends InvokeStoreBase {
        getContext(): Context | undefined {
          return contexts.getStore();
        }
        hasContext(): boolean {
          return contexts.getStore() !== undefined;
        }
        get<T = unknown>(key: string | symbol): T | undefined {
          return contexts.getStore()?.[key] as T | undefined;
        }
        set<T = unknown>(key: string | symbol, value: T): void {
          if (this.isProtectedKey(key))
            throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
          const context = contexts.getStore();
          if (!context) throw new Error('No context available');
          context[key] = value;
        }
        run<T>(context: Context, fn: () => T): T {
          return contexts.run(context, fn);
        }
      }
      const store = new PerInvocationStore();
      const scope = globalThis as { awslambda?: { InvokeStore?: unknown } };
      (scope.awslambda ??= {}).InvokeStore = store;
      // Read on every access by Powertools; set only once the store exists, or every log would throw.
      process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
      return store;
    },
  );
  return invokeStore;
}
// A process started by one that ran invocationScope inherits AWS_LAMBDA_MAX_CONCURRENCY, and
// Powertools throws on its first log unless the store exists: make it before anything logs.
if (!inLambda() && process.env.AWS_LAMBDA_MAX_CONCURRENCY) await ensureInvokeStore();

/**
 * Powertools, once per process. Service name and namespace come from POWERTOOLS_SERVICE_NAME and
 * POWERTOOLS_METRICS_NAMESPACE when set (the CDK app sets them per function). Errors are written
 * by an allow-list (loggable-error.ts), not with every field a dependency attached to them.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parley',
  jsonReplacerFn: loggableErrors,
});

/** Powertools' Metrics, saying whether what it records is ever published. */
export class ParleyMetrics extends Metrics {
  readonly #options: MetricsOptions;

  constructor(options: MetricsOptions = {}) {
    super(options);
    this.#options = options;
  }

  /** False where POWERTOOLS_METRICS_DISABLED (or POWERTOOLS_DEV) is on: the local server, tests. */
  get publishing(): boolean {
    return !this.isDisabled();
  }

  /**
   * Metrics of their own, for those an alarm reads under an exact dimension set: this namespace
   * and default dimensions (service, Stage) and none that a request adds (the API's `route`), to
   * be published with `publishMetrics` as one line. A CloudWatch alarm on a metric (not a Metrics
   * Insights query) matches its dimensions exactly, so the same value under [service, Stage,
   * route] never reaches it. Powertools' singleMetric() also leaves them out, but publishes each
   * metric on a line of its own as it is added, before any metadata.
   */
  apart(): ParleyMetrics {
    return new ParleyMetrics(this.#options);
  }
}

/**
 * Every metric carries its stage (`Stage`, as the access-log metric filters name it): stages may
 * share an account and region, and the alarms read their own stage only, so a dev deployment's
 * lockouts or slow model never page for production.
 */
export const metrics = new ParleyMetrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Parley',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parley',
  ...(process.env.STAGE ? { defaultDimensions: { Stage: process.env.STAGE } } : {}),
});

export { MetricUnit };

/**
 * Publishes the metrics this invocation recorded, as one EMF line; nothing when it recorded none.
 * Powertools' own publishStoredMetrics warns "No application metrics to publish" on every empty
 * flush, which for routes that record none would be a warning line per request.
 */
export function publishMetrics(target: Metrics = metrics): void {
  if (target.hasStoredMetrics()) target.publishStoredMetrics();
}

/** Where Powertools' middlewares find a cleanup to run when another one returns early. */
const METRICS_CLEANUP_KEY = 'powertools-for-aws.metrics';

/**
 * Middy middleware for the API: the cold-start metric once per process (its own EMF line), then
 * what the invocation recorded, published after it (answer or error) by `publishMetrics`.
 */
export function metricsMiddleware(target: Metrics = metrics): middy.MiddlewareObj {
  const flush = () => publishMetrics(target);
  return {
    before: (request) => {
      target.captureColdStartMetric(request.context.functionName);
      request.internal = { ...request.internal, [METRICS_CLEANUP_KEY]: flush };
    },
    after: flush,
    onError: flush,
  };
}

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
  return (await ensureInvokeStore()).run({}, fn);
}

/**
 * The entry of a function that serves no API route (the Cognito triggers, the sign-in activity
 * subscription, the migrations): its log lines name the invocation, as the API's do (Lambda's
 * request id, the function's name, version and ARN, cold start), so a "sign-in blocked" line can
 * be found from the invocation that wrote it and the other way round. Without it they name none:
 * Powertools writes to stdout itself, where the runtime adds nothing. Outside Lambda each
 * invocation has its own context (invocationScope). A call without a context (a test calling the
 * handler directly) logs without one.
 *
 * A failure still fails the invocation (a retry, a failed deployment), but as `cleanError` makes
 * it: the Lambda runtime writes a thrown error with its raw message, its stack and every
 * enumerable field to the log ("Invoke Error"), to X-Ray and into the invocation's answer, which a
 * CloudFormation custom resource shows as its failure reason; a database error's message and
 * fields quote the failing row or the colliding key.
 */
export function withInvocationContext<Event, Result>(
  handler: (event: Event, context?: Context) => Promise<Result>,
  target: Logger = logger,
): (event: Event, context?: Context) => Promise<Result> {
  return (event, context) =>
    invocationScope(async () => {
      if (context) target.addContext(context);
      try {
        return await handler(event, context);
      } catch (error) {
        throw cleanError(error);
      }
    });
}

/**
 * X-Ray tracing, loaded only where it can work: in Lambda with tracing on. Loading the X-Ray SDK
 * enables async hooks that slow every await in the process even when nothing is traced, so the
 * local server and the tests never load it.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && env.POWERTOOLS_TRACE_ENABLED !== 'false';
}

interface TracingModule {
  readonly tracerMiddleware: typeof tracerMiddleware;
}

/**
 * The tracer module (./tracing.ts). A Lambda bundle has it as a file beside itself, built with the
 * same options (LAMBDA_CHUNKS in lib/constructs/bundling-options.ts): imported by a path esbuild
 * does not follow, so the X-Ray SDK stays out of index.mjs. Elsewhere, the source module.
 */
async function importTracing(): Promise<TracingModule> {
  if (process.env.PARLEY_BUNDLE !== 'lambda') return import('./tracing');
  const chunk = new URL('./tracing.mjs', import.meta.url).href;
  return (await import(chunk)) as TracingModule;
}

/** Middy middleware that traces the handler (Powertools Tracer): none when tracing is off. */
export function tracing(): middy.MiddlewareObj[] {
  if (!tracingEnabled()) return [];
  // Loading starts now, at init (routes are built at import), and each request waits for it.
  const loading = importTracing().then(({ tracerMiddleware }) =>
    tracerMiddleware(process.env.POWERTOOLS_SERVICE_NAME ?? 'parley'),
  );
  // A failed load fails the requests that wait for it, not the process at init.
  loading.catch(() => {});
  const load = () => loading;
  return [
    {
      name: 'tracing',
      before: async (request) => (await load()).before?.(request),
      after: async (request) => (await load()).after?.(request),
      onError: async (request) => (await load()).onError?.(request),
    },
  ];
}
