import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { getCache } from '#shared/cache/get-cache';
import { monthlyUsageKey, monthlyUsageVersionKey } from '#shared/cache/keys';
import type { Role } from '#shared/domain/roles';
import { call, proxyEvent, setUpApiEnvironment, type CallInput } from '../support/api';
import { lambdaContext } from '../support/lambda-context';
import { createTestUser, signedInPerson, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';
import {
  TEST_CREDENTIALS,
  awsJsonError,
  startAwsJsonTestServer,
  type AwsJsonTestServer,
} from '../support/aws/aws-json-test-server';

// The lambda reads its configuration at cold start: set the environment first. Cognito is the
// edge these tests cannot run, so a hand-written identity provider stands in for it.
const issuer = setUpApiEnvironment();
const { handler } = await import('#admin/lambda');
const { setAdminDependencies } = await import('#admin/wiring');
const { handler: users } = await import('#users/lambda');
const { handler: conversations } = await import('#conversations/lambda');
const { resetConfig } = await import('#shared/config');
const { awsJsonClient } = await import('#shared/aws/aws-json-client');
const { cognitoIdentityProvider } = await import('#admin/adapters/cognito-identity-provider');
const { setUserDependencies } = await import('#users/wiring');
const { cognitoSessions } = await import('#users/adapters/cognito-sessions');
const { InvitationNotSentError } = await import('#admin/domain/admin-user');
const db = testDatabase();

/** A Cognito client of the loopback test server, signing as the tests' credentials. */
const clientOf = (server: AwsJsonTestServer, maxAttempts?: number) =>
  awsJsonClient({
    service: 'cognito-idp',
    targetPrefix: 'AWSCognitoIdentityProviderService',
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: () => TEST_CREDENTIALS,
    random: () => 0,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
const idp = fakeIdentityProvider();
setAdminDependencies({ identity: () => idp.provider });

interface Problem {
  status: number;
  detail: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}
interface AdminUserView {
  id: string;
  email: string;
  role: Role | null;
  status: string;
  mfaEnabled: boolean;
  locked: boolean;
  lockedUntil: string | null;
  monthlyTokens: number;
  usedTokens: number;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A unique marker for this run's rows: test files share one database. */
const run = randomBytes(4).toString('hex');

/** A user in the database and in the fake Cognito, with an access token for them. */
async function person(role: Role | null = 'members', overrides: Parameters<typeof signedInPerson>[3] = {}) {
  const id = randomUUID();
  const signedIn = await signedInPerson(db, issuer, role, {
    id,
    email: `p-${run}-${id}@example.test`,
    ...overrides,
  });
  idp.add(signedIn.user.email, { id: signedIn.user.id, role });
  return signedIn;
}

let admin: Awaited<ReturnType<typeof person>>;
let member: Awaited<ReturnType<typeof person>>;
let auditor: Awaited<ReturnType<typeof person>>;

beforeAll(async () => {
  admin = await person('admins');
  member = await person('members');
  auditor = await person('auditors');
});
beforeEach(() => {
  // Each test starts with a Cognito that knows the users created so far and fails nothing.
  idp.failing.clear();
  idp.calls.length = 0;
});
afterAll(() => db.destroy());

const as = (token: string | undefined, input: Omit<CallInput, 'token'>) => call(handler, { ...input, token });
const problemPaths = (body: unknown) => ((body as Problem).errors ?? []).map((e) => e.path);

/**
 * `GET /api/admin/audit` once its page holds at least `atLeast` events. The listing shows an event
 * only once no transaction that could still write an earlier one is open (the settled horizon), and
 * the test files running beside this one hold such transactions for a moment: read once, right
 * after the writes, the page was empty about one run in three.
 */
const auditListing = (token: string, query: Record<string, string>, atLeast: number) =>
  vi.waitFor(
    async () => {
      const response = await as(token, { method: 'GET', path: '/api/admin/audit', query });
      expect(response.status).toBe(200);
      expect((response.body as Page<unknown>).items.length).toBeGreaterThanOrEqual(atLeast);
      return response;
    },
    { timeout: 15_000, interval: 100 },
  );

async function auditEvents(targetId: string) {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('target_id', '=', targetId)
    .orderBy('occurred_at')
    .execute();
}

describe('GET /api/admin/users', () => {
  it('lists users with role, status, MFA, lock state and tokens used this month', async () => {
    // Prepare
    const locked = await person('members', { display_name: `Locked ${run}`, mfa_enabled: true });
    await db
      .insertInto('sign_in_attempts')
      .values({
        username: locked.user.email.toLowerCase(),
        failed_count: 5,
        locked_until: new Date(Date.now() + 600_000),
      })
      .execute();
    const today = new Date().toISOString().slice(0, 10);
    await db
      .insertInto('usage_daily')
      .values({ user_id: locked.user.id, day: today, model: 'm', prompt_tokens: 70, completion_tokens: 30 })
      .execute();

    // Act
    const response = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: locked.user.email.toUpperCase() },
    });

    // Assess
    expect(response.status).toBe(200);
    const page = response.body as Page<AdminUserView>;
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      id: locked.user.id,
      role: 'members',
      status: 'active',
      mfaEnabled: true,
      locked: true,
      usedTokens: 100,
    });
    expect(page.items[0]?.lockedUntil).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('matches q literally (LIKE wildcards are text) and pages by keyset', async () => {
    const tag = `pct${run}`;
    for (const name of [`${tag} 100%_sure`, `${tag} 100xxsure`, `${tag} 100% sure`])
      await person('members', { display_name: name });

    const literal = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: `${tag} 100%_` },
    });
    expect((literal.body as Page<AdminUserView>).items).toHaveLength(1);

    const first = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: tag, limit: '2' },
    });
    const firstPage = first.body as Page<AdminUserView>;
    expect(firstPage.items).toHaveLength(2);
    expect(firstPage.nextCursor).toBeTruthy();
    const second = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: tag, limit: '2', cursor: firstPage.nextCursor ?? '' },
    });
    const secondPage = second.body as Page<AdminUserView>;
    expect(secondPage.items).toHaveLength(1);
    expect(secondPage.nextCursor).toBeNull();
    const ids = [...firstPage.items, ...secondPage.items].map((u) => u.id);
    expect(new Set(ids).size).toBe(3);
  });

  it('filters by role and status', async () => {
    const tag = `flt${run}`;
    await person('auditors', { display_name: `${tag} a` });
    await person('auditors', { display_name: `${tag} b`, status: 'disabled' });
    const response = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: tag, role: 'auditors', status: 'disabled' },
    });
    expect((response.body as Page<AdminUserView>).items.map((u) => u.status)).toEqual(['disabled']);
  });

  it.each([
    [{ role: 'root' }, 'query.role'],
    [{ status: 'gone' }, 'query.status'],
    [{ limit: '0' }, 'query.limit'],
    [{ limit: '201' }, 'query.limit'],
    [{ q: 'a\u0000b' }, 'query.q'],
    [{ q: 'x'.repeat(201) }, 'query.q'],
    [{ cursor: 'not-a-cursor' }, 'query.cursor'],
    [
      {
        cursor: Buffer.from(JSON.stringify({ at: '2026-02-30T00:00:00.000000Z', id: 'a' })).toString(
          'base64url',
        ),
      },
      'query.cursor',
    ],
    [JSON.parse('{"__proto__":"x"}') as Record<string, string>, 'query'],
    [{ constructor: 'x' }, 'query'],
  ])('refuses %j with a 400 naming %s', async (query, path) => {
    const response = await as(admin.token, { method: 'GET', path: '/api/admin/users', query });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('refuses members and auditors (403) and callers without a token (401)', async () => {
    for (const token of [member.token, auditor.token])
      expect((await as(token, { method: 'GET', path: '/api/admin/users' })).status).toBe(403);
    expect((await as(undefined, { method: 'GET', path: '/api/admin/users' })).status).toBe(401);
  });
});

