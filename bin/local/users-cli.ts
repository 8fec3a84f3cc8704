/** `npm run users`: parsing its arguments and creating the user in the running local server. */
import { ROLES } from '../../functions/shared/domain/roles';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import * as z from 'zod';

import { createDatabase } from '../../functions/shared/db/database';
import { readAdminCredentials } from './cognito-access';
import { createLocalUser, LocalUserError } from './users';

const USAGE = `Usage: npm run users -- create --email <email> --password <password> --role <admins|members|auditors> [--name <display name>]`;

export const createArgsSchema = z.object({
  email: z.email({ message: 'expected an e-mail address' }),
  password: z.string({ message: 'is required' }).min(1, 'is required'),
  role: z.enum(ROLES, { message: 'expected admins, members or auditors' }),
  name: z.string().trim().min(1).max(200).optional(),
});

export const localStateSchema = z.object({
  apiUrl: z.string().optional(),
  cognitoEndpoint: z.url(),
  region: z.string().min(1),
  userPoolId: z.string().min(1),
  clientId: z.string().min(1),
  databaseUrl: z.string().min(1),
});

export class UsageError extends Error {}

export type CreateArgs = z.infer<typeof createArgsSchema>;

/** Parses `create --email … --password … --role …`; throws UsageError naming each problem. */
export function parseCommand(argv: readonly string[]): { command: 'create'; args: CreateArgs } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...extra] = parsed.positionals;
  if (command !== 'create')
    throw new UsageError(command ? `Unknown command "${command}".` : 'Missing command.');
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
  const result = createArgsSchema.safeParse(parsed.values);
  if (!result.success) {
    throw new UsageError(result.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return { command, args: result.data };
}

const NOT_RUNNING =
  'The local server is not running. Start it with `npm start` (in another terminal), then run this again.';

async function readLocalState(file: string) {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    throw new LocalUserError(NOT_RUNNING);
  }
  const state = localStateSchema.safeParse(JSON.parse(raw));
  if (!state.success) throw new LocalUserError(`${file} is not what \`npm start\` writes; restart it.`);
  try {
    await fetch(`${state.data.cognitoEndpoint}/health`, { signal: AbortSignal.timeout(2_000) });
  } catch {
    throw new LocalUserError(NOT_RUNNING);
  }
  return state.data;
}

/**
 * @param dataDir where `npm start` keeps its state: `PARLEY_DATA_DIR`, as for `npm start` itself
 *   (relative to `cwd`), default `.parley`.
 */
export async function main(
  argv: readonly string[],
  cwd = process.cwd(),
  dataDir = process.env.PARLEY_DATA_DIR || '.parley',
): Promise<number> {
  let args: CreateArgs;
  try {
    ({ args } = parseCommand(argv));
  } catch (error) {
    // parseCommand throws nothing but UsageError.
    console.error(`${(error as UsageError).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const state = await readLocalState(resolve(cwd, dataDir, 'local.json'));
    // Admin calls to the local Cognito are signed with the running server's own credentials.
    const credentials = readAdminCredentials(resolve(cwd, dataDir, 'cognito'));
    if (!credentials) throw new LocalUserError(NOT_RUNNING);
    const admin = new CognitoIdentityProviderClient({
      endpoint: state.cognitoEndpoint,
      region: state.region,
      credentials,
    });
    const db = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: state.databaseUrl, DB_POOL_MAX: 2 });
    try {
      const user = await createLocalUser(
        { cognito: { admin, userPoolId: state.userPoolId, clientId: state.clientId }, db },
        { email: args.email, password: args.password, role: args.role, displayName: args.name },
      );
      console.log(JSON.stringify(user, null, 2));
      return 0;
    } finally {
      admin.destroy();
      await db.destroy();
    }
  } catch (error) {
    console.error(
      error instanceof LocalUserError
        ? error.message
        : `Could not create the user: ${(error as Error).message}`,
    );
    return 1;
  }
}
