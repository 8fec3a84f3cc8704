import { randomUUID } from 'node:crypto';

import type {
  PostAuthenticationTriggerEvent,
  PostConfirmationTriggerEvent,
  PreAuthenticationTriggerEvent,
  PreTokenGenerationTriggerEvent,
  PreTokenGenerationV2TriggerEvent,
} from 'aws-lambda';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';

import { closeSql } from '#shared/db/sql-database';
import type { Role } from '#shared/db/schema';
import { resetConfig } from '#shared/config';
import { logger, metrics } from '#shared/powertools';
import { createTestUser, testDatabase } from '#test/support/database';
import { fakeMfaSettings, fakeSessions } from '#test/support/fakes/auth';
import { attemptKey } from '../domain/attempt-key';
import { SIGN_IN_BLOCKED_MESSAGE, SIGN_IN_UNAVAILABLE_MESSAGE } from '../domain/sign-in';
import { setTriggerDependencies } from './dependencies';
import { handler as postAuthentication } from './post-authentication';
import { handler as postConfirmation } from './post-confirmation';
import { handler as preAuthentication } from './pre-authentication';
import { handler as preTokenGeneration } from './pre-token-generation';

const db = testDatabase();
/** Cognito is the edge: whose TOTP is on, by user name (the `sub` in these events). */
const mfa = fakeMfaSettings();
/** Cognito's global sign-out: whom it was asked to sign out everywhere. */
const sessions = fakeSessions();

beforeAll(() => {
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: inject('databaseUrl'),
    COGNITO_USER_POOL_ID: 'local_Triggers1',
    COGNITO_CLIENT_IDS: 'test-client',
    WEB_ORIGIN: 'http://localhost:5173',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  resetConfig();
  setTriggerDependencies({ mfa, sessions });
});

afterAll(async () => {
  setTriggerDependencies({});
  await closeSql();
  await db.destroy();
});

const common = {
  version: '1',
  region: 'local',
  userPoolId: 'local_Triggers1',
  callerContext: { awsSdkVersion: 'test', clientId: 'test-client' },
};

function preAuth(email: string, sub?: string): PreAuthenticationTriggerEvent {
  return {
    ...common,
    triggerSource: 'PreAuthentication_Authentication',
    userName: sub ?? email,
    request: { userAttributes: sub ? { sub, email } : {}, ...(sub ? {} : { userNotFound: true }) },
    response: {},
  };
}

function postAuth(email: string, sub: string, name?: string): PostAuthenticationTriggerEvent {
  return {
    ...common,
    triggerSource: 'PostAuthentication_Authentication',
    userName: sub,
    request: { userAttributes: { sub, email, ...(name ? { name } : {}) }, newDeviceUsed: false },
    response: {},
  };
}

/** A V1 token-generation event (the local emulator's shape) with the user's Cognito groups. */
function tokenEvent(sub: string, groups: string[]): PreTokenGenerationTriggerEvent {
  return {
    ...common,
    triggerSource: 'TokenGeneration_Authentication',
    userName: sub,
    request: { userAttributes: { sub }, groupConfiguration: { groupsToOverride: groups } },
    response: { claimsOverrideDetails: {} },
  } as PreTokenGenerationTriggerEvent;
}

const uniqueEmail = () => `Trigger-${randomUUID()}@Example.test`;

