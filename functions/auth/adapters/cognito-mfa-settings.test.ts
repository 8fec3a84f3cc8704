import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { cognitoMfaSettings } from './cognito-mfa-settings';

/** Cognito is the AWS edge here: the mock checks what is sent and answers as Cognito does. */
const cognito = mockClient(CognitoIdentityProviderClient);
afterEach(() => cognito.reset());

const settings = () => cognitoMfaSettings({ userPoolId: 'eu-west-1_Pool1', region: 'eu-west-1' });

describe('cognitoMfaSettings', () => {
  it('asks Cognito for the user in the pool and says TOTP is on when it is in the MFA list', async () => {
    cognito
      .on(AdminGetUserCommand)
      .resolves({ Username: 'ada@example.com', UserMFASettingList: ['SOFTWARE_TOKEN_MFA'] });
    expect(await settings().totpEnabled('ada@example.com')).toBe(true);
    expect(cognito.commandCalls(AdminGetUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: 'eu-west-1_Pool1',
      Username: 'ada@example.com',
    });
  });

  it('says TOTP is off for a user with no MFA, or with SMS only', async () => {
    cognito
      .on(AdminGetUserCommand)
      .resolvesOnce({ Username: 'a' })
      .resolvesOnce({
        Username: 'b',
        UserMFASettingList: ['SMS_MFA'],
      });
    const mfa = settings();
    expect(await mfa.totpEnabled('a')).toBe(false);
    expect(await mfa.totpEnabled('b')).toBe(false);
  });

  it('answers "unknown" (undefined) when Cognito fails, so the stored value stands', async () => {
    cognito
      .on(AdminGetUserCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    expect(await settings().totpEnabled('gone@example.com')).toBeUndefined();
  });
});
