import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '#shared/domain/roles';
import { call, setUpApiEnvironment, type CallInput } from '../support/api';
import { signedInPerson, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';

// The lambda reads its configuration at cold start: set the environment first. Cognito is the
// edge these tests cannot run, so a hand-written identity provider stands in for it.
const issuer = setUpApiEnvironment();
const { handler } = await import('#admin/lambda');
const { setAdminDependencies } = await import('#admin/wiring');
const db = testDatabase();
const idp = fakeIdentityProvider();
setAdminDependencies({ identity: () => idp.provider });
afterAll(() => db.destroy());

const USER_AGENT = 'AuditTrailCheck/1.0';

/** A user in the database and in the fake Cognito, with an access token for them. */
async function person(role: Role | null = 'members', overrides: Parameters<typeof signedInPerson>[3] = {}) {
  const id = randomUUID();
  const signedIn = await signedInPerson(db, issuer, role, {
    id,
    email: `audit-${id}@example.test`,
    ...overrides,
  });
  idp.add(signedIn.user.email, { id: signedIn.user.id, role });
  return signedIn;
}

let admin: Awaited<ReturnType<typeof person>>;
beforeAll(async () => {
  admin = await person('admins');
});
beforeEach(() => {
  idp.failing.clear();
});

const as = (token: string, input: Omit<CallInput, 'token'>) =>
  call(handler, { ...input, token, headers: { 'User-Agent': USER_AGENT, ...input.headers } });

/** Every audit event about a target, oldest first. */
const eventsAbout = (targetId: string) =>
  db
    .selectFrom('audit_events')
    .selectAll()
    .where('target_id', '=', targetId)
    .orderBy('occurred_at')
    .execute();

interface Action {
  readonly action: string;
  /** Prepares the target (in the database and Cognito) and says what to send. */
  prepare(): Promise<{ readonly targetId: string; readonly request: Omit<CallInput, 'token'> }>;
}

const onUser =
  (method: CallInput['method'], suffix: string, body?: unknown, overrides?: Parameters<typeof person>[1]) =>
  async () => {
    const target = await person('members', overrides);
    const path = `/api/admin/users/${target.user.id}${suffix}`;
    return {
      targetId: target.user.id,
      request: body === undefined ? { method, path } : { method, path, body },
    };
  };

const ACTIONS: readonly Action[] = [
  {
    action: 'user.invite',
    prepare: async () => {
      const email = `invited-${randomUUID()}@example.test`;
      return {
        targetId: '',
        request: { method: 'POST', path: '/api/admin/users', body: { email, role: 'members' } },
      };
    },
  },
  { action: 'user.role-change', prepare: onUser('PATCH', '', { role: 'auditors' }) },
  { action: 'user.disable', prepare: onUser('PATCH', '', { status: 'disabled' }) },
  { action: 'user.enable', prepare: onUser('PATCH', '', { status: 'active' }, { status: 'disabled' }) },
  { action: 'user.quota-change', prepare: onUser('PATCH', '', { monthlyTokens: 12_345 }) },
  { action: 'user.unlock', prepare: onUser('POST', '/unlock') },
  { action: 'user.sign-out', prepare: onUser('POST', '/sign-out') },
  { action: 'user.mfa-reset', prepare: onUser('POST', '/reset-mfa', undefined, { mfa_enabled: true }) },
  {
    action: 'user.erase',
    prepare: async () => {
      const target = await person('members', { status: 'disabled' });
      await db
        .updateTable('users')
        .set({ tokens_valid_after: new Date(Date.now() - 2 * 3_600_000) })
        .where('id', '=', target.user.id)
        .execute();
      return {
        targetId: target.user.id,
        request: { method: 'DELETE', path: `/api/admin/users/${target.user.id}` },
      };
    },
  },
];

describe('the audit trail of admin actions', () => {
  it.each(ACTIONS.map((a) => [a.action, a] as const))(
    '%s writes one event naming the actor, the target, the time, the request and where it came from',
    async (action, { prepare }) => {
      // Prepare
      const { targetId: prepared, request } = await prepare();
      const before = Date.now();

      // Act
      const response = await as(admin.token, request);

      // Assess: done, and one event of this action about the target, with every field filled
      expect(response.status).toBeLessThan(300);
      const after = Date.now();
      const targetId = prepared || (response.body as { id: string }).id;
      const events = (await eventsAbout(targetId)).filter((e) => e.action === action);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event).toMatchObject({
        actor_id: admin.user.id,
        action,
        target_type: 'user',
        target_id: targetId,
        request_id: response.headers['x-request-id'],
        user_agent: USER_AGENT,
      });
      const at = event?.occurred_at.getTime() ?? 0;
      expect(at).toBeGreaterThanOrEqual(before - 1_000);
      expect(at).toBeLessThanOrEqual(after + 1_000);
    },
  );

  it('writes nothing for a refused attempt: a member, a self-demotion, a failure in Cognito', async () => {
    // Prepare
    const member = await person('members');
    const target = await person('members', { mfa_enabled: true });
    idp.failing.add('setTotpMfa');

    // Act
    const byMember = await as(member.token, {
      method: 'PATCH',
      path: `/api/admin/users/${target.user.id}`,
      body: { role: 'admins' },
    });
    const selfDemotion = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${admin.user.id}`,
      body: { role: 'members' },
    });
    const cognitoFailed = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${target.user.id}/reset-mfa`,
    });

    // Assess: refused or failed, each with its request id to find it by, and no event
    expect([byMember.status, selfDemotion.status, cognitoFailed.status]).toEqual([403, 409, 500]);
    for (const refused of [byMember, selfDemotion, cognitoFailed])
      expect((refused.body as { requestId: string }).requestId).toBe(refused.headers['x-request-id']);
    expect(await eventsAbout(target.user.id)).toEqual([]);
    expect((await eventsAbout(admin.user.id)).filter((e) => e.action === 'user.role-change')).toEqual([]);
  });
});
