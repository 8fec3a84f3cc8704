import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  awsJsonError,
  startCognitoForEnvironmentKeys,
  type AwsJsonAnswer,
  type AwsJsonTestServer,
} from '../../../test/support/aws/aws-json-test-server';
import { cognitoSessions } from './cognito-sessions';

/** Cognito is the AWS edge here: a loopback server checks each signed call and answers as Cognito does. */
let server: AwsJsonTestServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function sessionsAnswering(answer: (index: number) => AwsJsonAnswer | Promise<AwsJsonAnswer>) {
  server = await startCognitoForEnvironmentKeys(answer, vi.stubEnv);
  const sessions = cognitoSessions({
    userPoolId: 'eu-west-1_Pool1',
    region: 'eu-west-1',
    endpoint: server.url,
  });
  return { sessions, server };
}

describe('cognitoSessions', () => {
  it("signs the user out everywhere in the trigger's pool, signed with the role's keys", async () => {
    const { sessions, server } = await sessionsAnswering(() => ({ status: 200 }));
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
    const { sessions, server } = await sessionsAnswering(() => awsJsonError(400, 'TooManyRequestsException'));
    await expect(sessions.signOutEverywhere('3f1c-sub')).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      $metadata: { attempts: 2 },
    });
    expect(server.calls).toHaveLength(2);
  });

  it('gives up after 2 s when Cognito does not answer, within the trigger’s 5 s', async () => {
    const { sessions } = await sessionsAnswering(() => new Promise<AwsJsonAnswer>(() => {}));
    const started = Date.now();
    await expect(sessions.signOutEverywhere('3f1c-sub')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(4_500);
  });
});
