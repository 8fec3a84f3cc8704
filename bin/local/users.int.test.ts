import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  InternalErrorException,
  InvalidPasswordException,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  UsernameExistsException,
  VerifySoftwareTokenCommand,
  type InitiateAuthCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestUser, testDatabase } from '../../test/support/database';
import { createLocalUser, LocalUserError } from './users';

/**
 * `npm run users -- create` refusals: the real test database, and Cognito (the emulator's API)
 * answering as it does when the e-mail is taken or the password refused. Nothing is left behind.
 */
const db = testDatabase();
const admin = new CognitoIdentityProviderClient({ region: 'local', endpoint: 'http://127.0.0.1:1' });
const cognito = mockClient(admin);
const deps = { cognito: { admin, userPoolId: 'local_Pool1', clientId: 'client1' }, db };
const PASSWORD = 'Correct-Horse-9!';
const email = () => `ada-${randomUUID().slice(0, 8)}@example.test`;

afterEach(() => cognito.reset());
afterAll(() => db.destroy());

describe('createLocalUser refusals', () => {
  it('refuses a weak password before calling Cognito, naming what it lacks', async () => {
    const error = await createLocalUser(deps, { email: email(), password: 'short', role: 'members' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalUserError);
    expect((error as Error).message).toMatch(/^Password does not conform to policy: /);
    expect(cognito.calls()).toHaveLength(0);
  });

  it('refuses an e-mail already in the database, whatever its case', async () => {
    const taken = await createTestUser(db);
    await expect(
      createLocalUser(deps, { email: taken.email.toUpperCase(), password: PASSWORD, role: 'members' }),
    ).rejects.toThrow(`A user with e-mail ${taken.email} already exists.`);
    expect(cognito.calls()).toHaveLength(0);
  });

  it('says the e-mail exists when only Cognito has it', async () => {
    cognito
      .on(AdminCreateUserCommand)
      .rejects(new UsernameExistsException({ message: 'User account already exists', $metadata: {} }));
    const address = email();
    await expect(
      createLocalUser(deps, { email: address, password: PASSWORD, role: 'members' }),
    ).rejects.toThrow(`A user with e-mail ${address} already exists.`);
  });

  it('undoes the Cognito user and the row when a later step fails, and passes Cognito’s password message on', async () => {
    const address = email();
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito
      .on(AdminSetUserPasswordCommand)
      .rejects(
        new InvalidPasswordException({ message: 'Password does not conform to policy: x', $metadata: {} }),
      );
    cognito.on(AdminDeleteUserCommand).resolves({});
    const error = await createLocalUser(deps, { email: address, password: PASSWORD, role: 'members' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalUserError);
    expect((error as Error).message).toBe('Password does not conform to policy: x');
    expect(cognito.commandCalls(AdminDeleteUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: 'local_Pool1',
      Username: address,
    });
    expect(await db.selectFrom('users').select('id').where('email', '=', address).execute()).toEqual([]);
  });

  it('fails plainly when Cognito gives the new user no sub, leaving nothing behind', async () => {
    const address = email();
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito.on(AdminSetUserPasswordCommand).resolves({});
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    cognito.on(AdminGetUserCommand).resolves({ Username: address, UserAttributes: [] });
    cognito.on(AdminDeleteUserCommand).resolves({});
    await expect(
      createLocalUser(deps, { email: address, password: PASSWORD, role: 'auditors' }),
    ).rejects.toThrow('Cognito returned no sub for the new user.');
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(1);
  });
});

describe('createLocalUser for an admin: TOTP enrolment', () => {
  const SECRET = 'JBSWY3DPEHPK3PXP';

  /** Cognito answering every step up to the admin's first sign-in, which `signIn` answers. */
  function cognitoUpToSignIn(address: string, signIn: Partial<InitiateAuthCommandOutput>) {
    const sub = randomUUID();
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito.on(AdminSetUserPasswordCommand).resolves({});
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    cognito
      .on(AdminGetUserCommand)
      .resolves({ Username: address, UserAttributes: [{ Name: 'sub', Value: sub }] });
    cognito.on(AdminDeleteUserCommand).resolves({});
    cognito.on(InitiateAuthCommand).resolves(signIn);
    return sub;
  }

  const rowsFor = (address: string) =>
    db
      .selectFrom('users')
      .select(['id', 'mfa_enabled', 'display_name'])
      .where('email', '=', address)
      .execute();

  it('enrols TOTP with the access token of the first sign-in, prefers it, and returns the secret', async () => {
    const address = email();
    const sub = cognitoUpToSignIn(address, { AuthenticationResult: { AccessToken: 'access-token' } });
    cognito.on(AssociateSoftwareTokenCommand).resolves({ SecretCode: SECRET });
    cognito.on(VerifySoftwareTokenCommand).resolves({ Status: 'SUCCESS' });
    cognito.on(SetUserMFAPreferenceCommand).resolves({});

    const created = await createLocalUser(deps, {
      email: address,
      password: PASSWORD,
      role: 'admins',
      displayName: 'Ada Lovelace',
    });

    expect(created).toEqual({ id: sub, email: address, role: 'admins', totpSecret: SECRET });
    expect(cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input.UserAttributes).toContainEqual({
      Name: 'name',
      Value: 'Ada Lovelace',
    });
    expect(cognito.commandCalls(VerifySoftwareTokenCommand)[0]?.args[0].input.UserCode).toMatch(/^\d{6}$/);
    expect(cognito.commandCalls(SetUserMFAPreferenceCommand)[0]?.args[0].input).toEqual({
      AccessToken: 'access-token',
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
    expect(await rowsFor(address)).toEqual([{ id: sub, mfa_enabled: true, display_name: 'Ada Lovelace' }]);
  });

  it.each([
    [
      'the first sign-in gives another challenge',
      { ChallengeName: 'NEW_PASSWORD_REQUIRED' as const },
      {},
      'Signing in to enrol TOTP gave NEW_PASSWORD_REQUIRED.',
    ],
    ['the first sign-in gives no tokens', {}, {}, 'Signing in to enrol TOTP gave no tokens.'],
    [
      'Cognito gives no TOTP secret',
      { AuthenticationResult: { AccessToken: 'access-token' } },
      { associate: {} },
      'Cognito returned no TOTP secret.',
    ],
    [
      'Cognito refuses the TOTP code',
      { AuthenticationResult: { AccessToken: 'access-token' } },
      { associate: { SecretCode: SECRET }, verify: { Status: 'ERROR' as const } },
      'TOTP verification failed.',
    ],
    [
      'the MFA set-up challenge gives no TOTP secret',
      { ChallengeName: 'MFA_SETUP' as const, Session: 's1' },
      { associate: {} },
      'Cognito returned no TOTP secret.',
    ],
    [
      'the MFA set-up challenge refuses the TOTP code',
      { ChallengeName: 'MFA_SETUP' as const, Session: 's1' },
      { associate: { SecretCode: SECRET, Session: 's2' }, verify: { Status: 'ERROR' as const } },
      'TOTP verification failed.',
    ],
    [
      'the MFA set-up challenge does not end in a sign-in',
      { ChallengeName: 'MFA_SETUP' as const, Session: 's1' },
      {
        associate: { SecretCode: SECRET, Session: 's2' },
        verify: { Status: 'SUCCESS' as const, Session: 's3' },
        respond: {},
      },
      'TOTP set-up did not complete the sign-in.',
    ],
  ])('fails plainly when %s, leaving no user behind', async (_case, signIn, answers, message) => {
    const address = email();
    cognitoUpToSignIn(address, signIn);
    const {
      associate = {},
      verify = {},
      respond = {},
    } = answers as {
      associate?: { SecretCode?: string; Session?: string };
      verify?: { Status?: 'SUCCESS' | 'ERROR'; Session?: string };
      respond?: object;
    };
    cognito.on(AssociateSoftwareTokenCommand).resolves(associate);
    cognito.on(VerifySoftwareTokenCommand).resolves(verify);
    cognito.on(RespondToAuthChallengeCommand).resolves(respond);

    const error = await createLocalUser(deps, { email: address, password: PASSWORD, role: 'admins' }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(LocalUserError);
    expect((error as Error).message).toBe(message);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(1);
    expect(await rowsFor(address)).toEqual([]);
  });

  it('passes an unexpected Cognito failure on as it is, after undoing the user', async () => {
    const address = email();
    cognito.on(AdminCreateUserCommand).resolves({});
    cognito
      .on(AdminSetUserPasswordCommand)
      .rejects(new InternalErrorException({ message: 'Cognito is having a bad day', $metadata: {} }));
    cognito.on(AdminDeleteUserCommand).resolves({});
    const error = await createLocalUser(deps, { email: address, password: PASSWORD, role: 'members' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InternalErrorException);
    expect(error).not.toBeInstanceOf(LocalUserError);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(1);
  });

  it('passes an unexpected failure to create the Cognito user on as it is, with nothing to undo', async () => {
    cognito
      .on(AdminCreateUserCommand)
      .rejects(new InternalErrorException({ message: 'Cognito is having a bad day', $metadata: {} }));
    await expect(
      createLocalUser(deps, { email: email(), password: PASSWORD, role: 'members' }),
    ).rejects.toThrow('Cognito is having a bad day');
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });
});
