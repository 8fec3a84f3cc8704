import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '#shared/domain/roles';
import type { Scope } from '#shared/http/route';
import { call, setUpApiEnvironment, type CallInput } from '../support/api';
import { callStreaming } from '../support/streaming';
import { createTestUser, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';
import { fakeSessions } from '../support/fakes/users';

// The lambda modules read their configuration at cold start: set the environment first.
const issuer = setUpApiEnvironment();
const { routes } = await import('#api/index');
const lambdas = {
  health: (await import('#health/lambda')).handler,
  users: (await import('#users/lambda')).handler,
  conversations: (await import('#conversations/lambda')).handler,
  admin: (await import('#admin/lambda')).handler,
};
const streamed = {
  chat: (await import('#chat/lambda')).handler,
  exports: (await import('#exports/lambda')).handler,
};
// Cognito is the edge these tests cannot run: admin routes get a fake identity provider.
const identity = fakeIdentityProvider().provider;
(await import('#admin/wiring')).setAdminDependencies({ identity: () => identity });
const { sessions } = fakeSessions();
(await import('#users/wiring')).setUserDependencies({ sessions: () => sessions });

/** Calls the route's own Lambda function the way API Gateway would (streaming or buffered). */
const callRoute = (group: keyof typeof lambdas | keyof typeof streamed, input: CallInput) =>
  group === 'chat' || group === 'exports'
    ? callStreaming(streamed[group], input)
    : call(lambdas[group], input);
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
  'me.instructions.get': CHAT,
  'me.instructions.set': CHAT,
  'conversations.list': CHAT,
  'conversations.create': CHAT,
  'conversations.get': CHAT,
  'conversations.rename': CHAT,
  'conversations.delete': CHAT,
  'conversations.restore': CHAT,
  'conversations.export': CHAT,
  'messages.list': CHAT,
  'messages.get': CHAT,
  'messages.search': CHAT,
  'messages.send': CHAT,
  'messages.regenerate': CHAT,
  'messages.stop': CHAT,
  'messages.feedback.give': CHAT,
  'messages.feedback.withdraw': CHAT,
  'admin.users.list': ADMINS,
  'admin.users.invite': ADMINS,
  'admin.users.update': ADMINS,
  'admin.users.unlock': ADMINS,
  'admin.users.sign-out': ADMINS,
  'admin.users.reset-mfa': ADMINS,
  'admin.users.resend-invitation': ADMINS,
  'admin.users.erase': ADMINS,
  'admin.usage.get': OVERSIGHT,
  'admin.audit.list': OVERSIGHT,
  'admin.feedback.list': OVERSIGHT,
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
  // The machine client's service account: a users row keyed by its app client id.
  await createTestUser(db, { id: issuer.clientId, kind: 'service', role: 'members' });
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

  /** Routes on one conversation: another member's answer 404, never 403 (no enumeration). */
  const owned = routes.filter((r) => r.path.startsWith('/api/conversations/{id}'));
  /** A body each owned route accepts, so ownership (not validation) decides the answer. */
  const VALID_BODY: Partial<Record<(typeof routes)[number]['id'], unknown>> = {
    'conversations.rename': { title: 'Renamed' },
    'messages.send': { content: 'Hello' },
    'messages.feedback.give': { rating: 'up' },
  };
  /**
   * A question and its reply in the owner's conversation, for the routes on one reply: finished,
   * or still being written (what Stop acts on).
   */
  const replyIn = async (ownerId: string, conversationId: string, status: 'complete' | 'streaming') => {
    const at = Date.now();
    const [, reply] = await db
      .insertInto('messages')
      .values([
        {
          conversation_id: conversationId,
          owner_id: ownerId,
          role: 'user',
          content: 'A question',
          created_at: new Date(at),
        },
        {
          conversation_id: conversationId,
          owner_id: ownerId,
          role: 'assistant',
          content: 'A reply',
          status,
          created_at: new Date(at + 1),
        },
      ])
      .returning('id')
      .execute();
    if (!reply) throw new Error('no reply stored');
    return reply.id;
  };
  /** The owner's conversation; a deleted one for the route that brings deleted ones back. */
  const conversationOf = async (ownerId: string, deleted = false) =>
    (
      await db
        .insertInto('conversations')
        .values({ owner_id: ownerId, title: 'Owned', deleted_at: deleted ? new Date() : null })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  it('has routes on owned objects to check', () => {
    expect(owned.map((r) => r.id).sort()).toEqual([
      'conversations.delete',
      'conversations.export',
      'conversations.get',
      'conversations.rename',
      'conversations.restore',
      'messages.feedback.give',
      'messages.feedback.withdraw',
      'messages.get',
      'messages.list',
      'messages.regenerate',
      'messages.send',
      'messages.stop',
    ]);
  });

  it.each(owned.map((r) => [r.id, r] as const))(
    '%s: the owner gets it, another member gets 404',
    async (_id, route) => {
      const owner = people.get('members');
      if (!owner) throw new Error('no owner');
      const other = await createTestUser(db, { role: 'members' });
      const otherToken = issuer.accessToken({
        sub: other.id,
        username: other.email,
        'cognito:groups': ['members'],
      });
      const conversationId = await conversationOf(owner.id, route.id === 'conversations.restore');
      const path = route.path
        .replace('{id}', conversationId)
        .replace(
          '{messageId}',
          route.path.includes('{messageId}')
            ? await replyIn(owner.id, conversationId, route.id === 'messages.stop' ? 'streaming' : 'complete')
            : '',
        );
      const body = route.body ? { body: VALID_BODY[route.id] ?? {} } : {};

      const theirs = await callRoute(route.group, { method: route.method, path, token: otherToken, ...body });
      expect(theirs.status, `${route.id} as another member`).toBe(404);
      expect(theirs.headers['content-type']).toBe('application/problem+json');

      const mine = await callRoute(route.group, {
        method: route.method,
        path,
        token: tokenOf('members'),
        ...body,
      });
      expect(mine.status, `${route.id} as its owner`).toBeLessThan(300);
    },
  );

  /** A machine client: a service account (role members) whose token holds one scope. */
  const SCOPES: readonly Scope[] = ['parley/chat.read', 'parley/chat.write'];
  const machineCases = routes.flatMap((route) => SCOPES.map((scope) => [route.id, scope, route] as const));
  it.each(machineCases)(
    '%s called by a machine client with %s: allowed exactly when the route names the scope',
    async (_id, scope, route) => {
      const access = MATRIX[route.id];
      const allowed =
        access === 'public' ||
        (access !== 'signed-in' && access.includes('members') && (route.scopes ?? []).includes(scope));
      const token = issuer.accessToken({ sub: issuer.clientId, username: undefined, scope });
      const path = route.path.replace(/\{\w+\}/g, () => randomUUID());

      const response = await callRoute(route.group, {
        method: route.method,
        path,
        token,
        ...(route.body ? { body: VALID_BODY[route.id] ?? {} } : {}),
      });

      if (allowed) expect([401, 403], `${route.id} with ${scope}`).not.toContain(response.status);
      else {
        expect(response.status, `${route.id} with ${scope}`).toBe(403);
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