describe('POST /api/admin/users', () => {
  it('invites through Cognito, stores the user under its sub and audits it in the request', async () => {
    // Prepare
    const email = `invite-${run}-${randomUUID()}@example.test`;

    // Act
    const response = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email: email.toUpperCase(), role: 'auditors' },
    });

    // Assess
    expect(response.status).toBe(201);
    const user = response.body as AdminUserView;
    const cognito = idp.users.get(email);
    expect(user).toMatchObject({ id: cognito?.id, email, role: 'auditors', status: 'active' });
    expect([...(cognito?.groups ?? [])]).toEqual(['auditors']);
    const row = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirst();
    expect(row).toMatchObject({ email, role: 'auditors', status: 'active' });
    expect(await auditEvents(user.id)).toMatchObject([
      {
        actor_id: admin.user.id,
        action: 'user.invite',
        target_type: 'user',
        request_id: response.headers['x-request-id'],
        details: { after: { role: 'auditors' } },
      },
    ]);
  });

  it('answers 409 for an e-mail in use, in any case, and calls Cognito for nothing', async () => {
    const response = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email: member.user.email.toUpperCase(), role: 'members' },
    });
    expect(response.status).toBe(409);
    expect((response.body as Problem).detail).toMatch(/already exists/);
    expect(idp.calls).toEqual([]);
  });

  it.each([
    [{ email: 'not-an-address', role: 'members' }, 'body.email'],
    [{ email: `${'x'.repeat(250)}@example.test`, role: 'members' }, 'body.email'],
    [{ email: 'a\u0000b@example.test', role: 'members' }, 'body.email'],
    [{ email: 'ok@example.test', role: 'owners' }, 'body.role'],
    [{ email: 'ok@example.test' }, 'body.role'],
    [{ email: 'ok@example.test', role: 'members', id: 'chosen' }, 'body'],
  ])('refuses %j with a 400 naming %s', async (body, path) => {
    const response = await as(admin.token, { method: 'POST', path: '/api/admin/users', body });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('stores an address with a quote verbatim, and refuses SQL dressed as an address', async () => {
    const email = `o'brien-${run}@example.test`;
    const invited = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email, role: 'members' },
    });
    expect(invited.status).toBe(201);
    expect((invited.body as AdminUserView).email).toBe(email);
    const row = await db
      .selectFrom('users')
      .select('email')
      .where('id', '=', (invited.body as AdminUserView).id)
      .executeTakeFirst();
    expect(row?.email).toBe(email);

    const before = idp.calls.length;
    const injected = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email: "x'); DELETE FROM users; --@example.test", role: 'members' },
    });
    expect(injected.status).toBe(400);
    expect(problemPaths(injected.body)).toContain('body.email');
    expect(idp.calls.length).toBe(before);
  });

  it('refuses members and auditors', async () => {
    for (const token of [member.token, auditor.token]) {
      const response = await as(token, {
        method: 'POST',
        path: '/api/admin/users',
        body: { email: `x-${run}@example.test`, role: 'members' },
      });
      expect(response.status).toBe(403);
    }
  });
});

