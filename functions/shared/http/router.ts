import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';
import { NotFoundError } from '../errors';
import { cleanError } from '../loggable-error';
import { invocationScope, logger, publishMetrics } from '../powertools';
import { routeHandler } from './api-handler';
import { problemFor } from './problem';
import type { Route, RouteResult } from './route';
import type { ApiEvent, ApiResult } from './types';

export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;
export type StreamingRouteHandler = (event: ApiEvent, stream: Writable, context: Context) => Promise<void>;

/** The dispatch table of a group: by method and resource template, as API Gateway names them. */
function dispatcher<Deps>(routes: readonly Route<string, Deps>[], deps: () => Deps) {
  let built: Deps | undefined;
  const once = () => (built ??= deps());
  const table = new Map<string, (event: ApiEvent, context: Context) => Promise<RouteResult>>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (table.has(key)) throw new Error(`Two routes for ${key}`);
    table.set(key, routeHandler(route, once) as (event: ApiEvent, context: Context) => Promise<RouteResult>);
  }
  return async (event: ApiEvent, context: Context): Promise<RouteResult> => {
    const handler = table.get(`${event.httpMethod} ${event.resource}`);
    if (!handler) {
      const requestId = event.requestContext?.requestId ?? context.awsRequestId;
      return problemFor(new NotFoundError('No such route.'), requestId);
    }
    return handler(event, context);
  };
}

/**
 * The Lambda entry point of one handler group: API Gateway names the matched resource template
 * and method, so dispatch is a lookup. `deps` builds the group's use cases once, on the first
 * request that needs them; nothing but the group's routes is reachable.
 */
export function lambdaHandler<Deps>(routes: readonly Route<string, Deps>[], deps: () => Deps): RouteHandler {
  if (routes.some((r) => r.streaming))
    throw new Error(
      'A group with streaming routes needs streamingLambdaHandler (one invoke mode per function)',
    );
  const dispatch = dispatcher(routes, deps);
  return (event, context) =>
    invocationScope(async () => {
      const { stream: _stream, ...result } = await dispatch(event, context);
      return result;
    });
}

/**
 * The entry point of a group whose routes stream (API Gateway ResponseTransferMode.STREAM invokes
 * it with InvokeWithResponseStream): the status and headers go out first, then the body as the
 * route produces it. The function returns only when the route's work is done, even when the
 * client left early, so nothing is cut off by the runtime freezing.
 */
export function streamingLambdaHandler<Deps>(
  routes: readonly Route<string, Deps>[],
  deps: () => Deps,
): StreamingRouteHandler {
  if (routes.some((r) => !r.streaming))
    throw new Error('A streaming group holds streaming routes only (one invoke mode per function)');
  const dispatch = dispatcher(routes, deps);
  const invoke = async (event: ApiEvent, responseStream: Writable, context: Context) => {
    const { stream, body, statusCode, headers } = await dispatch(event, context);
    const out = awslambda.HttpResponseStream.from(responseStream, { statusCode, headers: headers ?? {} });
    let closed = false;
    out.on('error', () => (closed = true));
    out.on('close', () => (closed = true));
    // Destroyed (the client left) before its 'close' event has been emitted counts as closed.
    const open = () => !closed && !out.destroyed;
    const write = (chunk: string | Uint8Array) => {
      if (open() && !out.writableEnded) out.write(chunk);
    };
    const ready = () =>
      new Promise<boolean>((resolve) => {
        if (!open() || !out.writableNeedDrain) return resolve(open());
        const settle = () => {
          out.off('drain', settle);
          out.off('close', settle);
          resolve(open());
        };
        out.on('drain', settle);
        out.on('close', settle);
      });
    if (stream) {
      try {
        await stream(write, ready);
      } catch (error) {
        // The status went out already: the runtime cuts the response when the function fails.
        // It writes what it is thrown with every field (a database's failing row or key), so it
        // gets the error as a log line holds it.
        logger.error('response stream failed', { error: error as Error });
        throw cleanError(error);
      } finally {
        // Metrics recorded while streaming come after the middleware's flush.
        publishMetrics();
      }
    } else write(body);
    // Only this ends `out` (`write` never does), so it is still open to end here.
    await new Promise<void>((resolve) => {
      out.end(() => resolve());
      // A client that left never lets `end` call back: do not wait for it.
      if (!open()) resolve();
    });
    logger.debug('stream ended', { clientGone: !open() });
  };
  return awslambda.streamifyResponse((event: ApiEvent, responseStream: Writable, context: Context) =>
    invocationScope(() => invoke(event, responseStream, context)),
  ) as unknown as StreamingRouteHandler;
}
