import { randomUUID } from 'node:crypto';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  call as callApi,
  machineClient,
  proxyEvent as apiGatewayEvent,
  setUpApiEnvironment,
  WEB_ORIGIN,
  type CallInput,
} from '#test/support/api';
import { lambdaContext } from '#test/support/lambda-context';
import type { RouteId } from '#api/index';
import type { Route } from './route';
import type { ApiEvent } from './types';

/** The routes here are stand-ins on real paths: their answers are theirs, not the API's document's. */
const call = (handler: Parameters<typeof callApi>[0], input: CallInput) =>
  callApi(handler, input, { conformance: false });

// The handler modules read their configuration at cold start: set the environment first.
const issuer = setUpApiEnvironment();
const { routeHandler, setHandlerDependencies } = await import('./api-handler');
const { ok, created } = await import('./responses');
const { routeById } = await import('#api/index');

const { metrics } = await import('../powertools');
const { memoryCache } = await import('../cache/memory-cache');
const { cacheRouteBudgets } = await import('../rate-limit/route-budget-limiter');

// The machine client is a second app client of the pool; its service account has a stored role.
const machine = machineClient(issuer);
// Route budgets count in memory here (api-handler-budgets.test.ts tests them): no network.
const budgetCache = memoryCache();
const budgets = cacheRouteBudgets({ cache: () => budgetCache });
setHandlerDependencies({ ...machine.dependencies, budgets: () => budgets });

/** A real route's declaration (access, schemas) with a handle of the test's own. */
function withHandle(id: RouteId, handle: Route<string, object>['handle']) {
  return routeHandler({ ...routeById(id), handle }, () => ({}));
}
const live = withHandle('health.live', async () => ok({ status: 'ok' }));
const me = withHandle('me.get', async ({ caller, requestId }) =>
  ok({ userId: caller.userId, kind: caller.kind, role: caller.role, requestId }),
);
const create = withHandle('conversations.create', async ({ body, caller }) =>
  created({ title: (body as { title?: string }).title ?? null, owner: caller.userId }),
);
const failing = withHandle('conversations.list', async () => {
  throw new Error('connect ECONNREFUSED 10.1.2.3:5432 (password=hunter2)');
});

const member = (groups: string[] = ['members']) =>
  issuer.accessToken({ sub: randomUUID(), username: 'ada@example.test', 'cognito:groups': groups });

interface Problem {
  type: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

describe('routeHandler: a public route', () => {
  it('answers without a token, with security headers and a short client-only cache rule', async () => {
    // Act
    const response = await call(live, { method: 'GET', path: '/api/health' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers).toMatchObject({
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
    });
  });

  it('ignores an invalid token on a public route', async () => {
    const response = await call(live, { method: 'GET', path: '/api/health', token: 'a.b.c' });

    expect(response.status).toBe(200);
  });
});

describe('routeHandler: an authenticated route', () => {
  it('passes the verified caller to the handler and forbids caching', async () => {
    const sub = randomUUID();
    const token = issuer.accessToken({ sub, username: 'ada@example.test', 'cognito:groups': ['admins'] });

    const response = await call(me, { method: 'GET', path: '/api/me', token });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ userId: sub, kind: 'user', role: 'admins' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('lets a signed-in user in no group reach a signed-in route', async () => {
    const response = await call(me, { method: 'GET', path: '/api/me', token: member([]) });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ role: null });
  });

  it('lets a service account with a role and the route scope through', async () => {
    const token = machine.token('parley/chat.write');

    const response = await call(create, { method: 'POST', path: '/api/conversations', token, body: {} });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ owner: machine.clientId });
  });

  it('refuses a service account whose token lacks the route scope with 403', async () => {
    const token = machine.token('parley/chat.read');

    const response = await call(create, { method: 'POST', path: '/api/conversations', token, body: {} });

    expect(response.status).toBe(403);
    expect((response.body as Problem).detail).toBe('The token lacks a scope this route requires.');
  });

  it('refuses a request without a token with a 401 problem', async () => {
    const response = await call(me, { method: 'GET', path: '/api/me' });

    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect((response.body as Problem).type).toBe('urn:parley:problem:unauthorized');
  });

  it('refuses an expired token with 401', async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    const token = issuer.accessToken({ iat: past, auth_time: past, exp: past + 3600 });

    const response = await call(me, { method: 'GET', path: '/api/me', token });

    expect(response.status).toBe(401);
  });

  it('refuses a role the route does not allow with 403', async () => {
    const response = await call(create, {
      method: 'POST',
      path: '/api/conversations',
      token: member(['auditors']),
      body: {},
    });

    expect(response.status).toBe(403);
  });

  it('authenticates before it parses the body', async () => {
    const response = await call(create, {
      method: 'POST',
      path: '/api/conversations',
      body: '{not json',
      headers: { 'Content-Type': 'application/json' },
    });

    expect(response.status).toBe(401);
  });