describe('POST /api/admin/users when Cognito sends no invitation (its adapter, Cognito on loopback)', () => {
  let cognito: AwsJsonTestServer | undefined;
  afterEach(async () => {
    setAdminDependencies({ identity: () => idp.provider });
    await cognito?.close();
    cognito = undefined;
  });

  /** Cognito answering AdminCreateUser with `type` after creating the user, as it does. */
  async function cognitoRefusing(type: string, message: string) {
    const kept = new Set<string>();
    cognito = await startAwsJsonTestServer({
      service: 'cognito-idp',
      targetPrefix: 'AWSCognitoIdentityProviderService',
      answer: (_index, call) => {
        const username = String(call.body.Username);
        if (call.operation === 'AdminCreateUser') {
          if (kept.has(username)) return awsJsonError(400, 'UsernameExistsException');
          kept.add(username);
          return awsJsonError(400, type, message);
        }
        if (call.operation === 'AdminDeleteUser') kept.delete(username);
        return { status: 200 };
      },
    });
    const client = clientOf(cognito);
    setAdminDependencies({ identity: () => cognitoIdentityProvider(client, 'eu-west-1_Test') });
    return { kept, calls: cognito.calls };
  }

  it.each([
    [
      'LimitExceededException',
      'Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.',
      /daily e-mail limit is reached/,
      '3600',
    ],
    [
      'CodeDeliveryFailureException',
      'Unable to deliver message.',
      /could not be delivered to this address/,
      '300',
    ],
  ])(
    'answers %s with 503 invitation-not-sent, keeps no user anywhere, and the address can be invited again',
    async (type, message, detail, retryAfter) => {
      // Prepare
      const { kept, calls } = await cognitoRefusing(type, message);
      const email = `unsent-${run}-${randomUUID()}@example.test`;
      const invite = () =>
        as(admin.token, { method: 'POST', path: '/api/admin/users', body: { email, role: 'members' } });

      // Act
      const first = await invite();
      const second = await invite();

      // Assess: the same designed answer twice (not "already exists" the second time), Cognito's
      // own text not shown, no row, no audit event, and no Cognito user left behind.
      for (const response of [first, second]) {
        expect(response.status).toBe(503);
        expect(response.headers['content-type']).toBe('application/problem+json');
        expect(response.headers['retry-after']).toBe(retryAfter);
        expect(response.body).toMatchObject({ type: 'urn:parley:problem:invitation-not-sent', status: 503 });
        expect((response.body as Problem).detail).toMatch(detail);
        expect(JSON.stringify(response.body)).not.toContain(message);
      }
      expect(kept.size).toBe(0);
      expect(calls.map((c) => c.operation)).toEqual([
        'AdminCreateUser',
        'AdminDeleteUser',
        'AdminCreateUser',
        'AdminDeleteUser',
      ]);
      expect(await db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
      expect(
        await db
          .selectFrom('audit_events')
          .select('id')
          .where(sql<string>`details->'after'->>'email'`, '=', email)
          .execute(),
      ).toEqual([]);
    },
  );
});

describe('a machine client the API has not seen before', () => {
  it('is registered by its first request as a service account without a role: 403 until an admin gives it one', async () => {
    // Prepare: a client-credentials token of the pool's machine client, which has no row yet
    const machine = issuer.accessToken({
      sub: issuer.clientId,
      username: undefined,
      scope: 'parley/chat.read',
    });
    const list = () => call(conversations, { method: 'GET', path: '/api/conversations', token: machine });

    // Act
    const first = await list();

    // Assess: refused as a client without a role, and now listed for admins, audited once
    expect(first.status).toBe(403);
    expect((first.body as Problem).detail).toBe('Your role does not allow this.');
    const listed = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: issuer.clientId },
    });
    expect((listed.body as Page<AdminUserView & { kind: string }>).items).toContainEqual(
      expect.objectContaining({ id: issuer.clientId, kind: 'service', role: null, status: 'active' }),
    );
    const registered = await auditEvents(issuer.clientId);
    expect(registered.map((e) => [e.action, e.actor_id, e.request_id])).toEqual([
      ['service-account.registered', issuer.clientId, (first.body as Problem).requestId],
    ]);

    // Act: an admin gives it a role
    const patched = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${issuer.clientId}`,
      body: { role: 'members' },
    });

    // Assess: its next request is allowed, and nothing was registered twice
    expect(patched.status).toBe(200);
    expect((await list()).status).toBe(200);
    expect((await auditEvents(issuer.clientId)).map((e) => e.action)).toEqual([
      'service-account.registered',
      'user.role-change',
    ]);
  });
});

describe('PATCH /api/admin/users/{id}', () => {
  it('changes the role in Cognito and the database, with its audit event in the same transaction', async () => {
    // Prepare
    const target = await person('members');

    // Act
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${target.user.id}`,
      body: { role: 'auditors', monthlyTokens: 5000 },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: target.user.id, role: 'auditors', monthlyTokens: 5000 });
    expect([...(idp.users.get(target.user.email)?.groups ?? [])]).toEqual(['auditors']);
    // One transaction: both events have the same instant, so compare them in action order.
    const events = (await auditEvents(target.user.id)).sort((a, b) => b.action.localeCompare(a.action));
    expect(events.map((e) => [e.action, e.details, e.actor_id, e.request_id])).toEqual([
      [
        'user.role-change',
        { before: { role: 'members' }, after: { role: 'auditors' } },
        admin.user.id,
        response.headers['x-request-id'],
      ],
      [
        'user.quota-change',
        // before: null, the role's default applied.
        { before: { monthlyTokens: null }, after: { monthlyTokens: 5000 } },
        admin.user.id,
        response.headers['x-request-id'],
      ],
    ]);
    // One transaction: the user row version and the audit rows were written by the same one.
    const { rows } = await sql<{ same: boolean }>`
      select (select xmin::text from users where id = ${target.user.id}) =
             all (select xmin::text from audit_events where target_id = ${target.user.id}) as same`.execute(
      db,
    );
    expect(rows[0]?.same).toBe(true);
  });

  it('disables a user in the database and signs them out in Cognito, and enables them again', async () => {
    const target = await person('members');
    const path = `/api/admin/users/${target.user.id}`;

    const disabled = await as(admin.token, { method: 'PATCH', path, body: { status: 'disabled' } });
    expect(disabled.status).toBe(200);
    // Cognito's own flag stays on (it would answer "User is disabled." to any password).
    expect(idp.users.get(target.user.email)?.enabled).toBe(true);
    expect(idp.signedOut).toContain(target.user.email);
    const row = await db
      .selectFrom('users')
      .select('status')
      .where('id', '=', target.user.id)
      .executeTakeFirst();
    expect(row?.status).toBe('disabled');

    const enabled = await as(admin.token, { method: 'PATCH', path, body: { status: 'active' } });
    expect(enabled.status).toBe(200);
    expect(idp.users.get(target.user.email)?.enabled).toBe(true);
    expect((await auditEvents(target.user.id)).map((e) => e.action)).toEqual(['user.disable', 'user.enable']);
  });

  it.each([
    [{ role: 'members' }, /cannot demote yourself/],
    [{ status: 'disabled' }, /cannot disable yourself/],
  ])('refuses an admin who would change themself with %j (409)', async (body, detail) => {
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${admin.user.id}`,
      body,
    });
    expect(response.status).toBe(409);
    expect((response.body as Problem).detail).toMatch(detail);
    const row = await db.selectFrom('users').selectAll().where('id', '=', admin.user.id).executeTakeFirst();
    expect(row).toMatchObject({ role: 'admins', status: 'active' });
  });

  it('answers 404 for an unknown user', async () => {
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${randomUUID()}`,
      body: { role: 'members' },
    });
    expect(response.status).toBe(404);
  });

  it.each([
    [{}, 'body'],
    [{ role: 'owners' }, 'body.role'],
    [{ status: 'paused' }, 'body.status'],
    [{ monthlyTokens: -1 }, 'body.monthlyTokens'],
    [{ monthlyTokens: 1.5 }, 'body.monthlyTokens'],
    [{ monthlyTokens: 2 ** 31 }, 'body.monthlyTokens'],
    [{ role: 'members', email: 'x@example.test' }, 'body'],
  ])('refuses %j with a 400 naming %s', async (body, path) => {
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${member.user.id}`,
      body,
    });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('refuses an id with characters no user id has', async () => {
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/a%00b`,
      body: { role: 'members' },
    });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain('params.id');
  });

  it('refuses auditors and members', async () => {
    for (const token of [member.token, auditor.token]) {
      const response = await as(token, {
        method: 'PATCH',
        path: `/api/admin/users/${member.user.id}`,
        body: { role: 'admins' },
      });
      expect(response.status).toBe(403);
    }
  });
});

