import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';

/** The DML-only role the API functions and triggers use (its secret names it on AWS). */
export const APPLICATION_ROLE = 'parley_app';

export interface RoleLogin {
  readonly username: string;
  readonly password: string;
}

const secretSchema = z.object({
  username: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case PostgreSQL role name'),
  password: z.string().min(16),
});

/**
 * The application role's login, from the Secrets Manager secret named by DB_APP_SECRET_ARN (the
 * migrator's environment on AWS). Without it (local stack, tests) there is no login: the role is
 * then created without one, and the app keeps connecting as it always did locally.
 */
export async function applicationRoleLogin(
  env: NodeJS.ProcessEnv = process.env,
  client: SecretsManagerClient = new SecretsManagerClient({}),
): Promise<RoleLogin | undefined> {
  const secretId = env.DB_APP_SECRET_ARN;
  if (!secretId) return undefined;
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const parsed = secretSchema.safeParse(JSON.parse(SecretString ?? '{}'));
  if (!parsed.success) {
    // Never the secret's content: only which field is wrong.
    throw new Error(
      `DB_APP_SECRET_ARN: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')} invalid`,
    );
  }
  return parsed.data;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677, PostgreSQL's
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`). Giving the server the verifier
 * instead of the password keeps the password out of the statement text, so out of any log.
 * Generated passwords are printable ASCII, which SASLprep leaves as they are.
 */
export function scramSha256Verifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
