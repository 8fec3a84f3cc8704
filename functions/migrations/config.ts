import type { DatabaseConfig } from '#shared/db/database';
import * as z from '#shared/zod';

/**
 * What the migrator reads from its environment: the database only. It runs before the user pool
 * is deployed (its stack comes before the Auth stack's), so it has none of the API's Cognito,
 * model or web settings, and does not parse the shared config that requires them.
 */
const migratorConfigSchema = z.object({
  DB_DRIVER: z.literal('data-api'),
  DB_CLUSTER_ARN: z.string().check(z.startsWith('arn:', 'expected the Aurora cluster ARN')),
  DB_SECRET_ARN: z.string().check(z.startsWith('arn:', 'expected the database secret ARN')),
  DB_NAME: z.string().check(z.regex(/^[a-z_][a-z0-9_]*$/, 'expected a database name')),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'eu-west-1'),
});

/** The migrator's database settings; throws naming each bad variable (never its value). */
export function migratorDatabaseConfig(env: Record<string, string | undefined>): DatabaseConfig {
  const result = z.safeParse(migratorConfigSchema, env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return env[name] === undefined ? `${name} is required` : `${name}: ${issue.message}`;
  });
  throw new Error(`Invalid migrator configuration: ${[...new Set(problems)].join('; ')}`);
}