describe('Cognito and the database cannot drift apart (real PostgreSQL)', () => {
  const fn = `admin_test_refuse_commit_${run}`;
  const triggers: string[] = [];

  beforeAll(async () => {
    await sql
      .raw(
        `create function ${fn}() returns trigger language plpgsql as $$
         begin raise exception 'commit refused by the test'; end $$`,
      )
      .execute(db);
  });
  afterAll(async () => {
    for (const trigger of triggers) await sql.raw(`drop trigger if exists ${trigger} on users`).execute(db);
    await sql.raw(`drop function if exists ${fn}()`).execute(db);
  });

  /**
   * Makes the commit itself fail for changes to one user: a deferred constraint trigger runs at
   * COMMIT, after every statement (and every Cognito call) of the transaction succeeded.
   */
  async function refuseCommit(event: 'update' | 'insert', column: 'id' | 'email', value: string) {
    if (!/^[\w@.-]+$/.test(value)) throw new Error('unexpected characters for a trigger condition');
    const name = `admin_test_${randomBytes(4).toString('hex')}`;
    triggers.push(name);
    await sql
      .raw(
        `create constraint trigger ${name} after ${event} on users deferrable initially deferred
         for each row when (new.${column} = '${value}') execute function ${fn}()`,
      )
      .execute(db);
  }

  it('rolls the database and the audit event back when Cognito fails', async () => {
    // Prepare
    const target = await person('members');
    idp.failing.add('signOut');

    // Act
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${target.user.id}`,
      body: { status: 'disabled', monthlyTokens: 1 },
    });

    // Assess
    expect(response.status).toBe(500);
    const row = await db.selectFrom('users').selectAll().where('id', '=', target.user.id).executeTakeFirst();
    expect(row).toMatchObject({ status: 'active', monthly_token_quota: null });
    expect(await auditEvents(target.user.id)).toEqual([]);
  });

  it('undoes the Cognito change when the commit fails after it', async () => {
    // Prepare
    const target = await person('members');
    await refuseCommit('update', 'id', target.user.id);

    // Act
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${target.user.id}`,
      body: { role: 'auditors', status: 'disabled' },
    });

    // Assess: the database kept the old values, and Cognito was put back the way it was.
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toMatch(/commit refused|trigger|sql/i);
    const row = await db.selectFrom('users').selectAll().where('id', '=', target.user.id).executeTakeFirst();
    expect(row).toMatchObject({ role: 'members', status: 'active' });
    expect(await auditEvents(target.user.id)).toEqual([]);
    const cognito = idp.users.get(target.user.email);
    expect(cognito?.enabled).toBe(true);
    expect([...(cognito?.groups ?? [])]).toEqual(['members']);
    expect(idp.calls).toEqual([
      `removeFromGroup ${target.user.email} members`,
      `addToGroup ${target.user.email} auditors`,
      `signOut ${target.user.email}`,
      `removeFromGroup ${target.user.email} auditors`,
      `addToGroup ${target.user.email} members`,
    ]);
  });

  it('deletes the invited Cognito user again when the commit fails', async () => {
    const email = `refused-${run}@example.test`;
    await refuseCommit('insert', 'email', email);

    const response = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email, role: 'members' },
    });

    expect(response.status).toBe(500);
    expect(idp.users.has(email)).toBe(false);
    expect(idp.calls).toEqual([`createUser ${email}`, `addToGroup ${email} members`, `deleteUser ${email}`]);
    expect(await db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
  });

  it('leaves MFA on in the database when Cognito cannot turn it off', async () => {
    const target = await person('members', { mfa_enabled: true });
    idp.failing.add('setTotpMfa');

    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${target.user.id}/reset-mfa`,
    });

    expect(response.status).toBe(500);
    const row = await db.selectFrom('users').selectAll().where('id', '=', target.user.id).executeTakeFirst();
    expect(row?.mfa_enabled).toBe(true);
    expect(await auditEvents(target.user.id)).toEqual([]);
  });
});

describe('POST /api/admin/users/{id}/unlock · /sign-out · /reset-mfa · /resend-invitation', () => {
  it('unlock clears the sign-in attempts of the e-mail and audits it', async () => {
    const target = await person('members');
    await db
      .insertInto('sign_in_attempts')
      .values({ username: target.user.email, failed_count: 5, locked_until: new Date(Date.now() + 600_000) })
      .execute();

    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${target.user.id}/unlock`,
    });

    expect(response.status).toBe(204);
    expect(
      await db.selectFrom('sign_in_attempts').selectAll().where('username', '=', target.user.email).execute(),
    ).toEqual([]);
    expect(await auditEvents(target.user.id)).toMatchObject([
      { action: 'user.unlock', actor_id: admin.user.id, details: { before: { locked: true } } },
    ]);
  });

  it('sign-out signs the user out in Cognito and audits it', async () => {
    const target = await person('members');
    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${target.user.id}/sign-out`,
    });
    expect(response.status).toBe(204);
    expect(idp.signedOut).toContain(target.user.email);
    expect((await auditEvents(target.user.id)).map((e) => e.action)).toEqual(['user.sign-out']);
  });

  it('reset-mfa turns TOTP off in Cognito and in the database, and audits it', async () => {
    const target = await person('members', { mfa_enabled: true });
    const cognito = idp.users.get(target.user.email);
    if (cognito) cognito.totp = true;

    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${target.user.id}/reset-mfa`,
    });

    expect(response.status).toBe(204);
    expect(cognito?.totp).toBe(false);
    const row = await db.selectFrom('users').selectAll().where('id', '=', target.user.id).executeTakeFirst();
    expect(row?.mfa_enabled).toBe(false);
    expect(await auditEvents(target.user.id)).toMatchObject([
      { action: 'user.mfa-reset', details: { before: { mfaEnabled: true }, after: { mfaEnabled: false } } },
    ]);
  });

  it('resend-invitation sends a never-used invitation again and audits it', async () => {
    // Prepare: invited through the API, never signed in.
    const email = `resend-${run}-${randomUUID()}@example.test`;
    const invited = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email, role: 'members' },
    });
    const { id } = invited.body as AdminUserView;

    // Act
    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${id}/resend-invitation`,
    });

    // Assess
    expect(response.status).toBe(204);
    expect(idp.users.get(email)?.invitations).toBe(2);
    expect(await auditEvents(id)).toMatchObject([
      { action: 'user.invite', actor_id: admin.user.id },
      { action: 'user.invite-resent', actor_id: admin.user.id, request_id: response.headers['x-request-id'] },
    ]);
  });

  it('resend-invitation answers 409 for someone who has signed in, unaudited', async () => {
    const target = await person('members');
    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${target.user.id}/resend-invitation`,
    });
    expect(response.status).toBe(409);
    expect((response.body as Problem).detail).toMatch(/already signed in/);
    expect(await auditEvents(target.user.id)).toEqual([]);
  });

  it('resend-invitation answers 409 for a disabled person who never signed in: no e-mail, unaudited', async () => {
    // Prepare: invited (say to a wrong address), then disabled before they signed in.
    const email = `resend-disabled-${run}-${randomUUID()}@example.test`;
    const invited = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email, role: 'members' },
    });
    const { id } = invited.body as AdminUserView;
    const disabled = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${id}`,
      body: { status: 'disabled' },
    });
    expect(disabled.status).toBe(200);

    // Act
    const response = await as(admin.token, {
      method: 'POST',
      path: `/api/admin/users/${id}/resend-invitation`,
    });

    // Assess: refused with what to do; Cognito sent nothing (a disabled person cannot sign in with it)
    expect(response.status).toBe(409);
    expect((response.body as Problem).detail).toMatch(/disabled/);
    expect(idp.users.get(email)?.invitations).toBe(1);
    expect((await auditEvents(id)).map((e) => e.action)).toEqual(['user.invite', 'user.disable']);
  });

  it('resend-invitation answers 503 invitation-not-sent when Cognito cannot send it, unaudited', async () => {
    const email = `resend-limit-${run}-${randomUUID()}@example.test`;
    const invited = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email, role: 'members' },
    });
    const { id } = invited.body as AdminUserView;
    const original = idp.provider.resendInvitation;
    idp.provider.resendInvitation = () => Promise.reject(new InvitationNotSentError('email-limit'));
    try {
      const response = await as(admin.token, {
        method: 'POST',
        path: `/api/admin/users/${id}/resend-invitation`,
      });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('3600');
      expect(response.body).toMatchObject({ type: 'urn:parley:problem:invitation-not-sent' });
      expect((await auditEvents(id)).map((e) => e.action)).toEqual(['user.invite']);
    } finally {
      idp.provider.resendInvitation = original;
    }
  });

  it.each(['unlock', 'sign-out', 'reset-mfa', 'resend-invitation'])(
    '%s answers 404 for an unknown user, 403 to others',
    async (verb) => {
      const path = `/api/admin/users/${randomUUID()}/${verb}`;
      expect((await as(admin.token, { method: 'POST', path })).status).toBe(404);
      expect((await as(auditor.token, { method: 'POST', path })).status).toBe(403);
      expect((await as(member.token, { method: 'POST', path })).status).toBe(403);
      expect((await as(undefined, { method: 'POST', path })).status).toBe(401);
    },
  );

  it('sign-out and resend-invitation refuse a service account (409)', async () => {
    const robot = await createTestUser(db, {
      id: `robot${run}`,
      kind: 'service',
      email: `robot-${run}@clients`,
    });
    for (const verb of ['sign-out', 'resend-invitation']) {
      const response = await as(admin.token, {
        method: 'POST',
        path: `/api/admin/users/${robot.id}/${verb}`,
      });
      expect(response.status, verb).toBe(409);
    }
  });

  it.each(['__proto__', 'x%00y', '..%2F..%2Fetc', `${'a'.repeat(200)}`])(
    'resend-invitation refuses the id %s with 400 naming params.id, and calls Cognito for nothing',
    async (id) => {
      const response = await as(admin.token, {
        method: 'POST',
        path: `/api/admin/users/${id}/resend-invitation`,
      });
      expect(response.status).toBe(400);
      expect(problemPaths(response.body)).toContain('params.id');
      expect(idp.calls).toEqual([]);
    },
  );

  it.each(
    ['unlock', 'sign-out', 'reset-mfa'].flatMap((verb) =>
      ['__proto__', 'x%00y', '..%2F..%2Fetc', "1'%20OR%20'1'%3D'1", 'a'.repeat(200)].map((id) => [verb, id]),
    ),
  )('%s refuses the id %s with 400 naming params.id, and calls Cognito for nothing', async (verb, id) => {
    const response = await as(admin.token, { method: 'POST', path: `/api/admin/users/${id}/${verb}` });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain('params.id');
    expect(idp.calls).toEqual([]);
  });

  it('resend-invitation takes `constructor` as an id like any other: no such user', async () => {
    const response = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users/constructor/resend-invitation',
    });
    expect(response.status).toBe(404);
    expect(idp.calls).toEqual([]);
  });
});

describe('GET /api/admin/usage', () => {
  // A range no other test writes to.
  const days = ['2019-06-01', '2019-06-02'];
  let heavy: Awaited<ReturnType<typeof person>>;

  beforeAll(async () => {
    heavy = await person('members');
    for (const day of days)
      await db
        .insertInto('usage_daily')
        .values({
          user_id: heavy.user.id,
          day,
          model: `model-${run}`,
          requests: 2,
          prompt_tokens: 100,
          completion_tokens: 50,
          cost_micros: 1_250_000,
        })
        .execute();
  });

  it('sums tokens, requests and cost in dollars per user', async () => {
    const response = await as(auditor.token, {
      method: 'GET',
      path: '/api/admin/usage',
      query: { from: '2019-06-01', to: '2019-06-02', groupBy: 'user' },
    });
    expect(response.status).toBe(200);
    const report = response.body as { items: { key: string; email?: string; costUsd: number }[] };
    expect(report.items.find((r) => r.key === heavy.user.id)).toEqual({
      key: heavy.user.id,
      email: heavy.user.email,
      requests: 4,
      promptTokens: 200,
      completionTokens: 100,
      totalTokens: 300,
      costUsd: 2.5,
    });
  });

  it('groups by day, each day with its totals', async () => {
    const response = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/usage',
      query: { from: '2019-06-02', to: '2019-06-02', groupBy: 'day' },
    });
    const report = response.body as {
      items: { key: string; requests: number }[];
      totals: { requests: number };
    };
    expect(report.items.map((r) => r.key)).toEqual(['2019-06-02']);
    expect(report.totals.requests).toBe(report.items[0]?.requests);
  });

  it('defaults to this month by user', async () => {
    const response = await as(admin.token, { method: 'GET', path: '/api/admin/usage' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      groupBy: 'user',
      from: `${new Date().toISOString().slice(0, 7)}-01`,
    });
  });

  it.each([
    [{ from: '2026-02-30' }, 'query.from'],
    [{ from: '2026-13-01' }, 'query.from'],
    [{ to: '2026-3-1' }, 'query.to'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'query.from'],
    [{ from: '2024-01-01', to: '2025-01-01' }, 'query.to'],
    [{ groupBy: 'model' }, 'query.groupBy'],
    [{ from: '2026-03-01\u0000' }, 'query.from'],
    [JSON.parse('{"__proto__":"x"}') as Record<string, string>, 'query'],
  ])('refuses %j with a 400 naming %s', async (query, path) => {
    const response = await as(admin.token, { method: 'GET', path: '/api/admin/usage', query });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('accepts a whole leap year (366 days)', async () => {
    const response = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/usage',
      query: { from: '2024-01-01', to: '2024-12-31' },
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['0001-01-01', '0001-12-31'],
    ['9999-01-01', '9999-12-31'],
  ])('takes the days from %s to %s, by day too: none used', async (from, to) => {
    for (const groupBy of ['user', 'day']) {
      const response = await as(admin.token, {
        method: 'GET',
        path: '/api/admin/usage',
        query: { from, to, groupBy },
      });
      expect(response.status).toBe(200);
      expect((response.body as { totals: { requests: number } }).totals.requests).toBe(0);
    }
  });

  it('refuses members', async () => {
    expect((await as(member.token, { method: 'GET', path: '/api/admin/usage' })).status).toBe(403);
  });
});

describe('GET /api/admin/audit', () => {
  it('lists events newest first with filters and keyset pages, for auditors too', async () => {
    // Prepare: three changes to one user.
    const target = await person('members');
    for (const monthlyTokens of [1, 2, 3])
      await as(admin.token, {
        method: 'PATCH',
        path: `/api/admin/users/${target.user.id}`,
        body: { monthlyTokens },
      });

    // Act
    const first = await auditListing(
      auditor.token,
      { target: target.user.id, action: 'user.quota-change', actor: admin.user.id, limit: '2' },
      2,
    );
    const firstPage = first.body as Page<{ details: { after: { monthlyTokens: number } } }>;
    const second = await auditListing(
      auditor.token,
      { target: target.user.id, limit: '2', cursor: firstPage.nextCursor ?? '' },
      1,
    );

    // Assess
    expect(first.status).toBe(200);
    expect(firstPage.items.map((e) => e.details.after.monthlyTokens)).toEqual([3, 2]);
    expect((second.body as Page<unknown>).items).toHaveLength(1);
    expect((second.body as Page<unknown>).nextCursor).toBeNull();
  });

  it('filters by days (UTC, both ends included)', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const response = await auditListing(
      admin.token,
      { actor: admin.user.id, from: today, to: today, limit: '1' },
      1,
    );
    expect((response.body as Page<unknown>).items).toHaveLength(1);
    const past = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/audit',
      query: { actor: admin.user.id, from: '2019-01-01', to: '2019-01-02' },
    });
    expect((past.body as Page<unknown>).items).toEqual([]);
  });

  // The last day of year 9999 was a 500 (its next day, year 10000, is beyond ISO text), and the
  // first days of the calendar a 400 (Date.UTC reads years 0-99 as 1900-1999).
  it('takes the first and the last day of the calendar as days', async () => {
    const response = await auditListing(
      admin.token,
      { actor: admin.user.id, from: '0001-01-01', to: '9999-12-31', limit: '1' },
      1,
    );
    expect(response.status).toBe(200);
    expect((response.body as Page<unknown>).items).toHaveLength(1);
  });

  it.each([
    [
      {
        cursor: Buffer.from(JSON.stringify({ at: '2026-02-30T00:00:00.000000Z', id: randomUUID() })).toString(
          'base64url',
        ),
      },
      'query.cursor',
    ],
    [{ cursor: '!!!' }, 'query.cursor'],
    [{ from: '2026-02-29' }, 'query.from'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'query.from'],
    [{ actor: 'x'.repeat(255) }, 'query.actor'],
    [{ target: 'x'.repeat(129) }, 'query.target'],
    [{ target: 'a\u0000' }, 'query.target'],
    [{ action: 'a\u0000' }, 'query.action'],
    [{ limit: 'many' }, 'query.limit'],
    [{ constructor: 'x' }, 'query'],
  ])('refuses %j with a 400 naming %s, never a 500', async (query, path) => {
    const response = await as(admin.token, { method: 'GET', path: '/api/admin/audit', query });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('takes injection payloads in its filters as text to match: nothing matches, nothing breaks', async () => {
    for (const value of ["' OR '1'='1", "x'); DELETE FROM audit_events; --", '%', '_']) {
      const response = await as(auditor.token, {
        method: 'GET',
        path: '/api/admin/audit',
        query: { actor: value, action: value, target: value },
      });
      expect(response.status, value).toBe(200);
      expect((response.body as Page<unknown>).items, value).toEqual([]);
    }
    expect((await db.selectFrom('audit_events').select('id').limit(1).execute()).length).toBe(1);
  });

  it('refuses members', async () => {
    expect((await as(member.token, { method: 'GET', path: '/api/admin/audit' })).status).toBe(403);
  });
});

describe("an admin's change takes effect on the user's very next request", () => {
  /** A live token issued a few seconds ago, before anything an admin does below. */
  const liveToken = (user: { id: string; email: string }, role: Role) =>
    issuer.accessToken({
      sub: user.id,
      username: user.email,
      'cognito:groups': [role],
      iat: Math.floor(Date.now() / 1000) - 5,
    });
  const me = (token: string) => call(users, { method: 'GET', path: '/api/me', token });

  it.each([
    ['a disable', 'PATCH', '', { status: 'disabled' }, 'user.disable'],
    ['a role change', 'PATCH', '', { role: 'auditors' }, 'user.role-change'],
    ['a sign-out everywhere', 'POST', '/sign-out', undefined, 'user.sign-out'],
  ] as const)(
    'refuses the live token with 401 after %s, audited with the admin as actor',
    async (_c, method, suffix, body, action) => {
      // Prepare: the member's token works.
      const target = await person('members');
      const token = liveToken(target.user, 'members');
      expect((await me(token)).status).toBe(200);

      // Act
      const change = await as(admin.token, {
        method,
        path: `/api/admin/users/${target.user.id}${suffix}`,
        ...(body ? { body } : {}),
      });

      // Assess
      expect(change.status).toBeLessThan(300);
      const refused = await me(token);
      expect(refused.status).toBe(401);
      expect((refused.body as Problem).detail).toBe('The access token was revoked; sign in again.');
      const audited = (await auditEvents(target.user.id)).find((e) => e.action === action);
      expect(audited?.actor_id).toBe(admin.user.id);
    },
  );
});

describe('POST /api/me/sign-out (its Cognito adapter, Cognito on loopback)', () => {
  let cognito: AwsJsonTestServer | undefined;
  afterEach(async () => {
    await cognito?.close();
    cognito = undefined;
  });

  async function signingOut(answer: () => ReturnType<typeof awsJsonError> | { status: number }) {
    cognito = await startAwsJsonTestServer({
      service: 'cognito-idp',
      targetPrefix: 'AWSCognitoIdentityProviderService',
      answer: () => answer(),
    });
    const client = clientOf(cognito, 1);
    setUserDependencies({ sessions: () => cognitoSessions(client, 'eu-west-1_Test') });
    return cognito;
  }
  const liveToken = (user: { id: string; email: string }) =>
    issuer.accessToken({
      sub: user.id,
      username: user.email,
      'cognito:groups': ['members'],
      iat: Math.floor(Date.now() / 1000) - 5,
    });
  const signOut = (token: string) => call(users, { method: 'POST', path: '/api/me/sign-out', token });
  const me = (token: string) => call(users, { method: 'GET', path: '/api/me', token });

  it("revokes the person's refresh tokens with Cognito, then refuses their access tokens, audited", async () => {
    const server = await signingOut(() => ({ status: 200 }));
    const member = await person('members');
    const token = liveToken(member.user);

    const response = await signOut(token);

    expect(response.status).toBe(204);
    expect(server.calls.map((c) => [c.operation, c.body])).toEqual([
      ['AdminUserGlobalSignOut', { UserPoolId: 'eu-west-1_Test', Username: member.user.email }],
    ]);
    expect((await me(token)).status).toBe(401);
    const audited = (await auditEvents(member.user.id)).find((e) => e.action === 'auth.sign-out-everywhere');
    expect(audited?.actor_id).toBe(member.user.id);
  });

  it('answers 503 with Retry-After when Cognito fails, and records nothing: the token still works', async () => {
    await signingOut(() => awsJsonError(500, 'InternalErrorException', 'Internal error (secret detail)'));
    const member = await person('members');
    const token = liveToken(member.user);

    const response = await signOut(token);

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(JSON.stringify(response.body)).not.toContain('secret detail');
    expect((await me(token)).status).toBe(200);
    expect((await auditEvents(member.user.id)).map((e) => e.action)).not.toContain(
      'auth.sign-out-everywhere',
    );
  });

  it('signs out a person Cognito no longer has: nothing left there to end', async () => {
    await signingOut(() => awsJsonError(400, 'UserNotFoundException', 'User does not exist.'));
    const member = await person('members');
    const token = liveToken(member.user);

    expect((await signOut(token)).status).toBe(204);
    expect((await me(token)).status).toBe(401);
  });
});

describe('a quota change reaches the chat at once', () => {
  it("drops the user's cached monthly usage and bumps its version when an admin changes the quota", async () => {
    // Prepare: what the chat cached before sending (see chat/adapters/cached-monthly-usage.ts).
    const target = await person('members');
    const key = monthlyUsageKey(target.user.id, new Date());
    await getCache().set(key, JSON.stringify({ used: 10, quota: 10, version: 0 }), 60);

    // Act
    const response = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${target.user.id}`,
      body: { monthlyTokens: 5000 },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await getCache().get(key)).toBeNull();
    // So an entry a reply ending meanwhile writes back, read before the change, is out of date.
    expect(await getCache().get(monthlyUsageVersionKey(target.user.id, new Date()))).toBe('1');
  });
});