describe('pre-authentication + post-authentication', () => {
  it('locks after 5 attempts, refuses the 6th, records the audit; a success resets the counter', async () => {
    const email = uniqueEmail();
    const user = await createTestUser(db, { email });
    for (let i = 0; i < 5; i++) await preAuthentication(preAuth(email, user.id));

    const row = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', '=', email.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(row.failed_count).toBe(5);
    expect(row.locked_until?.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);

    await expect(preAuthentication(preAuth(email, user.id))).rejects.toThrow(SIGN_IN_BLOCKED_MESSAGE);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('actor_id', '=', user.id)
      .orderBy('occurred_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['auth.account-locked', 'auth.sign-in-blocked']);
    expect(audit[1]?.details).toMatchObject({ reason: 'locked' });

    await postAuthentication(postAuth(email, user.id));
    const reset = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', '=', email.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(reset).toMatchObject({ failed_count: 0, locked_until: null });
    await expect(preAuthentication(preAuth(email, user.id))).resolves.toBeDefined();
  });

  it('counts the lockout in the Lockouts metric once, at the attempt that locks the account', async () => {
    // Prepare: the real adapters; only the metric call is watched (EMF is off in tests).
    const email = uniqueEmail();
    const user = await createTestUser(db, { email });
    const counted = vi.spyOn(metrics, 'addMetric');
    const lockouts = () => counted.mock.calls.filter(([name]) => name === 'Lockouts');

    try {
      // Act and Assess: four attempts count nothing, the fifth locks, the sixth is refused.
      for (let i = 0; i < 4; i++) await preAuthentication(preAuth(email, user.id));
      expect(lockouts()).toEqual([]);
      await preAuthentication(preAuth(email, user.id));
      expect(lockouts()).toEqual([['Lockouts', 'Count', 1]]);
      await expect(preAuthentication(preAuth(email, user.id))).rejects.toThrow(SIGN_IN_BLOCKED_MESSAGE);
      expect(lockouts()).toEqual([['Lockouts', 'Count', 1]]);
    } finally {
      counted.mockRestore();
    }
  });

  it("counts and audits a disabled user's attempt and lets it on to the password check", async () => {
    const user = await createTestUser(db, { status: 'disabled' });
    await expect(preAuthentication(preAuth(user.email, user.id))).resolves.toBeDefined();
    const row = await db
      .selectFrom('sign_in_attempts')
      .select('failed_count')
      .where('username', '=', user.email.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(row.failed_count).toBe(1);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('actor_id', '=', user.id)
      .execute();
    expect(audit).toEqual([{ action: 'auth.sign-in-blocked', details: { reason: 'disabled' } }]);
  });

  it('post-authentication refuses a disabled user: no reset, no sign-in audited', async () => {
    const user = await createTestUser(db, { status: 'disabled' });
    await preAuthentication(preAuth(user.email, user.id));
    await expect(postAuthentication(postAuth(user.email, user.id))).rejects.toThrow(SIGN_IN_BLOCKED_MESSAGE);
    const row = await db
      .selectFrom('sign_in_attempts')
      .select('failed_count')
      .where('username', '=', user.email.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(row.failed_count).toBe(1);
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', user.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['auth.sign-in-blocked']);
  });

  it('counts concurrent attempts on an unknown name without losing any', async () => {
    const email = uniqueEmail();
    await Promise.all(Array.from({ length: 4 }, () => preAuthentication(preAuth(email))));
    const row = await db
      .selectFrom('sign_in_attempts')
      .select('failed_count')
      .where('username', '=', email.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(row.failed_count).toBe(4);
  });

  it('counts and locks names no account can have (NUL, a lone surrogate, longer than any e-mail) like any unknown name', async () => {
    // 7 KB of random hex: too long for an index entry even compressed (2,704 bytes at most).
    const long = `${Array.from({ length: 200 }, () => randomUUID()).join('')}@example.test`;
    for (const name of [
      `Nul-\u0000-${randomUUID()}@example.test`,
      `Lone-\ud800-${randomUUID()}@example.test`,
      long,
    ]) {
      for (let i = 0; i < 5; i += 1) await preAuthentication(preAuth(name));
      // The sixth is refused as locked, with the lock audited (`details` is jsonb: no NUL either).
      await expect(preAuthentication(preAuth(name))).rejects.toThrow(SIGN_IN_BLOCKED_MESSAGE);
      const row = await db
        .selectFrom('sign_in_attempts')
        .select(['failed_count', 'locked_until'])
        .where('username', '=', attemptKey(name))
        .executeTakeFirstOrThrow();
      expect(row.failed_count).toBe(5);
      expect(row.locked_until?.getTime()).toBeGreaterThan(Date.now());
      const audit = await db
        .selectFrom('audit_events')
        .select('action')
        .where(sql<boolean>`details->>'username' = ${attemptKey(name)}`)
        .execute();
      expect(audit.map((a) => a.action).sort()).toEqual(['auth.account-locked', 'auth.sign-in-blocked']);
    }
  });

  it("post-authentication provisions a new row with the display name and audits the sign-in; the token generation stores the group's role", async () => {
    const sub = randomUUID();
    const email = uniqueEmail();
    await postAuthentication(postAuth(email, sub, 'Grace Hopper'));
    // Cognito's post-authentication event carries no groups: the row has no role yet.
    expect(
      await db.selectFrom('users').select('role').where('id', '=', sub).executeTakeFirstOrThrow(),
    ).toEqual({ role: null });
    await preTokenGeneration(tokenEvent(sub, ['members']));
    await postAuthentication(postAuth(email, sub));
    const row = await db.selectFrom('users').selectAll().where('id', '=', sub).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email, display_name: 'Grace Hopper', role: 'members', status: 'active' });
    const audit = await db.selectFrom('audit_events').select('action').where('actor_id', '=', sub).execute();
    expect(audit.map((a) => a.action)).toEqual(['auth.sign-in', 'auth.sign-in']);
    const roleChanges = await db
      .selectFrom('audit_events')
      .select('details')
      .where('target_id', '=', sub)
      .where('action', '=', 'user.role-change')
      .execute();
    expect(roleChanges.map((c) => c.details)).toEqual([
      { before: { role: null }, after: { role: 'members' }, source: 'cognito-group' },
    ]);
  });

  it("gives a person put in the admins group in Cognito the stored role admins at their sign-in's token generation, audited once", async () => {
    // Prepare: the first admin's setup (admin-create-user, admin-add-user-to-group), then a sign-in.
    const sub = randomUUID();
    const email = uniqueEmail();
    await postAuthentication(postAuth(email, sub));

    // Act: the sign-in's tokens, then a refresh.
    const first = (await preTokenGeneration(tokenEvent(sub, ['admins']))) as PreTokenGenerationTriggerEvent;
    await preTokenGeneration(tokenEvent(sub, ['admins']));

    // Assess: the row holds the role, with one role change on record (no actor: Cognito gave it).
    expect(first.response.claimsOverrideDetails.groupOverrideDetails?.groupsToOverride).toEqual(['admins']);
    const row = await db.selectFrom('users').select('role').where('id', '=', sub).executeTakeFirstOrThrow();
    expect(row.role).toBe('admins');
    const changes = await db
      .selectFrom('audit_events')
      .select(['actor_id', 'action', 'target_type', 'details'])
      .where('target_id', '=', sub)
      .where('action', '=', 'user.role-change')
      .execute();
    expect(changes).toEqual([
      {
        actor_id: null,
        action: 'user.role-change',
        target_type: 'user',
        details: { before: { role: null }, after: { role: 'admins' }, source: 'cognito-group' },
      },
    ]);
  });

  it("refuses a user re-created in Cognito (a new sub with a known e-mail) with the generic text, giving them no one's row", async () => {
    // Prepare
    const existing = await createTestUser(db, { email: uniqueEmail(), role: 'admins' });
    const newSub = randomUUID();
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const counted = vi.spyOn(metrics, 'addMetric');

    // Act
    const error = await postAuthentication(postAuth(existing.email, newSub))
      .catch((e: unknown) => e)
      .finally(() => vi.restoreAllMocks());

    // Assess: reported as identity drift, with the ids and without the address.
    expect((error as Error).message).toBe(SIGN_IN_UNAVAILABLE_MESSAGE);
    expect(logged).toHaveBeenCalledWith(
      expect.stringContaining('Cognito and the database disagree'),
      expect.objectContaining({
        drift: 'EmailOfAnotherUserError',
        userId: newSub,
        existingUserId: existing.id,
      }),
    );
    expect(JSON.stringify(logged.mock.calls)).not.toContain(existing.email);
    expect(counted).toHaveBeenCalledWith('IdentityDrift', 'Count', 1);
    const rows = await db
      .selectFrom('users')
      .select(['id', 'role', 'status'])
      .where('id', 'in', [existing.id, newSub])
      .execute();
    expect(rows).toEqual([{ id: existing.id, role: 'admins', status: 'active' }]);
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', newSub)
      .execute();
    expect(audit).toEqual([]);
  });
});

describe('post-authentication and MFA', () => {
  it('records whether TOTP is on, as Cognito says, and keeps the stored value when it cannot tell', async () => {
    const user = await createTestUser(db, { role: 'admins' });
    const enrolled = fakeMfaSettings({ [user.id]: true });
    setTriggerDependencies({ mfa: enrolled });
    try {
      await postAuthentication(postAuth(user.email, user.id));
      const mfaOf = async () =>
        (
          await db
            .selectFrom('users')
            .select('mfa_enabled')
            .where('id', '=', user.id)
            .executeTakeFirstOrThrow()
        ).mfa_enabled;
      expect(enrolled.state.asked).toEqual([user.id]);
      expect(await mfaOf()).toBe(true);

      enrolled.state.failing = true;
      await postAuthentication(postAuth(user.email, user.id));
      expect(await mfaOf()).toBe(true);

      setTriggerDependencies({ mfa: fakeMfaSettings({ [user.id]: false }) });
      await postAuthentication(postAuth(user.email, user.id));
      expect(await mfaOf()).toBe(false);
    } finally {
      setTriggerDependencies({ mfa });
    }
  });
});

describe('where a sign-in came from', () => {
  it('records the address Cognito passes in userContextData, and null when it passes none', async () => {
    const user = await createTestUser(db, { status: 'disabled' });
    const withContext = {
      ...preAuth(user.email, user.id),
      request: {
        userAttributes: { sub: user.id, email: user.email },
        userContextData: { ipAddress: '192.0.2.44', encodedData: 'opaque' },
        validationData: { userAgent: 'Parley-Web/1' },
      },
    } as unknown as PreAuthenticationTriggerEvent;
    await preAuthentication(withContext);
    await preAuthentication(preAuth(user.email, user.id));
    const rows = await db
      .selectFrom('audit_events')
      .select(['source_ip', 'user_agent'])
      .where('actor_id', '=', user.id)
      .orderBy('occurred_at')
      .execute();
    expect(rows).toEqual([
      { source_ip: '192.0.2.44', user_agent: 'Parley-Web/1' },
      { source_ip: null, user_agent: null },
    ]);
  });
});

describe('post-confirmation', () => {
  it('provisions the users row idempotently', async () => {
    const sub = randomUUID();
    const email = uniqueEmail();
    const event: PostConfirmationTriggerEvent = {
      ...common,
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      userName: sub,
      request: { userAttributes: { sub, email } },
      response: {},
    };
    await postConfirmation(event);
    await postConfirmation(event);
    const rows = await db.selectFrom('users').select(['id', 'display_name']).where('id', '=', sub).execute();
    expect(rows).toEqual([{ id: sub, display_name: email.split('@')[0] }]);
  });
});

describe('post-confirmation after a password reset (ConfirmForgotPassword)', () => {
  // Earlier cases replace the adapters with MFA settings of their own.
  beforeEach(() => setTriggerDependencies({ mfa, sessions }));

  const reset = (sub: string, email: string): PostConfirmationTriggerEvent => ({
    ...common,
    triggerSource: 'PostConfirmation_ConfirmForgotPassword',
    userName: sub,
    request: { userAttributes: { sub, email, 'cognito:user_status': 'CONFIRMED' } },
    response: {},
  });

  it('refuses the access tokens issued before it, signs the user out everywhere and audits it', async () => {
    // Prepare
    const user = await createTestUser(db, { email: uniqueEmail() });
    sessions.state.signedOut.length = 0;
    const before = new Date(Date.now() - 1_000);

    // Act
    await postConfirmation(reset(user.id, user.email));

    // Assess
    const row = await db
      .selectFrom('users')
      .select('tokens_valid_after')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.tokens_valid_after?.getTime()).toBeGreaterThan(before.getTime());
    expect(sessions.state.signedOut).toEqual([user.id]);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('target_id', '=', user.id)
      .execute();
    expect(audit).toEqual([{ action: 'auth.password-reset', actor_id: user.id }]);
  });

  it('leaves the sessions of a confirmed sign-up alone', async () => {
    const sub = randomUUID();
    sessions.state.signedOut.length = 0;
    await postConfirmation({ ...reset(sub, uniqueEmail()), triggerSource: 'PostConfirmation_ConfirmSignUp' });
    expect(sessions.state.signedOut).toEqual([]);
    const row = await db
      .selectFrom('users')
      .select('tokens_valid_after')
      .where('id', '=', sub)
      .executeTakeFirst();
    expect(row?.tokens_valid_after).toBeNull();
  });

  it('shows Cognito only the generic text when the sign-out fails, and still refuses the earlier access tokens', async () => {
    const user = await createTestUser(db, { email: uniqueEmail() });
    const before = new Date(Date.now() - 1_000);
    sessions.state.failing = true;
    try {
      const error = await postConfirmation(reset(user.id, user.email)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe(SIGN_IN_UNAVAILABLE_MESSAGE);
    } finally {
      sessions.state.failing = false;
    }
    const row = await db
      .selectFrom('users')
      .select('tokens_valid_after')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.tokens_valid_after?.getTime()).toBeGreaterThan(before.getTime());
  });
});

describe('pre-token-generation', () => {
  /** The event of the pool's V2_0 trigger, as Cognito sends it: the details are null. */
  function tokenEventV2(sub: string, groups: string[]): PreTokenGenerationV2TriggerEvent {
    return {
      ...common,
      version: '2',
      triggerSource: 'TokenGeneration_RefreshTokens',
      userName: sub,
      request: {
        userAttributes: { sub },
        groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] },
        scopes: ['aws.cognito.signin.user.admin'],
      },
      response: { claimsAndScopeOverrideDetails: null },
    } as unknown as PreTokenGenerationV2TriggerEvent;
  }

  it.each<[Role, string[]]>([
    ['auditors', ['admins']],
    ['members', []],
  ])('overrides the groups with users.role (%s)', async (role, groups) => {
    const user = await createTestUser(db, { role });
    const result = (await preTokenGeneration(tokenEvent(user.id, groups))) as PreTokenGenerationTriggerEvent;
    expect(result.response.claimsOverrideDetails.groupOverrideDetails?.groupsToOverride).toEqual([role]);
    expect(result.response.claimsOverrideDetails.claimsToAddOrOverride).toBeUndefined();
  });

  it("answers the pool's V2 event in its own shape, which Cognito reads for both tokens", async () => {
    const user = await createTestUser(db, { role: 'auditors' });
    const result = await preTokenGeneration(tokenEventV2(user.id, ['admins']));
    expect(result.response).toEqual({
      claimsAndScopeOverrideDetails: { groupOverrideDetails: { groupsToOverride: ['auditors'] } },
    });
  });

  it('stores no role for a user without a row yet: the token carries the group, no row is made', async () => {
    const sub = randomUUID();

    const result = (await preTokenGeneration(
      tokenEvent(sub, ['auditors']),
    )) as PreTokenGenerationTriggerEvent;

    expect(result.response.claimsOverrideDetails.groupOverrideDetails?.groupsToOverride).toEqual([
      'auditors',
    ]);
    expect(await db.selectFrom('users').select('id').where('id', '=', sub).execute()).toEqual([]);
    expect(await db.selectFrom('audit_events').select('id').where('target_id', '=', sub).execute()).toEqual(
      [],
    );
  });

  it('stores nothing from groups naming two roles, and never replaces a stored role', async () => {
    const roleless = await createTestUser(db, { role: null });
    const member = await createTestUser(db, { role: 'members' });

    await preTokenGeneration(tokenEvent(roleless.id, ['admins', 'members']));
    await preTokenGeneration(tokenEventV2(member.id, ['admins']));

    const rows = await db
      .selectFrom('users')
      .select(['id', 'role'])
      .where('id', 'in', [roleless.id, member.id])
      .execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.role]))).toEqual({
      [roleless.id]: null,
      [member.id]: 'members',
    });
    const audit = await db
      .selectFrom('audit_events')
      .select('id')
      .where('target_id', 'in', [roleless.id, member.id])
      .execute();
    expect(audit).toEqual([]);
  });

  it('gives a disabled user no tokens', async () => {
    const user = await createTestUser(db, { status: 'disabled' });
    await expect(preTokenGeneration(tokenEvent(user.id, ['members']))).rejects.toThrow(
      SIGN_IN_BLOCKED_MESSAGE,
    );
    await expect(preTokenGeneration(tokenEventV2(user.id, ['members']))).rejects.toThrow(
      SIGN_IN_BLOCKED_MESSAGE,
    );
  });
});
