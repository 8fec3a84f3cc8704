import { describe, expect, it } from 'vitest';

import { setUpApiEnvironment } from '#test/support/api';
import { lambdaContext } from '#test/support/lambda-context';
import type { ApiEvent } from './types';

// Route handlers read their configuration at cold start: set the environment first.
setUpApiEnvironment();
const { lambdaHandler } = await import('./router');
const { routeDefiner } = await import('./route');
const { ok } = await import('./responses');

const context = lambdaContext({ awsRequestId: 'aws-req-1' });

interface Deps {
  readonly answer: (name: string) => string;
}
const defineRoute = routeDefiner<Deps>('health');
const thing = (method: 'GET' | 'PATCH' | 'DELETE', name: string) =>
  defineRoute(
    {
      id: `things.${name}`,
      method,
      path: '/api/things/{id}',
      summary: name,
      access: 'public',
      responses: { 200: { description: name } },
    },
    async (_input, { answer }) => ok({ name: answer(name) }),
  );
const routes = [thing('GET', 'get'), thing('PATCH', 'rename'), thing('DELETE', 'delete')];

/** The deps factory, counting how often it runs. */
function countingDeps() {
  const built = { count: 0 };
  const deps = () => {
    built.count += 1;
    return { answer: (name: string) => `answered ${name}` };
  };
  return { built, deps };
}

const eventFor = (httpMethod: string, resource: string, requestId: string | null = 'req-1') =>
  ({
    httpMethod,
    resource,
    path: resource,
    headers: {},
    requestContext: requestId ? { requestId } : undefined,
  }) as unknown as ApiEvent;

describe('lambdaHandler', () => {
  it('dispatches by method and resource template to the route sharing that template', async () => {
    // Prepare
    const dispatch = lambdaHandler(routes, countingDeps().deps);

    // Act
    const results = await Promise.all(
      ['GET', 'PATCH', 'DELETE'].map((m) => dispatch(eventFor(m, '/api/things/{id}'), context)),
    );

    // Assess
    expect(results.map((r) => JSON.parse(r.body).name)).toEqual([
      'answered get',
      'answered rename',
      'answered delete',
    ]);
  });

  it('builds the group dependencies once, on the first request and not at cold start', async () => {
    // Prepare
    const { built, deps } = countingDeps();
    const dispatch = lambdaHandler(routes, deps);
    expect(built.count).toBe(0);

    // Act
    await dispatch(eventFor('GET', '/api/things/{id}'), context);
    await dispatch(eventFor('DELETE', '/api/things/{id}'), context);

    // Assess
    expect(built.count).toBe(1);
  });

  it.each([
    ['a method the resource does not have', 'POST', '/api/things/{id}'],
    ['a concrete path instead of a template', 'GET', '/api/things/1'],
    ['an unknown resource', 'GET', '/api/nothing'],
  ])('answers a 404 problem for %s', async (_case, method, resource) => {
    const dispatch = lambdaHandler(routes, countingDeps().deps);

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
    const dispatch = lambdaHandler(routes, countingDeps().deps);

    const result = await dispatch(eventFor('GET', '/api/nothing', null), context);

    expect(JSON.parse(result.body).requestId).toBe('aws-req-1');
  });

  it('fails at cold start when two routes claim the same method and path', () => {
    expect(() => lambdaHandler([...routes, thing('GET', 'again')], countingDeps().deps)).toThrow(
      'Two routes for GET /api/things/{id}',
    );
  });
});
