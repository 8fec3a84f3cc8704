import type { Context } from 'aws-lambda';
import { NotFoundError } from '../errors';
import { routeHandler } from './api-handler';
import { problemFor } from './problem';
import type { Route } from './route';
import type { ApiEvent, ApiResult } from './types';

export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/**
 * The Lambda entry point of one handler group: API Gateway names the matched resource template
 * and method, so dispatch is a lookup. `deps` builds the group's use cases once, on the first
 * request that needs them; nothing but the group's routes is reachable.
 */
export function lambdaHandler<Deps>(routes: readonly Route<string, Deps>[], deps: () => Deps): RouteHandler {
  let built: Deps | undefined;
  const once = () => (built ??= deps());
  const table = new Map<string, RouteHandler>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (table.has(key)) throw new Error(`Two routes for ${key}`);
    table.set(key, routeHandler(route, once));
  }
  return async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    const handler = table.get(`${event.httpMethod} ${event.resource}`);
    if (!handler) {
      const requestId = event.requestContext?.requestId ?? context.awsRequestId;
      return problemFor(new NotFoundError('No such route.'), requestId);
    }
    return handler(event, context);
  };
}
