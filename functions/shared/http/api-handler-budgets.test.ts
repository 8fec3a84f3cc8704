import { randomUUID } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { call as callApi, machineClient, setUpApiEnvironment, type CallInput } from '#test/support/api';
import type { Cache } from '../cache/cache';
import { memoryCache } from '../cache/memory-cache';
import type { RouteId } from '#api/index';
import type { Route } from './route';

/** The routes here are stand-ins on real paths: their answers are theirs, not the API's document's. */
const call = (handler: Parameters<typeof callApi>[0], input: CallInput) =>
  callApi(handler, input, { conformance: false });

// The handler modules read their configuration at cold start: set the environment first.
// The budgets as every stage has them (the suites' environment multiplies them).
const issuer = setUpApiEnvironment({ ROUTE_BUDGET_MULTIPLIER: '1' });
const { routeHandler, setHandlerDependencies } = await import('./api-handler');
const { ok, created } = await import('./responses');
const { routeById } = await import('#api/index');
const { cacheRouteBudgets } = await import('../rate-limit/route-budget-limiter');
const { metrics } = await import('../powertools');

const machine = machineClient(issuer);

/** 08:00:45 UTC: a budget spent now renews in 15 seconds. */
let clock = Date.UTC(2026, 11, 1, 8, 0, 45);

/** The cache the budgets count in: a memory cache that records its keys, and can be made to fail. */
function recordingCache() {
  const inner = memoryCache(() => clock);
  const keys: string[] = [];
  let failing = false;
  const cache: Cache = {
    ...inner,
    kind: 'valkey',
    increment: async (key, ttl) => {
      keys.push(key);
      if (failing) throw new Error('ECONNREFUSED 10.0.0.1:6379');
      return inner.increment(key, ttl);
    },
  };
  return { cache, keys, fail: () => (failing = true) };
}

let cache = recordingCache();
const cacheErrors: unknown[] = [];
beforeEach(() => {
  clock = Date.UTC(2026, 11, 1, 8, 0, 45);
  cache = recordingCache();
  cacheErrors.length = 0;
  setHandlerDependencies({
    ...machine.dependencies,
    // A new limiter each test: its per-instance fallback counts start empty.
    budgets: () => budgets,
  });
  budgets = cacheRouteBudgets({
    cache: () => cache.cache,
    now: () => clock,
    onCacheError: (error) => cacheErrors.push(error),
  });
});
let budgets = cacheRouteBudgets({ cache: () => cache.cache });
afterEach(() => vi.restoreAllMocks());

let handled = 0;
/** A real route's declaration (access, schemas, budget) with a handle of the test's own. */
function withHandle(id: RouteId, handle: Route<string, object>['handle']) {
  return routeHandler(
    {
      ...routeById(id),
      handle: (input, deps) => {
        handled += 1;
        return handle(input, deps);
      },
    },
    () => ({}),
  );
}
const search = withHandle('messages.search', async () => ok({ items: [], nextCursor: null }));
const create = withHandle('conversations.create', async ({ caller }) => created({ owner: caller.userId }));
const list = withHandle('conversations.list', async () => ok({ items: [], nextCursor: null }));
const me = withHandle('me.get', async ({ caller }) => ok({ userId: caller.userId }));
const messages = withHandle('messages.list', async () => ok({ items: [] }));

const person = (sub = randomUUID(), groups: string[] = ['members']) => ({
  sub,
  token: issuer.accessToken({ sub, username: 'ada@example.test', 'cognito:groups': groups }),
});
const searching = (token: string, extra: Partial<CallInput> = {}) =>
  call(search, { method: 'GET', path: '/api/search', query: { q: 'sea' }, token, ...extra });

async function spend(times: number, request: () => Promise<{ status: number }>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i += 1) statuses.push((await request()).status);
  return statuses;
}