describe('MFA for admins and auditors where the pool makes it optional (MFA_REQUIRED_ROLES)', () => {
  beforeAll(() => {
    process.env.MFA_REQUIRED_ROLES = 'admins,auditors';
    resetConfig();
  });
  afterAll(() => {
    delete process.env.MFA_REQUIRED_ROLES;
    resetConfig();
  });

  it('refuses an admin and an auditor without TOTP with 403 mfa-required, and lets them in once it is on', async () => {
    const newAdmin = await person('admins');
    const newAuditor = await person('auditors');
    const tries: [typeof newAdmin, string][] = [
      [newAdmin, '/api/admin/users'],
      [newAuditor, '/api/admin/audit'],
    ];
    for (const [who, path] of tries) {
      const refused = await as(who.token, { method: 'GET', path });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        type: expect.stringMatching(/mfa-required$/),
        detail: expect.stringMatching(/two-factor authentication: enrol an authenticator app/),
      });
    }
    // /me stays open, so the app can say why: Two-factor: Off.
    const me = await call(users, { method: 'GET', path: '/api/me', token: newAdmin.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'admins', mfaEnabled: false });

    // What post-authentication records once the TOTP is set up. On AWS the triggers reach no cache,
    // so the standing the refusals above cached (no TOTP) stays there.
    for (const [who] of tries) {
      await db.updateTable('users').set({ mfa_enabled: true }).where('id', '=', who.user.id).execute();
      expect(JSON.parse((await getCache().get(`token-standing:${who.user.id}`)) ?? '{}')).toMatchObject({
        mfaEnabled: false,
      });
    }
    // Let in at once, as the refusal promised, not after the cache's 30 s.
    for (const [who, path] of tries) expect((await as(who.token, { method: 'GET', path })).status).toBe(200);
  });

  it('lets members in without TOTP', async () => {
    const someone = await person('members');
    const me = await call(users, { method: 'GET', path: '/api/me', token: someone.token });
    expect(me.status).toBe(200);
  });
});

