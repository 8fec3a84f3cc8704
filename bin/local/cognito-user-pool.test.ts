import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterEach, describe, expect, it } from 'vitest';

import { PASSWORD_POLICY } from '#auth/domain/password-policy';

import { ensurePool } from './cognito-user-pool';

type Answers = Record<string, (input: Record<string, unknown>) => unknown>;

/** A stand-in for the SDK client on cognito-local: answers by command name, records the calls. */
function emulator(answers: Answers) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) return Promise.reject(new Error(`unexpected ${name}`));
      try {
        return Promise.resolve(answer(command.input));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  } as unknown as CognitoIdentityProviderClient;
  return { client, calls, commands: () => calls.map((c) => c.command) };
}

const creating: Answers = {
  CreateUserPool: () => ({ UserPool: { Id: 'local_new' } }),
  SetUserPoolMfaConfig: () => ({}),
  CreateUserPoolClient: () => ({ UserPoolClient: { ClientId: 'client-new' } }),
  CreateGroup: () => ({}),
};
const gone = () => {
  throw Object.assign(new Error('User pool local_old does not exist.'), {
    name: 'ResourceNotFoundException',
  });
};

const dirs: string[] = [];
function idsFile(content?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-pool-'));
  dirs.push(dir);
  const file = join(dir, 'ids.json');
  if (content !== undefined) writeFileSync(file, content);
  return file;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the local user pool', () => {
  it('is made like the auth stack: password policy, optional TOTP, the SPA client, one group per role', async () => {
    const file = idsFile();
    const { client, calls, commands } = emulator(creating);
    await expect(ensurePool(client, file)).resolves.toEqual({
      userPoolId: 'local_new',
      clientId: 'client-new',
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      userPoolId: 'local_new',
      clientId: 'client-new',
    });
    expect(commands()).toEqual([
      'CreateUserPool',
      'SetUserPoolMfaConfig',
      'CreateUserPoolClient',
      'CreateGroup',
      'CreateGroup',
      'CreateGroup',
    ]);
    expect(calls[0]?.input).toMatchObject({
      UsernameAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: { MinimumLength: PASSWORD_POLICY.minLength } },
    });
    expect(calls[1]?.input).toMatchObject({ SoftwareTokenMfaConfiguration: { Enabled: true } });
    expect(calls[2]?.input).toMatchObject({
      UserPoolId: 'local_new',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    expect(calls.slice(3).map((c) => c.input.GroupName)).toEqual(['admins', 'auditors', 'members']);
  });

  it('is kept across restarts while the emulator still has it', async () => {
    const saved = { userPoolId: 'local_old', clientId: 'client-old' };
    const { client, commands } = emulator({
      DescribeUserPool: () => ({}),
      DescribeUserPoolClient: () => ({}),
    });
    await expect(ensurePool(client, idsFile(JSON.stringify(saved)))).resolves.toEqual(saved);
    expect(commands()).toEqual(['DescribeUserPool', 'DescribeUserPoolClient']);
  });

  it.each([
    ['its pool is gone', { DescribeUserPool: gone }],
    ['its app client is gone', { DescribeUserPool: () => ({}), DescribeUserPoolClient: gone }],
  ])('is made anew when %s', async (_what, describeAnswers: Answers) => {
    const file = idsFile(JSON.stringify({ userPoolId: 'local_old', clientId: 'client-old' }));
    const { client } = emulator({ ...describeAnswers, ...creating });
    await expect(ensurePool(client, file)).resolves.toEqual({
      userPoolId: 'local_new',
      clientId: 'client-new',
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      userPoolId: 'local_new',
      clientId: 'client-new',
    });
  });

  it.each([
    ['not JSON', '{ids'],
    ['without a client id', JSON.stringify({ userPoolId: 'local_old' })],
    ['without a pool id', JSON.stringify({ clientId: 'client-old' })],
  ])('is made anew when the saved ids are %s, without asking for the old one', async (_what, content) => {
    const { client, commands } = emulator(creating);
    await expect(ensurePool(client, idsFile(content))).resolves.toEqual({
      userPoolId: 'local_new',
      clientId: 'client-new',
    });
    expect(commands()[0]).toBe('CreateUserPool');
  });

  it('fails clearly, saving nothing, when the emulator makes no pool or no app client', async () => {
    const file = idsFile();
    await expect(
      ensurePool(emulator({ ...creating, CreateUserPool: () => ({}) }).client, file),
    ).rejects.toThrow('cognito-local created no user pool');
    await expect(
      ensurePool(
        emulator({ ...creating, CreateUserPoolClient: () => ({ UserPoolClient: {} }) }).client,
        file,
      ),
    ).rejects.toThrow('cognito-local created no app client');
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });
});
