import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CreateUserPoolCommand,
  SignUpCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserMFAPreferenceCommand,
  ListUsersCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

import { handler as postAuthentication } from '../../functions/auth/triggers/post-authentication';
import { handler as postConfirmation } from '../../functions/auth/triggers/post-confirmation';
import { handler as preAuthentication } from '../../functions/auth/triggers/pre-authentication';
import { handler as preTokenGeneration } from '../../functions/auth/triggers/pre-token-generation';
import { resetConfig } from '../../functions/shared/config';
import { tokenVerdict } from '../../functions/shared/revocation/revocation-list';
import { closeDatabase } from '../../functions/shared/db/database';
import { startLocalCognito, type LocalCognito, type TriggerName } from '../../bin/local/cognito';
import { saveAdminCredentials } from '../../bin/local/cognito-access';
import { createLocalUser, totpCode } from '../../bin/local/users';
import { main as usersCli } from '../../bin/local/users-cli';
import { testDatabase } from '../support/database';

const WEB_ORIGIN = 'http://localhost:5173';
const PASSWORD = 'Correct-Horse-42';
const db = testDatabase();
const dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-'));
let cognito: LocalCognito;

/** The pre-token-generation events the trigger received, as the deployed pool's would be. */
const tokenEvents: { version?: unknown; response?: unknown }[] = [];
const triggers: Record<TriggerName, (event: never) => Promise<unknown>> = {
  PreAuthentication: preAuthentication,
  PostAuthentication: postAuthentication,
  PostConfirmation: postConfirmation,
  PreTokenGeneration: (event: never) => {
    const { version, response } = event as { version?: unknown; response?: unknown };
    tokenEvents.push({ version, response: structuredClone(response) });
    return preTokenGeneration(event);
  },
};

beforeAll(async () => {
  cognito = await startLocalCognito({
    dataDir,
    port: 0,
    webOrigin: WEB_ORIGIN,
    quiet: true,
    invokeTrigger: (name, event) => triggers[name](event as never),
    // Members sign in with a password alone here; local-cognito-mfa.int.test.ts covers REQUIRED.
    mfa: 'OPTIONAL',
  });
  // The handlers read their configuration at their first call, which comes after this.
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: inject('databaseUrl'),
    COGNITO_USER_POOL_ID: cognito.userPoolId,
    COGNITO_CLIENT_IDS: cognito.clientId,
    COGNITO_ENDPOINT: cognito.endpoint,
    WEB_ORIGIN,
  });
  resetConfig();
});

afterAll(async () => {
  await cognito?.stop();
  await closeDatabase();
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

const newEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@Example.test`;

function signIn(email: string, password = PASSWORD) {
  return cognito.admin.send(
    new InitiateAuthCommand({
      ClientId: cognito.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
}

async function tokensOf(email: string, password = PASSWORD): Promise<AuthenticationResultType> {
  const result = await signIn(email, password);
  if (!result.AuthenticationResult) throw new Error(`expected tokens, got ${result.ChallengeName}`);
  return result.AuthenticationResult;
}

/** The value, or a failed test saying what was missing. */
function must<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected a ${what}`);
  return value;
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

async function verifier() {
  const jwtVerifier = JwtRsaVerifier.create({
    issuer: cognito.issuer,
    audience: null,
    jwksUri: cognito.jwksUri,
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'access' || payload.client_id !== cognito.clientId)
        throw new Error('not our access token');
    },
  });
  // aws-jwt-verify fetches only over https: hand it the JWKS the proxy serves.
  jwtVerifier.cacheJwks((await (await fetch(cognito.jwksUri)).json()) as Jwks);
  return jwtVerifier;
}

