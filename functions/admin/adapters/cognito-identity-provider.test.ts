import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EmailTakenError, IdentityMissingError } from '../domain/admin-user';
import { cognitoIdentityProvider, createCognitoClient } from './cognito-identity-provider';

const POOL = 'eu-west-1_AbC123';
const cognito = mockClient(CognitoIdentityProviderClient);
const serviceError = (name: string) =>
  new CognitoIdentityProviderServiceException({ name, $fault: 'client', $metadata: {}, message: name });

describe('cognitoIdentityProvider', () => {
  beforeEach(() => cognito.reset());
  const provider = () =>
    cognitoIdentityProvider(new CognitoIdentityProviderClient({ region: 'eu-west-1' }), POOL);

  it('invites by e-mail (verified, invitation by e-mail) and returns the new sub', async () => {
    // Prepare
    cognito.on(AdminCreateUserCommand).resolves({
      User: { Username: 'x', Attributes: [{ Name: 'sub', Value: 'sub-123' }] },
    });

    // Act
    const created = await provider().createUser('new@example.test');

    // Assess
    expect(created).toEqual({ id: 'sub-123' });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: POOL,
      Username: 'new@example.test',
      UserAttributes: [
        { Name: 'email', Value: 'new@example.test' },
        { Name: 'email_verified', Value: 'true' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    });
  });

  it('sends the exact parameters of every admin call', async () => {
    cognito.onAnyCommand().resolves({});
    const idp = provider();

    await idp.addToGroup('a@example.test', 'auditors');
    await idp.removeFromGroup('a@example.test', 'members');
    await idp.enableUser('a@example.test');
    await idp.signOut('a@example.test');
    await idp.setTotpMfa('a@example.test', false);
    await idp.deleteUser('a@example.test');

    const user = { UserPoolId: POOL, Username: 'a@example.test' };
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)[0]?.args[0].input).toEqual({
      ...user,
      GroupName: 'auditors',
    });
    expect(cognito.commandCalls(AdminRemoveUserFromGroupCommand)[0]?.args[0].input).toEqual({
      ...user,
      GroupName: 'members',
    });
    expect(cognito.commandCalls(AdminDisableUserCommand)).toEqual([]);
    expect(cognito.commandCalls(AdminEnableUserCommand)[0]?.args[0].input).toEqual(user);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)[0]?.args[0].input).toEqual(user);
    expect(cognito.commandCalls(AdminSetUserMFAPreferenceCommand)[0]?.args[0].input).toEqual({
      ...user,
      SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false },
    });
    expect(cognito.commandCalls(AdminDeleteUserCommand)[0]?.args[0].input).toEqual(user);
  });

  it('turns an existing user name into EmailTakenError and an unknown user into IdentityMissingError', async () => {
    cognito.on(AdminCreateUserCommand).rejects(serviceError('UsernameExistsException'));
    cognito.on(AdminUserGlobalSignOutCommand).rejects(serviceError('UserNotFoundException'));
    cognito.on(AdminEnableUserCommand).rejects(serviceError('TooManyRequestsException'));

    await expect(provider().createUser('a@example.test')).rejects.toBeInstanceOf(EmailTakenError);
    await expect(provider().signOut('a@example.test')).rejects.toBeInstanceOf(IdentityMissingError);
    await expect(provider().enableUser('a@example.test')).rejects.toThrow('TooManyRequestsException');
  });

  it('refuses a created user without a sub', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Attributes: [] } });
    await expect(provider().createUser('a@example.test')).rejects.toThrow('no sub');
  });
});

describe('createCognitoClient', () => {
  it('talks to the local Cognito with the credentials of the environment when an endpoint is set', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'PARLEYLOCALTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local-secret');
    try {
      const client = createCognitoClient({
        userPoolId: POOL,
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9229',
      });
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('127.0.0.1');
      expect((await client.config.credentials()).accessKeyId).toBe('PARLEYLOCALTEST');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('uses the region and the default credential chain on AWS', async () => {
    const client = createCognitoClient({ userPoolId: POOL, region: 'eu-central-1' });
    expect(await client.config.region()).toBe('eu-central-1');
  });
});