describe('routeHandler: a route with a per-caller budget', () => {
  it('answers the 31st search of a minute by one person 429 problem+json with Retry-After and the security headers', async () => {
    // Prepare
    const ada = person();
    expect(await spend(30, () => searching(ada.token))).toEqual(Array(30).fill(200));
    const before = handled;

    // Act
    const refused = await searching(ada.token);

    // Assess
    expect(refused.status).toBe(429);
    expect(handled).toBe(before);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers).toMatchObject({
      'retry-after': '15',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
    });
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/:rate-limited$/),
      status: 429,
      title: 'Too many requests',
      detail: 'You can make at most 30 searches a minute.',
      requestId: expect.any(String),
    });
  });

  it('leaves another person their own budget, and renews it in the next minute', async () => {
    const ada = person();
    const grace = person();
    await spend(31, () => searching(ada.token));

    expect((await searching(grace.token)).status).toBe(200);

    clock += 15_000;
    expect((await searching(ada.token)).status).toBe(200);
  });

  it.each([
    ['in the cache', false],
    ['per instance while the cache fails', true],
  ])(
    'counts each route apart: searches do not spend the budget of new conversations, %s',
    async (_where, failing) => {
      // Prepare: one person's searches spent
      const ada = person();
      if (failing) cache.fail();
      await spend(31, () => searching(ada.token));

      // Act
      const response = await call(create, {
        method: 'POST',
        path: '/api/conversations',
        token: ada.token,
        body: {},
      });

      // Assess: a new conversation is theirs to make; searches stay spent
      expect(response.status).toBe(201);
      expect((await searching(ada.token)).status).toBe(429);
    },
  );

  it('spends the budget before the body is read: the 31st create with a broken body is 429, not 400', async () => {
    const ada = person();
    const creating = (body: unknown) => () =>
      call(create, { method: 'POST', path: '/api/conversations', token: ada.token, body });
    await spend(30, creating({ title: 'x'.repeat(201) }));

    const response = await creating('{not json')();

    expect(response.status).toBe(429);
  });

  it('spends nothing for a request refused at authentication', async () => {
    await spend(3, () => searching('not.a.token'));
    await spend(3, () => searching(person(randomUUID(), ['auditors']).token));

    expect(cache.keys).toEqual([]);
  });

  it('holds for machine clients, keyed by their client id', async () => {
    const token = machine.token('parley/chat.read');

    const statuses = await spend(31, () => searching(token));

    expect(statuses.slice(-2)).toEqual([200, 429]);
    expect(new Set(cache.keys)).toEqual(
      new Set([`rate:route:messages.search:${machine.clientId}:${Math.floor(clock / 60_000)}`]),
    );
  });

  it('builds the key from the verified caller and the route id only, whatever the request says', async () => {
    const ada = person();
    const hostile = {
      'X-Forwarded-For': '203.0.113.7',
      'User-Agent': 'rate:route:messages.search:*',
      'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000000',
    };

    await searching(ada.token, { headers: hostile, query: { q: 'sea:*\r\nFLUSHALL' } });
    await searching(person(ada.sub).token, { headers: { 'X-Forwarded-For': '198.51.100.1' } });

    const window = Math.floor(clock / 60_000);
    expect(cache.keys).toEqual([
      `rate:route:messages.search:${ada.sub}:${window}`,
      `rate:route:messages.search:${ada.sub}:${window}`,
    ]);
  });

  it('counts per instance when the cache fails, and still refuses the 31st', async () => {
    const ada = person();
    cache.fail();

    const statuses = await spend(31, () => searching(ada.token));

    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses[30]).toBe(429);
    expect(cacheErrors.length).toBe(31);
  });

  it('counts a refusal in RateLimitRejections', async () => {
    const ada = person();
    await spend(30, () => searching(ada.token));
    const added = vi.spyOn(metrics, 'addMetric');

    await searching(ada.token);

    expect(added).toHaveBeenCalledWith('RateLimitRejections', 'Count', 1);
  });
});

describe('routeHandler: a route without a budget', () => {
  it('never consumes: the conversation list, /api/me and message reads make no cache call', async () => {
    const ada = person();
    const conversationId = randomUUID();

    const statuses = [
      ...(await spend(35, () => call(list, { method: 'GET', path: '/api/conversations', token: ada.token }))),
      (await call(me, { method: 'GET', path: '/api/me', token: ada.token })).status,
      (
        await call(messages, {
          method: 'GET',
          path: `/api/conversations/${conversationId}/messages`,
          token: ada.token,
        })
      ).status,
    ];

    expect(statuses).toEqual(Array(37).fill(200));
    expect(cache.keys).toEqual([]);
  });
});