describe('local Cognito', () => {
  it('signs a member in with verifiable access tokens and provisions the users row', async () => {
    const email = newEmail('member');
    const created = await createLocalUser(
      { cognito, db },
      { email, password: PASSWORD, role: 'members', displayName: 'Mem Ber' },
    );
    expect(created).toEqual({ id: expect.any(String), email: email.toLowerCase(), role: 'members' });

    const before = Date.now();
    const tokens = await tokensOf(email);
    const payload = await (await verifier()).verify(must(tokens.AccessToken));
    expect(payload).toMatchObject({
      iss: `${cognito.endpoint}/${cognito.userPoolId}`,
      token_use: 'access',
      client_id: cognito.clientId,
      sub: created.id,
      'cognito:groups': ['members'],
    });
    expect(tokens).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });

    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      email: email.toLowerCase(),
      display_name: 'Mem Ber',
      role: 'members',
      status: 'active',
    });
    // Post-authentication notes the sign-in's time (what the admin console shows).
    expect(row.last_sign_in_at?.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(row.last_sign_in_at?.getTime()).toBeLessThanOrEqual(Date.now());
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', created.id)
      .execute();
    expect(audit.map((a) => a.action)).toContain('auth.sign-in');
  });

  it('post-authentication provisions the row of a user made in Cognito only', async () => {
    const email = newEmail('cognito-only');
    const created = await createLocalUser({ cognito, db }, { email, password: PASSWORD, role: 'members' });
    await db.deleteFrom('users').where('id', '=', created.id).execute();
    await tokensOf(email);
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email: email.toLowerCase(), display_name: email.split('@')[0] });
  });

  it('puts users.role, not the Cognito group, in the token', async () => {
    const email = newEmail('promoted');
    const created = await createLocalUser({ cognito, db }, { email, password: PASSWORD, role: 'members' });
    await db.updateTable('users').set({ role: 'auditors' }).where('id', '=', created.id).execute();
    tokenEvents.length = 0;
    const payload = await (await verifier()).verify(must((await tokensOf(email)).AccessToken));
    expect(payload['cognito:groups']).toEqual(['auditors']);
    // The trigger ran on the pool's V2_0 event and answered in its shape (the group came from it).
    expect(tokenEvents).toEqual([{ version: '2', response: { claimsAndScopeOverrideDetails: null } }]);
  });

  it('enforces the password policy', async () => {
    const email = newEmail('weak');
    await expect(
      createLocalUser({ cognito, db }, { email, password: 'abc', role: 'members' }),
    ).rejects.toThrow(/Password does not conform to policy: Password not long enough/);
    const created = await createLocalUser({ cognito, db }, { email, password: PASSWORD, role: 'members' });
    const error = await failure(
      cognito.admin.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: cognito.userPoolId,
          Username: created.email,
          Password: 'alllowercase12!',
          Permanent: true,
        }),
      ),
    );
    expect(error).toMatchObject({
      name: 'InvalidPasswordException',
      message: expect.stringMatching(/uppercase/),
    });
  });

  it('refuses a duplicate e-mail', async () => {
    const email = newEmail('twice');
    await createLocalUser({ cognito, db }, { email, password: PASSWORD, role: 'members' });
    await expect(
      createLocalUser({ cognito, db }, { email: email.toUpperCase(), password: PASSWORD, role: 'members' }),
    ).rejects.toThrow(/already exists/);
  });

  it('answers a wrong password and an unknown user with NotAuthorizedException', async () => {
    const email = newEmail('wrong');
    await createLocalUser({ cognito, db }, { email, password: PASSWORD, role: 'members' });
    // One at a time: a second sign-in started early could reject before anything awaits it.
    for (const attempt of [() => signIn(email, 'Wrong-Password-1'), () => signIn(newEmail('nobody'))]) {
      expect(await failure(attempt())).toMatchObject({
        name: 'NotAuthorizedException',
        message: 'Incorrect username or password.',
      });
    }
  });

  it('hands the triggers the caller address and user agent: sign-in, blocked sign-in and lockout', async () => {
    const agent = `parley-test/${randomUUID().slice(0, 8)}`;
    const signInFrom = (email: string, password: string) =>
      fetch(cognito.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
          'user-agent': agent,
        },
        body: JSON.stringify({
          ClientId: cognito.clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: email, PASSWORD: password },
        }),
      });
    const origins = (actorId: string) =>
      db
        .selectFrom('audit_events')
        .select(['action', 'source_ip', 'user_agent'])
        .where('actor_id', '=', actorId)
        .where('action', 'like', 'auth.%')
        .orderBy('occurred_at')
        .execute();
    const from = { source_ip: '127.0.0.1', user_agent: agent };

    const member = await createLocalUser(
      { cognito, db },
      { email: newEmail('origin'), password: PASSWORD, role: 'members' },
    );
    expect((await signInFrom(member.email, PASSWORD)).status).toBe(200);
    expect(await origins(member.id)).toContainEqual({ action: 'auth.sign-in', ...from });

    const disabled = await createLocalUser(
      { cognito, db },
      { email: newEmail('origin-off'), password: PASSWORD, role: 'members' },
    );
    await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
    expect((await signInFrom(disabled.email, PASSWORD)).status).toBe(400);
    expect(await origins(disabled.id)).toContainEqual({ action: 'auth.sign-in-blocked', ...from });

    const locked = await createLocalUser(
      { cognito, db },
      { email: newEmail('origin-lock'), password: PASSWORD, role: 'members' },
    );
    for (let i = 0; i < 6; i++)
      expect((await signInFrom(locked.email, `Wrong-Password-${i}`)).status).toBe(400);
    expect(await origins(locked.id)).toEqual(
      expect.arrayContaining([
        { action: 'auth.account-locked', ...from },
        { action: 'auth.sign-in-blocked', ...from },
      ]),
    );
  });

  it('locks the account after 5 attempts: even the right password is then refused', async () => {
    const email = newEmail('locked');
    const created = await createLocalUser({ cognito, db }, { email, password: PASSWORD, role: 'members' });
    for (let i = 0; i < 5; i++) {
      expect(await failure(signIn(email, `Wrong-Password-${i}`))).toMatchObject({
        name: 'NotAuthorizedException',
      });
    }
    expect(await failure(signIn(email))).toMatchObject({
      name: 'UserLambdaValidationException',
      message: 'PreAuthentication failed with error Account locked. Try again later.',
    });

    const attempts = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', '=', email.toLowerCase())
      .executeTakeFirstOrThrow();
    expect(attempts.failed_count).toBe(5);
    expect(attempts.locked_until?.getTime()).toBeGreaterThan(Date.now());
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', created.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['auth.account-locked', 'auth.sign-in-blocked']),
    );
  });

  it('answers a disabled account exactly like a wrong password, and counts and audits it', async () => {
    const active = await createLocalUser(
      { cognito, db },
      { email: newEmail('active'), password: PASSWORD, role: 'members' },
    );
    const disabled = await createLocalUser(
      { cognito, db },
      { email: newEmail('disabled'), password: PASSWORD, role: 'members' },
    );
    await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();

    const answer = async (attempt: Promise<unknown>) => {
      const { name, message } = await failure(attempt);
      return { name, message };
    };
    const wrongForActive = await answer(signIn(active.email, 'Wrong-Password-1'));
    const wrongForDisabled = await answer(signIn(disabled.email, 'Wrong-Password-1'));
    const unknown = await answer(signIn(newEmail('nobody'), 'Wrong-Password-1'));
    expect(wrongForActive).toEqual({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
    expect(wrongForDisabled).toEqual(wrongForActive);
    expect(unknown).toEqual(wrongForActive);

    // The right password gets no tokens either, and resets nothing.
    const right = await failure(signIn(disabled.email));
    expect(right).toMatchObject({
      name: 'UserLambdaValidationException',
      message: expect.stringContaining('Account locked. Try again later'),
    });
    expect(right.message).not.toMatch(/disabled/i);
    const attempts = await db
      .selectFrom('sign_in_attempts')
      .select('failed_count')
      .where('username', '=', disabled.email)
      .executeTakeFirstOrThrow();
    expect(attempts.failed_count).toBe(2);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('actor_id', '=', disabled.id)
      .orderBy('occurred_at')
      .execute();
    expect(audit.map((a) => [a.action, (a.details as { reason?: string }).reason])).toEqual([
      ['auth.sign-in-blocked', 'disabled'],
      ['auth.sign-in-blocked', 'disabled'],
    ]);

    // Enabled again: the right password works.
    await db.updateTable('users').set({ status: 'active' }).where('id', '=', disabled.id).execute();
    expect((await tokensOf(disabled.email)).AccessToken).toBeDefined();
  });

  it('refreshes through GetTokensFromRefreshToken, until a global sign-out', async () => {
    const created = await createLocalUser(
      { cognito, db },
      { email: newEmail('refresh'), password: PASSWORD, role: 'members' },
    );
    const tokens = await tokensOf(created.email);
    const refreshed = await cognito.admin.send(
      new GetTokensFromRefreshTokenCommand({
        ClientId: cognito.clientId,
        RefreshToken: must(tokens.RefreshToken),
      }),
    );
    const payload = await (await verifier()).verify(must(must(refreshed.AuthenticationResult).AccessToken));
    expect(payload).toMatchObject({ sub: created.id, 'cognito:groups': ['members'] });

    await cognito.admin.send(
      new AdminUserGlobalSignOutCommand({ UserPoolId: cognito.userPoolId, Username: created.email }),
    );
    const error = await failure(
      cognito.admin.send(
        new GetTokensFromRefreshTokenCommand({
          ClientId: cognito.clientId,
          RefreshToken: must(tokens.RefreshToken),
        }),
      ),
    );
    expect(error).toMatchObject({ name: 'NotAuthorizedException' });
    expect(
      await failure(cognito.admin.send(new GetUserCommand({ AccessToken: must(tokens.AccessToken) }))),
    ).toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Access Token has been revoked',
    });
  });

  it("ends the user's earlier sessions when they reset a forgotten password (the real post-confirmation trigger)", async () => {
    // Prepare: a session from before the reset.
    const created = await createLocalUser(
      { cognito, db },
      { email: newEmail('reset'), password: PASSWORD, role: 'members' },
    );
    const before = await tokensOf(created.email);
    // Tokens carry whole seconds: a reset in the second of the sign-in would not outdate them.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // Act: "Forgot your password?", then the code.
    await cognito.admin.send(
      new ForgotPasswordCommand({ ClientId: cognito.clientId, Username: created.email }),
    );
    await cognito.admin.send(
      new ConfirmForgotPasswordCommand({
        ClientId: cognito.clientId,
        Username: created.email,
        ConfirmationCode: must(cognito.resetCodeFor(created.email), 'reset code'),
        Password: `${PASSWORD}-reset`,
      }),
    );

    // Assess: the old refresh token is revoked, the API refuses the old access token (tokens
    // issued before tokens_valid_after), the new password signs in, and the reset is audited.
    expect(
      await failure(
        cognito.admin.send(
          new GetTokensFromRefreshTokenCommand({
            ClientId: cognito.clientId,
            RefreshToken: must(before.RefreshToken),
          }),
        ),
      ),
    ).toMatchObject({ name: 'NotAuthorizedException' });
    const row = await db
      .selectFrom('users')
      .select('tokens_valid_after')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    const issuedAt = Number((await (await verifier()).verify(must(before.AccessToken))).iat);
    expect(tokenVerdict(issuedAt, { validAfter: row.tokens_valid_after, disabled: false }, new Date())).toBe(
      'revoked',
    );
    expect((await tokensOf(created.email, `${PASSWORD}-reset`)).AccessToken).toBeTruthy();
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', created.id)
      .where('action', '=', 'auth.password-reset')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('refuses an access token whose claims were changed', async () => {
    const created = await createLocalUser(
      { cognito, db },
      { email: newEmail('forge'), password: PASSWORD, role: 'members' },
    );
    const [header, , signature] = must((await tokensOf(created.email)).AccessToken).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'x', client_id: cognito.clientId, token_use: 'access' })).toString('base64url')}.${signature}`;
    expect(await failure(cognito.admin.send(new GetUserCommand({ AccessToken: forged })))).toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid Access Token',
    });
  });

  it('gives an admin a TOTP secret and then requires the SOFTWARE_TOKEN_MFA challenge', async () => {
    const created = await createLocalUser(
      { cognito, db },
      { email: newEmail('admin'), password: PASSWORD, role: 'admins' },
    );
    expect(created.totpSecret).toMatch(/^[A-Z2-7]+=*$/);

    const first = await signIn(created.email);
    expect(first.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    expect(first.AuthenticationResult).toBeUndefined();
    const respond = (session: string, code: string) =>
      cognito.admin.send(
        new RespondToAuthChallengeCommand({
          ClientId: cognito.clientId,
          ChallengeName: 'SOFTWARE_TOKEN_MFA',
          Session: session,
          ChallengeResponses: { USERNAME: created.email, SOFTWARE_TOKEN_MFA_CODE: code },
        }),
      );
    const code = totpCode(must(created.totpSecret));
    // The emulator checks no session: the proxy does, so a code alone (no password) gets nothing.
    expect(await failure(respond(randomUUID(), code))).toMatchObject({ name: 'NotAuthorizedException' });
    expect(
      await failure(respond(must(first.Session), code === '000000' ? '111111' : '000000')),
    ).toMatchObject({
      name: 'CodeMismatchException',
    });

    const done = await respond(must(first.Session), code);
    const payload = await (await verifier()).verify(must(must(done.AuthenticationResult).AccessToken));
    expect(payload).toMatchObject({ sub: created.id, 'cognito:groups': ['admins'] });
    const row = await db
      .selectFrom('users')
      .select(['role', 'mfa_enabled'])
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'admins', mfa_enabled: true });
  });

  it('allows CORS for the web origin only, with the headers Amplify sends', async () => {
    const preflight = (origin: string) =>
      fetch(cognito.endpoint, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-amz-target,x-amz-user-agent,cache-control',
        },
      });
    const ok = await preflight(WEB_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(
      /x-amz-target.*x-amz-user-agent.*cache-control/,
    );
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const config = (await (
      await fetch(`${cognito.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    expect(config).toMatchObject({ issuer: cognito.issuer, jwks_uri: cognito.jwksUri });
  });

  it('creates a user with the CLI through .parley/local.json', async () => {
    const cwd = join(dataDir, 'cli');
    mkdirSync(join(cwd, '.parley/cognito'), { recursive: true });
    // Where `npm start` keeps the local Cognito's data, its admin credentials among it.
    saveAdminCredentials(join(cwd, '.parley/cognito'), cognito.adminCredentials);
    writeFileSync(
      join(cwd, '.parley/local.json'),
      JSON.stringify({
        apiUrl: 'http://127.0.0.1:1/api',
        cognitoEndpoint: cognito.endpoint,
        region: cognito.region,
        userPoolId: cognito.userPoolId,
        clientId: cognito.clientId,
        databaseUrl: inject('databaseUrl'),
      }),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const email = newEmail('cli');
    const code = await usersCli(
      ['create', '--email', email, '--password', PASSWORD, '--role', 'auditors'],
      cwd,
    );
    const printed = JSON.parse(String(log.mock.calls[0]?.[0])) as Record<string, unknown>;
    log.mockRestore();
    expect(code).toBe(0);
    expect(printed).toEqual({ id: expect.any(String), email: email.toLowerCase(), role: 'auditors' });
    const payload = await (await verifier()).verify(must((await tokensOf(email)).AccessToken));
    expect(payload['cognito:groups']).toEqual(['auditors']);
  });

  it('fills the admin operations the emulator lacks or gets wrong', async () => {
    const created = await createLocalUser(
      { cognito, db },
      { email: newEmail('ops'), password: PASSWORD, role: 'admins' },
    );
    const pool = { UserPoolId: cognito.userPoolId };

    // ADMIN_USER_PASSWORD_AUTH skips MFA in the emulator: the proxy asks for the code.
    const adminAuth = await cognito.admin.send(
      new AdminInitiateAuthCommand({
        ...pool,
        ClientId: cognito.clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: created.email, PASSWORD: PASSWORD },
      }),
    );
    expect(adminAuth.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    expect(adminAuth.AuthenticationResult).toBeUndefined();

    const groups = await cognito.admin.send(
      new AdminListGroupsForUserCommand({ ...pool, Username: created.email }),
    );
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['admins']);

    // An admin's "reset MFA": the next sign-in gets tokens without a challenge.
    await cognito.admin.send(
      new AdminSetUserMFAPreferenceCommand({
        ...pool,
        Username: created.email,
        SoftwareTokenMfaSettings: { Enabled: false },
      }),
    );
    expect((await signIn(created.email)).AuthenticationResult?.AccessToken).toBeDefined();

    const page = await cognito.admin.send(new ListUsersCommand({ ...pool, Limit: 1 }));
    expect(page.Users).toHaveLength(1);
    const next = await cognito.admin.send(
      new ListUsersCommand({ ...pool, Limit: 1, PaginationToken: must(page.PaginationToken) }),
    );
    expect(next.Users?.[0]?.Username).not.toBe(page.Users?.[0]?.Username);
    const enabled = await cognito.admin.send(new ListUsersCommand({ ...pool, Filter: 'status = "Enabled"' }));
    expect(enabled.Users?.every((u) => u.Enabled === true)).toBe(true);
    expect(enabled.Users?.map((u) => u.Attributes?.find((a) => a.Name === 'sub')?.Value)).toContain(
      created.id,
    );
    const disabled = await cognito.admin.send(
      new ListUsersCommand({ ...pool, Filter: 'status = "Disabled"' }),
    );
    expect(disabled.Users).toEqual([]);
  });

  /** A call as Amplify makes it from the browser: unsigned JSON. */
  async function unsignedCall(op: string, body: Record<string, unknown>) {
    const response = await fetch(cognito.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${op}`,
        origin: WEB_ORIGIN,
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it.each([
    ['SignUp', { ClientId: 'x', Username: 'self@example.test', Password: PASSWORD }],
    ['CreateUserPool', { PoolName: 'mine' }],
    ['CreateUserPoolClient', { UserPoolId: 'pool', ClientName: 'mine' }],
    ['AdminCreateUser', { Username: 'mine@example.test' }],
    ['AdminDisableUser', { Username: 'victim@example.test' }],
    ['AdminConfirmSignUp', { Username: 'self@example.test' }],
    ['AdminSetUserPassword', { Username: 'victim@example.test', Password: PASSWORD, Permanent: true }],
    ['AdminAddUserToGroup', { Username: 'self@example.test', GroupName: 'admins' }],
  ])("refuses %s without the local server's credentials", async (op, body) => {
    const { status, body: answer } = await unsignedCall(op, { UserPoolId: cognito.userPoolId, ...body });
    expect(status).toBe(400);
    expect(answer).toEqual(
      op === 'SignUp'
        ? { __type: 'NotAuthorizedException', message: 'SignUp is not permitted for this user pool' }
        : { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
    );
  });

  it("refuses sign-up and calls the app never makes even with the local server's credentials", async () => {
    const pool = { UserPoolId: cognito.userPoolId };
    const email = newEmail('self');
    expect(
      await failure(
        cognito.admin.send(
          new SignUpCommand({ ClientId: cognito.clientId, Username: email, Password: PASSWORD }),
        ),
      ),
    ).toMatchObject({
      name: 'NotAuthorizedException',
      message: 'SignUp is not permitted for this user pool',
    });
    for (const command of [
      new CreateUserPoolCommand({ PoolName: 'another' }),
      new AdminDisableUserCommand({ ...pool, Username: email }),
      new AdminConfirmSignUpCommand({ ...pool, Username: email }),
    ]) {
      expect(await failure(cognito.admin.send(command as never))).toMatchObject({
        name: 'AccessDeniedException',
      });
    }
    // Nobody was made.
    expect(
      await db.selectFrom('users').select('id').where('email', '=', email.toLowerCase()).execute(),
    ).toEqual([]);
  });

  it("lets Amplify's own calls through unsigned: sign-in, TOTP set-up, MFA, refresh, sign-out", async () => {
    const created = await createLocalUser(
      { cognito, db },
      { email: newEmail('amplify'), password: PASSWORD, role: 'members' },
    );
    const ok = async (op: string, body: Record<string, unknown>) => {
      const answer = await unsignedCall(op, body);
      expect(answer.status, `${op}: ${JSON.stringify(answer.body)}`).toBe(200);
      return answer.body;
    };
    const auth = { ClientId: cognito.clientId, AuthFlow: 'USER_PASSWORD_AUTH' };
    const signedIn = (
      await ok('InitiateAuth', { ...auth, AuthParameters: { USERNAME: created.email, PASSWORD } })
    ).AuthenticationResult as { AccessToken: string; RefreshToken: string };
    expect(
      (
        await ok('GetTokensFromRefreshToken', {
          ClientId: cognito.clientId,
          RefreshToken: signedIn.RefreshToken,
        })
      ).AuthenticationResult,
    ).toBeDefined();
    const token = { AccessToken: signedIn.AccessToken };
    expect((await ok('GetUser', token)).Username).toBeDefined();
    const { SecretCode } = (await ok('AssociateSoftwareToken', token)) as { SecretCode: string };
    expect((await ok('VerifySoftwareToken', { ...token, UserCode: totpCode(SecretCode) })).Status).toBe(
      'SUCCESS',
    );
    await ok('SetUserMFAPreference', {
      ...token,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
    await ok('ChangePassword', { ...token, PreviousPassword: PASSWORD, ProposedPassword: `${PASSWORD}-2` });

    const challenge = await ok('InitiateAuth', {
      ...auth,
      AuthParameters: { USERNAME: created.email, PASSWORD: `${PASSWORD}-2` },
    });
    expect(challenge.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    const done = await ok('RespondToAuthChallenge', {
      ClientId: cognito.clientId,
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: challenge.Session,
      ChallengeResponses: { USERNAME: created.email, SOFTWARE_TOKEN_MFA_CODE: totpCode(SecretCode) },
    });
    const tokens = done.AuthenticationResult as { AccessToken: string };
    await ok('RevokeToken', { ClientId: cognito.clientId, Token: signedIn.RefreshToken });
    await ok('GlobalSignOut', { AccessToken: tokens.AccessToken });
  });

  it('checks the temporary password before NEW_PASSWORD_REQUIRED, and the policy of the new one', async () => {
    const email = newEmail('invited').toLowerCase();
    await cognito.admin.send(
      new AdminCreateUserCommand({
        UserPoolId: cognito.userPoolId,
        Username: email,
        TemporaryPassword: 'Temporary-Pass-1',
        MessageAction: 'SUPPRESS',
      }),
    );
    expect(await failure(signIn(email, 'Not-The-Temp-1'))).toMatchObject({ name: 'NotAuthorizedException' });
    const challenge = await signIn(email, 'Temporary-Pass-1');
    expect(challenge.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    const answer = (password: string) =>
      cognito.admin.send(
        new RespondToAuthChallengeCommand({
          ClientId: cognito.clientId,
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: must(challenge.Session),
          ChallengeResponses: { USERNAME: email, NEW_PASSWORD: password },
        }),
      );
    expect(await failure(answer('weak'))).toMatchObject({ name: 'InvalidPasswordException' });
    expect((await answer(PASSWORD)).AuthenticationResult?.AccessToken).toBeDefined();
    expect((await tokensOf(email)).AccessToken).toBeDefined();
  });
});

describe('local Cognito with MFA required: an invited user', () => {
  const requiredDir = mkdtempSync(join(tmpdir(), 'parley-cognito-mfa-'));
  let required: LocalCognito;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    required = await startLocalCognito({
      dataDir: requiredDir,
      port: 0,
      webOrigin: WEB_ORIGIN,
      quiet: true,
      invokeTrigger: (name, event) => triggers[name](event as never),
      mfa: 'REQUIRED',
    });
    const env = {
      COGNITO_USER_POOL_ID: required.userPoolId,
      COGNITO_CLIENT_IDS: required.clientId,
      COGNITO_ENDPOINT: required.endpoint,
    };
    for (const key of Object.keys(env)) saved[key] = process.env[key];
    Object.assign(process.env, env);
    resetConfig();
  });

  afterAll(async () => {
    await required?.stop();
    Object.assign(process.env, saved);
    resetConfig();
    rmSync(requiredDir, { recursive: true, force: true });
  });

  async function call(op: string, body: Record<string, unknown>) {
    const response = await fetch(required.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${op}`,
      },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  it('records one auth.sign-in for the first sign-in: new password, then TOTP set-up', async () => {
    const email = newEmail('invited-mfa').toLowerCase();
    await required.admin.send(
      new AdminCreateUserCommand({
        UserPoolId: required.userPoolId,
        Username: email,
        TemporaryPassword: 'Temporary-Pass-1',
        MessageAction: 'SUPPRESS',
      }),
    );
    const auth = { ClientId: required.clientId, AuthFlow: 'USER_PASSWORD_AUTH' };
    const first = await call('InitiateAuth', {
      ...auth,
      AuthParameters: { USERNAME: email, PASSWORD: 'Temporary-Pass-1' },
    });
    expect(first.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    const setup = await call('RespondToAuthChallenge', {
      ClientId: required.clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: first.Session,
      ChallengeResponses: { USERNAME: email, NEW_PASSWORD: PASSWORD },
    });
    expect(setup.ChallengeName).toBe('MFA_SETUP');
    const associated = await call('AssociateSoftwareToken', { Session: setup.Session });
    const verified = await call('VerifySoftwareToken', {
      Session: associated.Session,
      UserCode: totpCode(String(associated.SecretCode)),
    });
    const done = await call('RespondToAuthChallenge', {
      ClientId: required.clientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.Session,
      ChallengeResponses: { USERNAME: email },
    });
    expect(done.AuthenticationResult).toMatchObject({ AccessToken: expect.any(String) });

    const user = await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    const signIns = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', user.id)
      .where('action', '=', 'auth.sign-in')
      .execute();
    expect(signIns).toHaveLength(1);
  });
});
