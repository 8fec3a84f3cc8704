import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AdminSetUserMFAPreferenceCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { handler as postAuthentication } from '../../functions/auth/triggers/post-authentication';
import { handler as postConfirmation } from '../../functions/auth/triggers/post-confirmation';
import { handler as preAuthentication } from '../../functions/auth/triggers/pre-authentication';
import { handler as preTokenGeneration } from '../../functions/auth/triggers/pre-token-generation';
import { resetConfig } from '../../functions/shared/config';
import { closeDatabase } from '../../functions/shared/db/database';
import { startLocalCognito, type LocalCognito, type TriggerName } from '../../bin/local/cognito';
import { createLocalUser, totpCode } from '../../bin/local/users';
import { testDatabase } from '../support/database';

/**
 * MFA required of everyone (the local default): a user without TOTP gets the MFA_SETUP challenge
 * after the password, sets TOTP up with the challenge's session (AssociateSoftwareToken,
 * VerifySoftwareToken) and gets tokens from RespondToAuthChallenge, as Amplify's signIn /
 * confirmSignIn drive it against Cognito; `users.mfa_enabled` (what /me shows) follows.
 */
const WEB_ORIGIN = 'http://localhost:5173';
const PASSWORD = 'Correct-Horse-42';
const db = testDatabase();
const dataDir = mkdtempSync(join(tmpdir(), 'parley-cognito-mfa-'));
let cognito: LocalCognito;

const triggers: Record<TriggerName, (event: never) => Promise<unknown>> = {
  PreAuthentication: preAuthentication,
  PostAuthentication: postAuthentication,
  PostConfirmation: postConfirmation,
  PreTokenGeneration: preTokenGeneration,
};

