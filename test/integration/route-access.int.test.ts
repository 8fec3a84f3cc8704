import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '#shared/domain/roles';
import { call, setUpApiEnvironment, type CallInput } from '../support/api';
import { callStreaming } from '../support/streaming';
import { createTestUser, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';

// The lambda modules read their configuration at cold start: set the environment first.
const issuer = setUpApiEnvironment();
const { routes } = await import('#api/index');
const lambdas = {
  health: (await import('#health/lambda')).handler,
  users: (await import('#users/lambda')).handler,
  conversations: (await import('#conversations/lambda')).handler,
  admin: (await import('#admin/lambda')).handler,
};
const chat = (await import('#chat/lambda')).handler;
// Cognito is the edge these tests cannot run: admin routes get a fake identity provider.
const identity = fakeIdentityProvider().provider;
(await import('#admin/wiring')).setAdminDependencies({ identity: () => identity });

/** Calls the route's own Lambda function the way API Gateway would (streaming or buffered). */
const callRoute = (group: keyof typeof lambdas | 'chat', input: CallInput) =>
  group === 'chat' ? callStreaming(chat, input) : call(lambdas[group], input);
const db = testDatabase();

type Access = 'public' | 'signed-in' | readonly Role[];
const CHAT: Access = ['members', 'admins'];
const ADMINS: Access = ['admins'];
const OVERSIGHT: Access = ['admins', 'auditors'];

/**
 * The role matrix, written out by hand: a new route fails this file (and the type check) until
 * someone decides who may call it.
 */
const MATRIX: Record<(typeof routes)[number]['id'], Access> = {
  'health.live': 'public',
  'health.ready': 'public',
  'openapi.get': 'public',
  'me.get': 'signed-in',
  'me.sign-out': 'signed-in',
  'conversations.list': CHAT,
  'conversations.create': CHAT,
  'conversations.get': CHAT,
  'conversations.rename': CHAT,
  'conversations.delete': CHAT,
  'conversations.export': CHAT,
  'messages.list': CHAT,
  'messages.search': CHAT,
  'messages.send': CHAT,
  'admin.users.list': ADMINS,
  'admin.users.invite': ADMINS,
  'admin.users.update': ADMINS,
  'admin.users.unlock': ADMINS,
  'admin.users.sign-out': ADMINS,
  'admin.users.reset-mfa': ADMINS,
  'admin.usage.get': OVERSIGHT,
  'admin.audit.list': OVERSIGHT,
};

const callers = [...ROLES, null] as const;
const people = new Map<Role | null, { id: string; email: string }>();
/**
 * A token minted for each call: `me.sign-out` revokes the tokens issued before it, and a token
 * minted afterwards (its `iat` in that second or later) is valid again.
 */
const tokenOf = (role: Role | null) => {
  const person = people.get(role);
  if (!person) throw new Error(`no test user for ${role}`);
  return issuer.accessToken({ sub: person.id, username: person.email, 'cognito:groups': role ? [role] : [] });
};

beforeAll(async () => {
  for (const role of callers) people.set(role, await createTestUser(db, { role }));
});

describe('the route × role matrix', () => {
  it('has exactly one row per declared route, matching its declaration', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(routes.map((r) => r.id).sort());
    for (const route of routes) expect(route.access, route.id).toEqual(MATRIX[route.id]);
  });

  const cases = routes.flatMap((route) =>
    callers.map((role) => [route.id, role ?? 'no group', route, role] as const),
  );
  it.each(cases)(
    '%s called by %s: refused exactly when the matrix says so',
    async (_id, _who, route, role) => {
      // Prepare
      const access = MATRIX[route.id];
      const allowed =
        access === 'public' || access === 'signed-in' || (role !== null && access.includes(role));
      const path = route.path.replace(/\{\w+\}/g, () => randomUUID());

      // Act
      const response = await callRoute(route.group, {
        method: route.method,
        path,
        token: tokenOf(role),
        ...(route.body ? { body: {} } : {}),
      });

      // Assess
      if (allowed) expect([401, 403], `${route.id} as ${role}`).not.toContain(response.status);
      else {
        expect(response.status).toBe(403);
        expect(response.headers['content-type']).toBe('application/problem+json');
      }
      expect(response.status).toBeLessThan(500);
    },
  );

  it.each(routes.filter((r) => r.access !== 'public').map((r) => [r.id, r] as const))(
    '%s refuses a caller with no token (401)',
    async (_id, route) => {
      const response = await callRoute(route.group, {
        method: route.method,
        path: route.path.replace(/\{\w+\}/g, () => randomUUID()),
      });
      expect(response.status).toBe(401);
    },
  );
});
