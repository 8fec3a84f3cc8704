import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLocalCognito, type LocalCognito } from '../../../bin/local/cognito';
import { EmailTakenError, IdentityMissingError } from '../../admin/domain/admin-user';
import { cognitoIdentityProvider, createCognitoClient } from '../../admin/adapters/cognito-identity-provider';
import { cognitoMfaSettings } from '../../auth/adapters/cognito-mfa-settings';
import { awsJsonClient } from './aws-json-client';

/**
 * Our awsJson1.1 client against the local Cognito (cognito-local behind our proxy, which refuses
 * admin calls not signed with the local server's credentials): the admin adapter's seven calls and
 * the post-authentication trigger's AdminGetUser, signed as the functions sign them (credentials
 * from the environment, which the local server sets as the Lambda runtime does).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'parley-aws-json-cognito-'));
let cognito: LocalCognito;

beforeAll(async () => {
  cognito = await startLocalCognito({
    dataDir,
    webOrigin: 'http://localhost:5173',
    quiet: true,
    mfa: 'OPTIONAL',
    // No trigger runs in these calls but PreTokenGeneration-like pass-throughs: answer the event.
    invokeTrigger: async (_name, event) => event,
  });
}, 60_000);

afterAll(async () => {
  await cognito?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const idp = () =>
  cognitoIdentityProvider(
    createCognitoClient({
      userPoolId: cognito.userPoolId,
      region: cognito.region,
      endpoint: cognito.endpoint,
    }),
    cognito.userPoolId,
  );
const groupsOf = async (email: string) =>
  (
    await cognito.admin.send(
      new AdminListGroupsForUserCommand({ UserPoolId: cognito.userPoolId, Username: email }),
    )
  ).Groups?.map((g) => g.GroupName);

describe('the admin adapter on our client, against the local Cognito', () => {
  it('invites, groups, enables, signs out, resets MFA and deletes a user', async () => {
    // Prepare
    const email = `awsjson-${randomUUID().slice(0, 8)}@example.test`;
    const provider = idp();

    // Act + Assess, step by step
    const { id } = await provider.createUser(email);
    const user = await cognito.admin.send(
      new AdminGetUserCommand({ UserPoolId: cognito.userPoolId, Username: email }),
    );
    expect(user.UserAttributes?.find((a) => a.Name === 'sub')?.Value).toBe(id);
    expect(user.UserAttributes?.find((a) => a.Name === 'email_verified')?.Value).toBe('true');
    await expect(provider.createUser(email)).rejects.toBeInstanceOf(EmailTakenError);

    await provider.addToGroup(email, 'members');
    expect(await groupsOf(email)).toEqual(['members']);
    await provider.removeFromGroup(email, 'members');
    expect(await groupsOf(email)).toEqual([]);

    await provider.enableUser(email);
    await provider.signOut(email);
    await provider.setTotpMfa(email, false);
    expect(
      await cognitoMfaSettings({
        userPoolId: cognito.userPoolId,
        region: cognito.region,
        endpoint: cognito.endpoint,
      }).totpEnabled(email),
    ).toBe(false);

    await provider.deleteUser(email);
    await expect(provider.signOut(email)).rejects.toBeInstanceOf(IdentityMissingError);
  });

  it('is refused by the local Cognito when signed with other keys', async () => {
    const client = awsJsonClient({
      service: 'cognito-idp',
      targetPrefix: 'AWSCognitoIdentityProviderService',
      region: cognito.region,
      endpoint: cognito.endpoint,
      credentials: () => ({ accessKeyId: 'not-the-local-admin', secretAccessKey: 'wrong-secret' }),
    });
    await expect(
      cognitoIdentityProvider(client, cognito.userPoolId).enableUser('nobody@example.test'),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException', $fault: 'client' });
  });
});