describe('where audited requests came from', () => {
  /** A PATCH as API Gateway passes it on: the caller's address in the request context. */
  async function patchFrom(sourceIp: string | undefined, userAgent: string | undefined, id: string) {
    const event = proxyEvent({
      method: 'PATCH',
      path: `/api/admin/users/${id}`,
      token: admin.token,
      body: { monthlyTokens: 1234 },
      ...(userAgent === undefined ? {} : { headers: { 'User-Agent': userAgent } }),
    });
    const context = event.requestContext as unknown as Record<string, unknown>;
    if (sourceIp !== undefined) context.identity = { sourceIp };
    const result = await handler(event, lambdaContext({ awsRequestId: event.requestContext.requestId }));
    expect(result.statusCode).toBe(200);
    return event.requestContext.requestId;
  }

  it('records the source address and user agent of the request with the event', async () => {
    const target = await person('members');
    const requestId = await patchFrom(
      '203.0.113.7',
      'Mozilla/5.0 (X11; Linux x86_64) Parley-Test',
      target.user.id,
    );

    const [event] = await auditEvents(target.user.id);
    expect(event).toMatchObject({
      action: 'user.quota-change',
      actor_id: admin.user.id,
      request_id: requestId,
      source_ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Parley-Test',
    });
    const listed = await auditListing(admin.token, { target: target.user.id }, 1);
    expect((listed.body as { items: unknown[] }).items[0]).toMatchObject({
      sourceIp: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Parley-Test',
    });
  });

  it('stores null when the request says nothing, and strips control characters and length', async () => {
    const quiet = await person('members');
    await patchFrom(undefined, undefined, quiet.user.id);
    expect((await auditEvents(quiet.user.id))[0]).toMatchObject({ source_ip: null, user_agent: null });

    const noisy = await person('members');
    await patchFrom('198.51.100.1', `evil\u0007agent${'x'.repeat(2000)}`, noisy.user.id);
    const [event] = await auditEvents(noisy.user.id);
    expect(event?.user_agent).toMatch(/^evilagentx+$/);
    expect(event?.user_agent).toHaveLength(512);
  });
});

