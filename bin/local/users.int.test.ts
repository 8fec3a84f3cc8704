import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InvalidPasswordException,
  UsernameExistsException,
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
