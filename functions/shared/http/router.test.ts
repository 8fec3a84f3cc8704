import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';

import { routeGroup, type RouteHandler } from './router';
import type { ApiEvent, ApiResult } from './types';

const context = { awsRequestId: 'aws-req-1' } as Context;

/** A handler that answers with its own name, and records the events it saw. */
function answering(name: string): RouteHandler & { events: ApiEvent[] } {
  const events: ApiEvent[] = [];
  const handler = async (event: ApiEvent): Promise<ApiResult> => {
    events.push(event);
    return { statusCode: 200, body: name };
  };
  return Object.assign(handler, { events });
}

const healthHandlers = () => ({
  'health.live': answering('live'),
  'health.ready': answering('ready'),
  'openapi.get': answering('openapi'),
});

const eventFor = (httpMethod: string, resource: string, requestId: string | null = 'req-1') =>
  ({ httpMethod, resource, requestContext: requestId ? { requestId } : undefined }) as unknown as ApiEvent;

describe('routeGroup', () => {
  it('dispatches by method and resource template to the route handler', async () => {
    // Prepare
    const handlers = healthHandlers();
    const dispatch = routeGroup('health', handlers);

    // Act
    const live = await dispatch(eventFor('GET', '/api/health'), context);
    const ready = await dispatch(eventFor('GET', '/api/health/ready'), context);

    // Assess
    expect(live.body).toBe('live');
    expect(ready.body).toBe('ready');
    expect(handlers['health.live'].events).toHaveLength(1);
    expect(handlers['openapi.get'].events).toHaveLength(0);
  });

  it('tells routes apart that share a template but not a method', async () => {
    const handler = (name: string) => answering(name);
    const dispatch = routeGroup('conversations', {
      'conversations.list': handler('list'),
      'conversations.create': handler('create'),
      'conversations.get': handler('get'),
      'conversations.rename': handler('rename'),
      'conversations.delete': handler('delete'),
    });

    const results = await Promise.all(
      ['GET', 'PATCH', 'DELETE'].map((m) => dispatch(eventFor(m, '/api/conversations/{id}'), context)),
    );

    expect(results.map((r) => r.body)).toEqual(['get', 'rename', 'delete']);
  });

  it.each([
    ['a resource of another group', 'GET', '/api/me'],
    ['a method the resource does not have', 'POST', '/api/health'],
    ['a concrete path instead of a template', 'GET', '/api/health/'],
    ['an unknown resource', 'GET', '/api/nothing'],
  ])('answers a 404 problem for %s', async (_case, method, resource) => {
    const dispatch = routeGroup('health', healthHandlers());

    const result = await dispatch(eventFor(method, resource), context);

    expect(result.statusCode).toBe(404);
    expect(result.headers?.['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(result.body)).toMatchObject({
      type: 'urn:parley:problem:not-found',
      status: 404,
      detail: 'No such route.',
      requestId: 'req-1',
    });
  });

  it('names the Lambda request id in a 404 when the event has no request context', async () => {
    const dispatch = routeGroup('health', healthHandlers());

    const result = await dispatch(eventFor('GET', '/api/nothing', null), context);

    expect(JSON.parse(result.body).requestId).toBe('aws-req-1');
  });

  it('fails at cold start when a route of the group has no handler', () => {
    const { 'health.ready': _missing, ...handlers } = healthHandlers();

    expect(() => routeGroup('health', handlers)).toThrow('No handler for route health.ready in group health');
  });

  it('fails at cold start when a handler names a route of another group', () => {
    const handlers = { ...healthHandlers(), 'me.get': answering('me') };

    expect(() => routeGroup('health', handlers)).toThrow('Handlers for routes not in group health: me.get');
  });

  it('fails at cold start when a handler names a route that does not exist', () => {
    const handlers = { ...healthHandlers(), 'health.deep': answering('deep') };

    expect(() => routeGroup('health', handlers)).toThrow(/health\.deep/);
  });
});