describe('DELETE /api/admin/users/{id} (erase)', () => {
  /** A member with a conversation, a rated reply, usage, failed sign-ins and a download slot, then disabled. */
  async function leaver() {
    const target = await person('members');
    const created = await call(conversations, {
      method: 'POST',
      path: '/api/conversations',
      token: target.token,
      body: { title: 'Mine' },
    });
    const conversationId = (created.body as { id: string }).id;
    const reply = await db
      .insertInto('messages')
      .values({ conversation_id: conversationId, owner_id: target.user.id, role: 'assistant', content: 'Hi' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('message_feedback')
      .values({ message_id: reply.id, owner_id: target.user.id, rating: 'up' })
      .execute();
    await db
      .insertInto('usage_daily')
      .values({
        user_id: target.user.id,
        day: '2026-01-05',
        model: 'm',
        prompt_tokens: 3,
        completion_tokens: 4,
        cost_micros: 1,
      })
      .execute();
    await db
      .insertInto('sign_in_attempts')
      .values({ username: target.user.email.toLowerCase(), failed_count: 2 })
      .execute();
    // A download of theirs whose function died: its slot would otherwise wait to expire.
    await db
      .insertInto('download_slots')
      .values({
        owner_id: target.user.id,
        slot: 0,
        token: randomUUID(),
        expires_at: new Date(Date.now() + 60_000),
      })
      .execute();
    const disabled = await as(admin.token, {
      method: 'PATCH',
      path: `/api/admin/users/${target.user.id}`,
      body: { status: 'disabled' },
    });
    expect(disabled.status).toBe(200);
    return { ...target, conversationId };
  }
  /** As if the disable happened `minutes` ago. */
  const disabledMinutesAgo = (id: string, minutes: number) =>
    db
      .updateTable('users')
      .set({ tokens_valid_after: new Date(Date.now() - minutes * 60_000) })
      .where('id', '=', id)
      .execute();
  const erase = (token: string, id: string) =>
    as(token, { method: 'DELETE', path: `/api/admin/users/${id}` });
  const remains = async (id: string, email: string) => ({
    users: await db.selectFrom('users').select('id').where('id', '=', id).execute(),
    conversations: await db.selectFrom('conversations').select('id').where('owner_id', '=', id).execute(),
    messages: await db.selectFrom('messages').select('id').where('owner_id', '=', id).execute(),
    feedback: await db
      .selectFrom('message_feedback')
      .select('message_id')
      .where('owner_id', '=', id)
      .execute(),
    usage: await db.selectFrom('usage_daily').select('model').where('user_id', '=', id).execute(),
    attempts: await db
      .selectFrom('sign_in_attempts')
      .select('username')
      .where('username', '=', email.toLowerCase())
      .execute(),
    downloadSlots: await db.selectFrom('download_slots').select('slot').where('owner_id', '=', id).execute(),
  });

  it('erases a user disabled over an hour ago with everything theirs, in Cognito too, audited with counts only', async () => {
    // Prepare
    const target = await leaver();
    await disabledMinutesAgo(target.user.id, 61);

    // Act
    const response = await erase(admin.token, target.user.id);
    const again = await erase(admin.token, target.user.id);

    // Assess
    expect(response.status).toBe(204);
    expect(await remains(target.user.id, target.user.email)).toEqual({
      users: [],
      conversations: [],
      messages: [],
      feedback: [],
      usage: [],
      attempts: [],
      downloadSlots: [],
    });
    expect(idp.users.has(target.user.email)).toBe(false);
    const events = await auditEvents(target.user.id);
    expect(events.at(-1)).toMatchObject({
      actor_id: admin.user.id,
      action: 'user.erase',
      details: { conversations: 1, messages: 1 },
    });
    expect(JSON.stringify(events.at(-1))).not.toContain(target.user.email);
    expect(again.status).toBe(404);
  });

  it("leaves an invited person's address in no audit event once they are erased; until then the trail names them by it", async () => {
    // Prepare: a person invited through the API, so their trail starts with user.invite
    const email = `invited-leaver-${randomUUID()}@example.test`;
    const invited = await as(admin.token, {
      method: 'POST',
      path: '/api/admin/users',
      body: { email, role: 'members' },
    });
    expect(invited.status).toBe(201);
    const { id } = invited.body as AdminUserView;
    type Listed = Page<{ action: string; targetEmail: string | null; details: Record<string, unknown> }>;
    const trailOf = async (events: number) =>
      (await auditListing(auditor.token, { target: id }, events)).body as Listed;
    const before = await trailOf(1);
    await as(admin.token, { method: 'PATCH', path: `/api/admin/users/${id}`, body: { status: 'disabled' } });
    await disabledMinutesAgo(id, 61);

    // Act
    const response = await erase(admin.token, id);

    // Assess: named by their address now while they exist, in no event's stored details
    expect(response.status).toBe(204);
    expect(before.items.find((event) => event.action === 'user.invite')).toMatchObject({
      targetEmail: email,
      details: { after: { role: 'members', status: 'active', monthlyTokens: null } },
    });
    const events = await auditEvents(id);
    expect(events.map((event) => event.action)).toEqual(['user.invite', 'user.disable', 'user.erase']);
    expect(JSON.stringify(events)).not.toContain(email);
    const after = await trailOf(3);
    expect(after.items.map((event) => event.targetEmail)).toEqual([null, null, null]);
    expect(JSON.stringify(after)).not.toContain(email);
  });

  it('refuses a user disabled less than an hour ago, and an active one, erasing nothing (409)', async () => {
    const target = await leaver();
    await disabledMinutesAgo(target.user.id, 30);
    const tooSoon = await erase(admin.token, target.user.id);
    expect(tooSoon.status).toBe(409);
    expect((tooSoon.body as Problem).detail).toMatch(
      /less than an hour ago.*Erase them from \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );

    const listed = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: target.user.email },
    });
    const [shown] = (listed.body as Page<{ disabledAt: string | null }>).items;
    expect(Date.now() - Date.parse(shown?.disabledAt ?? '')).toBeGreaterThanOrEqual(30 * 60_000 - 5_000);
    expect(Date.now() - Date.parse(shown?.disabledAt ?? '')).toBeLessThan(31 * 60_000);

    const active = await person('members');
    const activeListed = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { q: active.user.email },
    });
    expect((activeListed.body as Page<{ disabledAt: string | null }>).items[0]?.disabledAt).toBeNull();
    const refused = await erase(admin.token, active.user.id);
    expect(refused.status).toBe(409);
    expect((refused.body as Problem).detail).toMatch(/Disable the user first/);
    expect((await remains(target.user.id, target.user.email)).conversations).toHaveLength(1);
    expect((await remains(active.user.id, active.user.email)).users).toHaveLength(1);
  });

  it('erases nothing when Cognito fails, and finishes on a second try once Cognito has let the user go', async () => {
    const target = await leaver();
    await disabledMinutesAgo(target.user.id, 90);
    idp.failing.add('deleteUser');
    expect((await erase(admin.token, target.user.id)).status).toBe(500);
    expect((await remains(target.user.id, target.user.email)).messages).toHaveLength(1);

    idp.failing.clear();
    idp.users.delete(target.user.email);
    expect((await erase(admin.token, target.user.id)).status).toBe(204);
    expect((await remains(target.user.id, target.user.email)).users).toEqual([]);
  });

  it('refuses yourself and service accounts (409), unknown ids (404) and hostile ids (400)', async () => {
    expect((await erase(admin.token, admin.user.id)).status).toBe(409);
    const robot = await createTestUser(db, {
      id: `client-${run}`,
      kind: 'service',
      role: 'members',
      status: 'disabled',
    });
    expect((await erase(admin.token, robot.id)).status).toBe(409);
    expect((await erase(admin.token, randomUUID())).status).toBe(404);
    for (const id of ["x' or '1'='1", '..%2F..%2Fetc', '%00']) {
      const response = await erase(admin.token, id);
      expect(response.status, id).toBe(400);
      expect(problemPaths(response.body)).toContain('params.id');
    }
  });

  it('refuses auditors and members (403)', async () => {
    const target = await leaver();
    await disabledMinutesAgo(target.user.id, 61);
    for (const token of [member.token, auditor.token])
      expect((await erase(token, target.user.id)).status).toBe(403);
    expect((await remains(target.user.id, target.user.email)).users).toHaveLength(1);
  });
});

