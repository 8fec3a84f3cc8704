import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  awsJsonError,
  startCognitoForEnvironmentKeys,
  type AwsJsonAnswer,
  type AwsJsonTestServer,
} from '../../../test/support/aws/aws-json-test-server';
import { cognitoMfaSettings } from './cognito-mfa-settings';
import { cognitoSessions } from './cognito-sessions';

/** Cognito is the AWS edge here: a loopback server checks each signed call and answers as Cognito does. */
let server: AwsJsonTestServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** The triggers' Cognito adapters as the triggers make them (their own client, keys from the environment). */
async function settings(answer: (index: number) => AwsJsonAnswer | Promise<AwsJsonAnswer>) {
  server = await startCognitoForEnvironmentKeys(answer, vi.stubEnv);
  const pool = { userPoolId: 'eu-west-1_Pool1', region: 'eu-west-1', endpoint: server.url };
  return { mfa: cognitoMfaSettings(pool), sessions: cognitoSessions(pool), server };
}

describe('cognitoMfaSettings', () => {
  it('asks Cognito for the user in the pool and says TOTP is on when it is in the MFA list', async () => {
    const { mfa, server } = await settings(() => ({
      status: 200,
      body: { Username: 'ada@example.com', UserMFASettingList: ['SOFTWARE_TOKEN_MFA'] },
    }));
    expect(await mfa.totpEnabled('ada@example.com')).toBe(true);
    expect(server.refused).toEqual([]);
    expect(server.calls.map((c) => [c.target, c.body])).toEqual([
      [
        'AWSCognitoIdentityProviderService.AdminGetUser',
        { UserPoolId: 'eu-west-1_Pool1', Username: 'ada@example.com' },
      ],
    ]);
  });

  it('says TOTP is off for a user with no MFA, or with SMS only', async () => {
    const answers: AwsJsonAnswer[] = [
      { status: 200, body: { Username: 'a' } },
      { status: 200, body: { Username: 'b', UserMFASettingList: ['SMS_MFA'] } },
    ];
    const { mfa } = await settings((index) => answers[index] ?? awsJsonError(500, 'InternalErrorException'));
    expect(await mfa.totpEnabled('a')).toBe(false);
    expect(await mfa.totpEnabled('b')).toBe(false);
  });

  it('answers "unknown" (undefined) when Cognito fails, so the stored value stands', async () => {
    const { mfa, server } = await settings(() =>
      awsJsonError(400, 'UserNotFoundException', 'User does not exist.'),
    );
    expect(await mfa.totpEnabled('gone@example.com')).toBeUndefined();
    expect(server.calls).toHaveLength(1);
  });

  it('tries twice at most on a failing Cognito (a trigger has 5 s in all)', async () => {
    const { mfa, server } = await settings(() => awsJsonError(503, 'InternalErrorException'));
    expect(await mfa.totpEnabled('ada@example.com')).toBeUndefined();
    expect(server.calls).toHaveLength(2);
  });

  it('gives up after 1.5 s when Cognito does not answer', async () => {
    const { mfa } = await settings(() => new Promise<AwsJsonAnswer>(() => {}));
    const started = Date.now();
    expect(await mfa.totpEnabled('ada@example.com')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('cognitoSessions', () => {
  it("signs the user out everywhere in the trigger's pool, signed with the role's keys", async () => {
    const { sessions, server } = await settings(() => ({ status: 200 }));
    await sessions.signOutEverywhere('3f1c-sub');
    expect(server.refused).toEqual([]);
    expect(server.calls.map((c) => [c.target, c.body])).toEqual([
      [
        'AWSCognitoIdentityProviderService.AdminUserGlobalSignOut',
        { UserPoolId: 'eu-west-1_Pool1', Username: '3f1c-sub' },
      ],
    ]);
  });

  it('tries twice in all when throttled, then fails with Cognito’s error', async () => {
    const { sessions, server } = await settings(() => awsJsonError(400, 'TooManyRequestsException'));
    await expect(sessions.signOutEverywhere('3f1c-sub')).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      $metadata: { attempts: 2 },
    });
    expect(server.calls).toHaveLength(2);
  });

  it('gives up after 2 s when Cognito does not answer, within the trigger’s 5 s', async () => {
    const { sessions } = await settings(() => new Promise<AwsJsonAnswer>(() => {}));
    const started = Date.now();
    await expect(sessions.signOutEverywhere('3f1c-sub')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(4_500);
  });
});