beforeAll(async () => {
  cognito = await startLocalCognito({
    dataDir,
    webOrigin: WEB_ORIGIN,
    quiet: true,
    invokeTrigger: (name, event) => triggers[name](event as never),
  });
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: inject('databaseUrl'),
    COGNITO_USER_POOL_ID: cognito.userPoolId,
    COGNITO_CLIENT_IDS: cognito.clientId,
    COGNITO_ENDPOINT: cognito.endpoint,
    AWS_REGION: cognito.region,
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

type Answer = { status: number; body: Record<string, unknown> };

/** A call as Amplify makes it from the browser: unsigned JSON. */
async function call(op: string, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(cognito.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${op}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const signIn = (email: string, password = PASSWORD) =>
  call('InitiateAuth', {
    ClientId: cognito.clientId,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });

const member = () =>
  createLocalUser(
    { cognito, db },
    { email: `mfa-${randomUUID().slice(0, 8)}@example.test`, password: PASSWORD, role: 'members' },
  );

const mfaEnabledOf = async (id: string) =>
  (await db.selectFrom('users').select('mfa_enabled').where('id', '=', id).executeTakeFirstOrThrow())
    .mfa_enabled;

describe('local Cognito with MFA required', () => {
  it('sets TOTP up at the first sign-in, then asks for the code at every sign-in', async () => {
    const user = await member();
    expect(user.totpSecret).toBeUndefined();

    const first = await signIn(user.email);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      ChallengeName: 'MFA_SETUP',
      ChallengeParameters: { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' },
      Session: expect.any(String),
    });
    expect(first.body.AuthenticationResult).toBeUndefined();

    const associated = await call('AssociateSoftwareToken', { Session: first.body.Session });
    expect(associated.body).toMatchObject({ SecretCode: expect.stringMatching(/^[A-Z2-7]+=*$/) });
    const secret = String(associated.body.SecretCode);
    // Each step hands out a new session: the old one is spent.
    expect((await call('AssociateSoftwareToken', { Session: first.body.Session })).body.__type).toBe(
      'NotAuthorizedException',
    );

    const code = totpCode(secret);
    const wrong = await call('VerifySoftwareToken', {
      Session: associated.body.Session,
      UserCode: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.body.__type).toBe('CodeMismatchException');
    const verified = await call('VerifySoftwareToken', { Session: associated.body.Session, UserCode: code });
    expect(verified.body).toMatchObject({ Status: 'SUCCESS', Session: expect.any(String) });

    const done = await call('RespondToAuthChallenge', {
      ClientId: cognito.clientId,
      ChallengeName: 'MFA_SETUP',
      Session: verified.body.Session,
      ChallengeResponses: { USERNAME: user.email },
    });
    expect(done.status).toBe(200);
    expect(done.body.AuthenticationResult).toMatchObject({ AccessToken: expect.any(String) });
    // Post-authentication asked Cognito: /api/me now says "Two-factor: On".
    expect(await mfaEnabledOf(user.id)).toBe(true);
    const audit = await db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', user.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['auth.sign-in']);

    const next = await signIn(user.email);
    expect(next.body.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
  });

  it('answers a wrong password as always, with no set-up challenge', async () => {
    const user = await member();
    expect((await signIn(user.email, 'Wrong-Password-1')).body).toEqual({
      __type: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });

  it('gives no tokens before the TOTP is verified, and no set-up without the password', async () => {
    const user = await member();
    const first = await signIn(user.email);
    const early = await call('RespondToAuthChallenge', {
      ClientId: cognito.clientId,
      ChallengeName: 'MFA_SETUP',
      Session: first.body.Session,
      ChallengeResponses: { USERNAME: user.email },
    });
    expect(early.status).toBe(400);
    expect(early.body.AuthenticationResult).toBeUndefined();
    // A set-up session is no TOTP-code session, and a made-up one is nothing.
    const asCode = await call('RespondToAuthChallenge', {
      ClientId: cognito.clientId,
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: first.body.Session,
      ChallengeResponses: { USERNAME: user.email, SOFTWARE_TOKEN_MFA_CODE: '123456' },
    });
    expect(asCode.body.__type).toBe('NotAuthorizedException');
    expect((await call('AssociateSoftwareToken', { Session: randomUUID() })).body.__type).toBe(
      'NotAuthorizedException',
    );
    expect(await mfaEnabledOf(user.id)).toBe(false);
  });

  it('creates admins with TOTP set up through the same challenge', async () => {
    const admin = await createLocalUser(
      { cognito, db },
      { email: `mfa-admin-${randomUUID().slice(0, 8)}@example.test`, password: PASSWORD, role: 'admins' },
    );
    expect(admin.totpSecret).toMatch(/^[A-Z2-7]+=*$/);
    expect(await mfaEnabledOf(admin.id)).toBe(true);
    expect((await signIn(admin.email)).body.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
  });
});

describe('an admin resetting MFA', () => {
  it('sends the user through the set-up again at their next sign-in', async () => {
    const admin = await createLocalUser(
      { cognito, db },
      { email: `mfa-reset-${randomUUID().slice(0, 8)}@example.test`, password: PASSWORD, role: 'admins' },
    );
    expect((await signIn(admin.email)).body.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    // What the admin API's reset-mfa does in Cognito (its adapter's setTotpMfa(false)).
    await cognito.admin.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: cognito.userPoolId,
        Username: admin.email,
        SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
      }),
    );
    expect((await signIn(admin.email)).body.ChallengeName).toBe('MFA_SETUP');
  });
});

describe('Amplify against the local Cognito with MFA required', () => {
  it('signIn asks for the TOTP set-up with an otpauth URI, and confirmSignIn with the code signs in', async () => {
    const { Amplify } = await import('aws-amplify');
    const { signIn, confirmSignIn, fetchAuthSession, signOut } = await import('aws-amplify/auth');
    Amplify.configure({
      Auth: {
        Cognito: {
          userPoolId: cognito.userPoolId,
          userPoolClientId: cognito.clientId,
          userPoolEndpoint: cognito.endpoint,
        },
      },
    });
    const user = await member();

    const first = await signIn({
      username: user.email,
      password: PASSWORD,
      options: { authFlowType: 'USER_PASSWORD_AUTH' },
    });
    expect(first.isSignedIn).toBe(false);
    expect(first.nextStep.signInStep).toBe('CONTINUE_SIGN_IN_WITH_TOTP_SETUP');
    if (first.nextStep.signInStep !== 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP') throw new Error('no TOTP set-up');
    const { sharedSecret } = first.nextStep.totpSetupDetails;
    const uri = first.nextStep.totpSetupDetails.getSetupUri('Parley').toString();
    expect(uri).toMatch(new RegExp(`^otpauth://totp/Parley:.*secret=${sharedSecret}`));

    const done = await confirmSignIn({ challengeResponse: totpCode(sharedSecret) });
    expect(done).toMatchObject({ isSignedIn: true, nextStep: { signInStep: 'DONE' } });
    const session = await fetchAuthSession();
    expect(session.tokens?.accessToken.payload.sub).toBe(user.id);
    expect(await mfaEnabledOf(user.id)).toBe(true);
    await signOut();
  });
});