describe('GET /api/admin/users: last sign-in and dormant accounts', () => {
  it('shows when each person last signed in, and inactiveDays finds those who have not for that long', async () => {
    // Prepare: one who signed in 100 days ago, one yesterday, one never (added now)
    const dormant = await person('members');
    const recent = await person('members');
    const never = await person('members');
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    await db
      .updateTable('users')
      .set({ last_sign_in_at: daysAgo(100) })
      .where('id', '=', dormant.user.id)
      .execute();
    await db
      .updateTable('users')
      .set({ last_sign_in_at: daysAgo(1) })
      .where('id', '=', recent.user.id)
      .execute();
    const ours = [dormant, recent, never].map((p) => p.user.id);
    const listed = async (query: Record<string, string>) =>
      (
        (
          await as(admin.token, {
            method: 'GET',
            path: '/api/admin/users',
            query: { q: `p-${run}`, limit: '200', ...query },
          })
        ).body as Page<{ id: string; lastSignInAt: string | null }>
      ).items.filter((u) => ours.includes(u.id));

    // Act
    const all = await listed({});
    const dormant90 = await listed({ inactiveDays: '90' });

    // Assess
    expect(
      Date.now() - Date.parse(all.find((u) => u.id === dormant.user.id)?.lastSignInAt ?? ''),
    ).toBeGreaterThan(99 * 86_400_000);
    expect(all.find((u) => u.id === never.user.id)?.lastSignInAt).toBeNull();
    expect(dormant90.map((u) => u.id)).toEqual([dormant.user.id]);
    // Never signed in counts from when they were added: today, so not dormant yet.
    expect((await listed({ inactiveDays: '1' })).map((u) => u.id).sort()).toEqual(
      [dormant.user.id, recent.user.id].sort(),
    );
  });

  it.each(['0', '3651', '1.5', 'x', '-3'])('refuses inactiveDays=%s with a 400 naming it', async (value) => {
    const response = await as(admin.token, {
      method: 'GET',
      path: '/api/admin/users',
      query: { inactiveDays: value },
    });
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain('query.inactiveDays');
  });
});
