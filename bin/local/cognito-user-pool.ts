import {
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  SetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { readFileSync, writeFileSync } from 'node:fs';

import { PASSWORD_POLICY as passwordPolicy } from '#auth/domain/password-policy';

/**
 * The local user pool, made like the auth stack's: the password policy, optional TOTP MFA, the
 * SPA client and one group per role. Created once; its ids are kept for the next start.
 */
export interface Ids {
  readonly userPoolId: string;
  readonly clientId: string;
}

const ROLE_GROUPS = [
  { GroupName: 'admins', Description: 'Administrators: manage users, roles and quotas', Precedence: 1 },
  { GroupName: 'auditors', Description: 'Read the audit log and usage reports', Precedence: 2 },
  { GroupName: 'members', Description: 'Chat', Precedence: 3 },
] as const;

/** The pool `idsFile` names when the emulator still has it; otherwise a new one, saved there. */
export async function ensurePool(client: CognitoIdentityProviderClient, idsFile: string): Promise<Ids> {
  const saved = readIds(idsFile);
  if (saved && (await poolExists(client, saved))) return saved;

  const { UserPool } = await client.send(
    new CreateUserPoolCommand({
      PoolName: 'parley-local',
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
      Policies: {
        PasswordPolicy: {
          MinimumLength: passwordPolicy.minLength,
          RequireLowercase: passwordPolicy.requireLowercase,
          RequireUppercase: passwordPolicy.requireUppercase,
          RequireNumbers: passwordPolicy.requireDigits,
          RequireSymbols: passwordPolicy.requireSymbols,
          TemporaryPasswordValidityDays: passwordPolicy.tempPasswordValidityDays,
        },
      },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: [{ Name: 'name', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const userPoolId = UserPool?.Id;
  if (!userPoolId) throw new Error('cognito-local created no user pool');
  await client.send(
    new SetUserPoolMfaConfigCommand({
      UserPoolId: userPoolId,
      MfaConfiguration: 'OPTIONAL',
      SoftwareTokenMfaConfiguration: { Enabled: true },
    }),
  );
  const { UserPoolClient } = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: 'parley-web',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    }),
  );
  const clientId = UserPoolClient?.ClientId;
  if (!clientId) throw new Error('cognito-local created no app client');
  for (const group of ROLE_GROUPS) {
    await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, ...group }));
  }
  const ids: Ids = { userPoolId, clientId };
  writeFileSync(idsFile, JSON.stringify(ids, null, 2));
  return ids;
}

function readIds(file: string): Ids | undefined {
  try {
    const ids = JSON.parse(readFileSync(file, 'utf8')) as Partial<Ids>;
    return ids.userPoolId && ids.clientId
      ? { userPoolId: ids.userPoolId, clientId: ids.clientId }
      : undefined;
  } catch {
    return undefined;
  }
}

async function poolExists(client: CognitoIdentityProviderClient, ids: Ids): Promise<boolean> {
  try {
    await client.send(new DescribeUserPoolCommand({ UserPoolId: ids.userPoolId }));
    await client.send(
      new DescribeUserPoolClientCommand({ UserPoolId: ids.userPoolId, ClientId: ids.clientId }),
    );
    return true;
  } catch {
    return false;
  }
}
