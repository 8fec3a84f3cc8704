import type { Context } from 'aws-lambda';
import { routes, type HandlerGroup } from '../../api/routes';
import { NotFoundError } from '../errors';
import { problemFor } from './problem';
import type { ApiEvent, ApiResult } from './types';

export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/**
 * The entry point of one handler group: API Gateway names the matched resource template and
 * method, so dispatch is a lookup. Every route of the group must have a handler (checked at
 * cold start), and nothing else is reachable.
 */
export function routeGroup(group: HandlerGroup, handlers: Record<string, RouteHandler>) {
  const table = new Map<string, RouteHandler>();
  for (const route of routes.filter((r) => r.group === group)) {
    const handler = handlers[route.id];
    if (!handler) throw new Error(`No handler for route ${route.id} in group ${group}`);
    table.set(`${route.method} ${route.path}`, handler);
  }
  const extra = Object.keys(handlers).filter((id) => !routes.some((r) => r.id === id && r.group === group));
  if (extra.length > 0) throw new Error(`Handlers for routes not in group ${group}: ${extra.join(', ')}`);

  return async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    const handler = table.get(`${event.httpMethod} ${event.resource}`);
    if (!handler) {
      const requestId = event.requestContext?.requestId ?? context.awsRequestId;
      return problemFor(new NotFoundError('No such route.'), requestId);
    }
    return handler(event, context);
  };
}
