import { beforeAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment, type CallInput } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';

// The lambda modules read their configuration at cold start: set the environment first.
const issuer = setUpApiEnvironment();
const { routes } = await import('#api/index');
const lambdas = {
  conversations: (await import('#conversations/lambda')).handler,
  admin: (await import('#admin/lambda')).handler,
};
// Cognito is the edge these tests cannot run: admin routes get a fake identity provider.
const identity = fakeIdentityProvider().provider;
(await import('#admin/wiring')).setAdminDependencies({ identity: () => identity });
const db = testDatabase();

interface Problem {
  errors?: { path: string; message: string }[];
}

/** The names of a route's query parameters (its query schema is a strict object). */
const queryKeys = (route: (typeof routes)[number]) =>
  Object.keys((route.query?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape ?? {});

/** Every route that takes `limit`, found in the route table, so a new one is checked too. */
const paged = routes.filter((route) => queryKeys(route).includes('limit'));

/** What else each paged route needs to answer 200, and the largest `limit` it allows. */
const PAGED: Readonly<Record<string, { query?: Record<string, string>; max: number }>> = {
  'conversations.list': { max: 100 },
  'messages.list': { max: 200 },
  'messages.search': { query: { q: 'hello' }, max: 50 },
  'admin.users.list': { max: 200 },
  'admin.audit.list': { max: 200 },
  'admin.feedback.list': { max: 200 },
};

/** Written as no one writes a whole number in a query string, or out of range. */
const REFUSED = [
  '0x10',
  '1e1',
  '+5',
  ' 5',
  '5 ',
  '5.0',
  '',
  '-1',
  '0',
  '__proto__',
  'Infinity',
  '١٢',
  String(10n ** 20n),
];

let token: string;
let conversationId: string;

beforeAll(async () => {
  // An admin may call every paged route (admins chat too), in their own conversation.
  const admin = await createTestUser(db, { role: 'admins' });
  token = issuer.accessToken({ sub: admin.id, username: admin.email, 'cognito:groups': ['admins'] });
  conversationId = (
    await db
      .insertInto('conversations')
      .values({ owner_id: admin.id, title: 'Paged' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});

const callRoute = (route: (typeof paged)[number], query: Record<string, string>) => {
  const group = route.group;
  if (group !== 'conversations' && group !== 'admin') throw new Error(`no lambda for ${route.id}`);
  const input: CallInput = {
    method: route.method,
    path: route.path.replace('{id}', conversationId),
    token,
    query: { ...PAGED[route.id]?.query, ...query },
  };
  return call(lambdas[group], input);
};

describe('limit, on every route that takes it: decimal digits only', () => {
  it('is checked on each paged route the route table declares', () => {
    expect(paged.map((r) => r.id).sort()).toEqual(Object.keys(PAGED).sort());
  });

  const cases = paged.flatMap((route) => ['5', '005'].map((limit) => [route.id, limit, route] as const));
  it.each(cases)('%s accepts limit=%j', async (_id, limit, route) => {
    const response = await callRoute(route, { limit });

    expect(response.status, JSON.stringify(response.body)).toBe(200);
  });

  const refusals = paged.flatMap((route) => REFUSED.map((limit) => [route.id, limit, route] as const));
  it.each(refusals)('%s refuses limit=%j with a 400 stating the range', async (_id, limit, route) => {
    const response = await callRoute(route, { limit });

    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect((response.body as Problem).errors).toEqual([
      { path: 'query.limit', message: `must be a whole number between 1 and ${PAGED[route.id]?.max}` },
    ]);
  });

  it.each(paged.map((route) => [route.id, route] as const))(
    '%s refuses a limit holding NUL with a 400 naming it',
    async (_id, route) => {
      const response = await callRoute(route, { limit: '5\u0000' });

      expect(response.status).toBe(400);
      expect((response.body as Problem).errors?.map((e) => e.path)).toEqual(['query.limit']);
    },
  );
});

describe('inactiveDays on the users list: decimal digits only', () => {
  const users = routes.find((r) => r.id === 'admin.users.list');
  if (!users) throw new Error('no users list route');

  it.each(['30', '0030'])('accepts inactiveDays=%j', async (inactiveDays) => {
    const response = await callRoute(users, { inactiveDays });

    expect(response.status, JSON.stringify(response.body)).toBe(200);
  });

  it.each(REFUSED)('refuses inactiveDays=%j with a 400 stating the range', async (inactiveDays) => {
    const response = await callRoute(users, { inactiveDays });

    expect(response.status).toBe(400);
    expect((response.body as Problem).errors).toEqual([
      { path: 'query.inactiveDays', message: 'must be a whole number of days between 1 and 3650' },
    ]);
  });
});
