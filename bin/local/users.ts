import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  VerifySoftwareTokenCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { displayNameFor } from '../../functions/shared/domain/display-name';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';

import type { Database, Role } from '../../functions/shared/db/schema';
import { passwordPolicyViolations } from '../../functions/auth/domain/password-policy';

/** What `createLocalUser` needs of the local Cognito (a `LocalCognito` fits). */
export interface LocalCognitoHandle {
  readonly admin: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  readonly clientId: string;
}

export interface CreateLocalUserInput {
  readonly email: string;
  readonly password: string;
  readonly role: Role;
  readonly displayName?: string;
}

export interface CreatedLocalUser {
  /** Cognito `sub`, also `users.id`. */
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  /** Base32 TOTP secret, for admins (MFA is required for them): put it in an authenticator app. */
  readonly totpSecret?: string;
}

export class LocalUserError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'LocalUserError';
  }
}

/** The TOTP an authenticator app computes for `secret` (RFC 6238, 30 s, 6 digits, SHA-1 as Cognito). */
export function totpCode(secret: string, timestamp = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp,
  });
}

/**
 * Creates a ready-to-use user: Cognito user (e-mail verified, permanent password, role group) and
 * `users` row (id = sub). Admins get TOTP enrolled and preferred, and the secret back.
 */
export async function createLocalUser(
  deps: { readonly cognito: LocalCognitoHandle; readonly db: Kysely<Database> },
  input: CreateLocalUserInput,
): Promise<CreatedLocalUser> {
  const { admin, userPoolId, clientId } = deps.cognito;
  const email = input.email.trim().toLowerCase();
  const problems = passwordPolicyViolations(input.password);
  if (problems.length > 0)
    throw new LocalUserError(`Password does not conform to policy: ${problems.join('. ')}`);

  const existing = await deps.db
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(email)`, '=', email)
    .executeTakeFirst();
  if (existing) throw new LocalUserError(`A user with e-mail ${email} already exists.`);

  const attributes = [
    { Name: 'email', Value: email },
    { Name: 'email_verified', Value: 'true' },
    ...(input.displayName ? [{ Name: 'name', Value: input.displayName }] : []),
  ];
  try {
    await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: email,
        MessageAction: 'SUPPRESS',
        UserAttributes: attributes,
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'UsernameExistsException') {
      throw new LocalUserError(`A user with e-mail ${email} already exists.`, { cause: error });
    }
    throw error;
  }

  try {
    await admin.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: email,
        Password: input.password,
        Permanent: true,
      }),
    );
    await admin.send(
      new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: email, GroupName: input.role }),
    );
    const { UserAttributes } = await admin.send(
      new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }),
    );
    const id = UserAttributes?.find((a) => a.Name === 'sub')?.Value;
    if (!id) throw new LocalUserError('Cognito returned no sub for the new user.');

    await deps.db
      .insertInto('users')
      .values({
        id,
        email,
        display_name: displayNameFor(email, input.displayName),
        role: input.role,
      })
      .execute();

    if (input.role !== 'admins') return { id, email, role: input.role };
    const totpSecret = await enrolTotp(admin, clientId, email, input.password);
    await deps.db
      .updateTable('users')
      .set({ mfa_enabled: true, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
    return { id, email, role: input.role, totpSecret };
  } catch (error) {
    // Leave nothing half-made behind: the next attempt with a fixed input must succeed.
    await admin
      .send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: email }))
      .catch(() => undefined);
    await deps.db
      .deleteFrom('users')
      .where(sql<string>`lower(email)`, '=', email)
      .execute()
      .catch(() => undefined);
    if (error instanceof LocalUserError) throw error;
    if ((error as Error).name === 'InvalidPasswordException') {
      throw new LocalUserError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

async function enrolTotp(
  admin: CognitoIdentityProviderClient,
  clientId: string,
  email: string,
  password: string,
): Promise<string> {
  const signIn = await admin.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  if (signIn.ChallengeName === 'MFA_SETUP') {
    // MFA required of everyone: the first sign-in sets the TOTP up (as a person does in the app).
    const associated = await admin.send(new AssociateSoftwareTokenCommand({ Session: signIn.Session }));
    if (!associated.SecretCode) throw new LocalUserError('Cognito returned no TOTP secret.');
    const verified = await admin.send(
      new VerifySoftwareTokenCommand({
        Session: associated.Session,
        UserCode: totpCode(associated.SecretCode),
        FriendlyDeviceName: 'parley-local',
      }),
    );
    if (verified.Status !== 'SUCCESS') throw new LocalUserError('TOTP verification failed.');
    const done = await admin.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'MFA_SETUP',
        Session: verified.Session,
        ChallengeResponses: { USERNAME: email },
      }),
    );
    if (!done.AuthenticationResult) throw new LocalUserError('TOTP set-up did not complete the sign-in.');
    return associated.SecretCode;
  }
  const accessToken = signIn.AuthenticationResult?.AccessToken;
  if (!accessToken)
    throw new LocalUserError(`Signing in to enrol TOTP gave ${signIn.ChallengeName ?? 'no tokens'}.`);
  const { SecretCode } = await admin.send(new AssociateSoftwareTokenCommand({ AccessToken: accessToken }));
  if (!SecretCode) throw new LocalUserError('Cognito returned no TOTP secret.');
  const verified = await admin.send(
    new VerifySoftwareTokenCommand({
      AccessToken: accessToken,
      UserCode: totpCode(SecretCode),
      FriendlyDeviceName: 'parley-local',
    }),
  );
  if (verified.Status !== 'SUCCESS') throw new LocalUserError('TOTP verification failed.');
  await admin.send(
    new SetUserMFAPreferenceCommand({
      AccessToken: accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    }),
  );
  return SecretCode;
}