  it('validates the body with the route schema and names the field', async () => {
    const response = await call(create, {
      method: 'POST',
      path: '/api/conversations',
      token: member(),
      body: { title: 'x'.repeat(201) },
    });

    expect(response.status).toBe(400);
    expect((response.body as Problem).errors?.[0]?.path).toBe('body.title');
  });

  it('refuses a body over MAX_BODY_BYTES with 413 and a non-JSON body with 415', async () => {
    const token = member();

    const tooLarge = await call(create, {
      method: 'POST',
      path: '/api/conversations',
      token,
      body: { title: 'x'.repeat(9000) },
    });
    const notJson = await call(create, {
      method: 'POST',
      path: '/api/conversations',
      token,
      body: 'title=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });

    expect(tooLarge.status).toBe(413);
    expect(notJson.status).toBe(415);
  });

  it('sends CORS headers to the web origin on success and on error', async () => {
    const success = await call(me, {
      method: 'GET',
      path: '/api/me',
      token: member(),
      headers: { Origin: WEB_ORIGIN },
    });
    const failure = await call(me, { method: 'GET', path: '/api/me', headers: { Origin: WEB_ORIGIN } });

    expect(success.headers['access-control-allow-origin']).toBe(WEB_ORIGIN);
    expect(failure.headers['access-control-allow-origin']).toBe(WEB_ORIGIN);
  });
});

describe('routeHandler: a handler that throws', () => {
  it('answers a generic 500 problem without the error message or stack', async () => {
    // Act
    const response = await call(failing, { method: 'GET', path: '/api/conversations', token: member() });

    // Assess
    expect(response.status).toBe(500);
    const problem = response.body as Problem;
    expect(problem).toMatchObject({ type: 'urn:parley:problem:internal', status: 500 });
    expect(response.raw.body).not.toMatch(/ECONNREFUSED|hunter2|10\.1\.2\.3/);
    expect(response.raw.body).not.toMatch(/\bat .*\.ts:\d+/);
    expect(response.raw.body).not.toContain('Error');
  });
});

describe('routeHandler: request id', () => {
  it('answers X-Request-Id equal to requestContext.requestId and hands the same id to the handler', async () => {
    // Prepare
    const requestId = `api-gw-${randomUUID()}`;
    const event = proxyEvent('GET', '/api/me', requestId, { Authorization: `Bearer ${member()}` });

    // Act
    const response = await me(event, lambdaContext({ awsRequestId: 'lambda-request-id' }));

    // Assess
    expect(response.headers?.['X-Request-Id']).toBe(requestId);
    expect(JSON.parse(response.body)).toMatchObject({ requestId });
  });

  it('names the same request id in the header and the problem body of an error', async () => {
    const requestId = `api-gw-${randomUUID()}`;
    const event = proxyEvent('GET', '/api/conversations', requestId, { Authorization: `Bearer ${member()}` });

    const response = await failing(event, lambdaContext({ awsRequestId: 'lambda-request-id' }));

    expect(response.headers?.['X-Request-Id']).toBe(requestId);
    expect(JSON.parse(response.body).requestId).toBe(requestId);
  });

  it('falls back to the Lambda request id when API Gateway sent none', async () => {
    const event = proxyEvent('GET', '/api/health', '', {});

    const response = await live(event, lambdaContext({ awsRequestId: 'lambda-request-id' }));

    expect(response.headers?.['X-Request-Id']).toBe('lambda-request-id');
  });
});

describe('routeHandler: the per-route request count', () => {
  afterEach(() => vi.restoreAllMocks());

  it('counts each request under its route where metrics are on', async () => {
    // Prepare: metrics on, as in Lambda; what is recorded is read from the calls.
    vi.spyOn(metrics, 'publishing', 'get').mockReturnValue(true);
    const addDimension = vi.spyOn(metrics, 'addDimension');
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    const response = await live(proxyEvent('GET', '/api/health', 'r-on', {}), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(addDimension).toHaveBeenCalledWith('route', 'health.live');
    expect(addMetric).toHaveBeenCalledWith('Requests', 'Count', 1);
  });

  it('records nothing where metrics are off (the local server, tests): nothing would be published', async () => {
    expect(metrics.publishing).toBe(false);
    const addDimension = vi.spyOn(metrics, 'addDimension');
    const addMetric = vi.spyOn(metrics, 'addMetric');

    const response = await live(proxyEvent('GET', '/api/health', 'r-off', {}), lambdaContext());

    expect(response.statusCode).toBe(200);
    expect(addDimension).not.toHaveBeenCalled();
    expect(addMetric).not.toHaveBeenCalled();
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});

/** A REST proxy event for a path of the route table, with a chosen API Gateway request id. */
function proxyEvent(
  method: string,
  path: string,
  requestId: string,
  headers: Record<string, string>,
): ApiEvent {
  const event = apiGatewayEvent({ method, path, headers });
  return { ...event, requestContext: { ...event.requestContext, requestId } } as ApiEvent;
}
