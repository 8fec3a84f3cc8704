import { awsRegion, dataApiDatabase, parseEnvironment } from '#shared/config';
import type { DatabaseConfig } from '#shared/db/database';
import * as z from '#shared/zod';

/**
 * What the migrator reads from its environment: the database only. It runs before the user pool
 * is deployed (its stack comes before the Auth stack's), so it has none of the API's Cognito,
 * model or web settings, and does not parse the shared config that requires them: the database's
 * part of it alone.
 */
const migratorConfigSchema = z.object({ AWS_REGION: awsRegion, ...dataApiDatabase });

/** The migrator's database settings; throws ConfigError naming each bad variable (never its value). */
export const migratorDatabaseConfig = (env: Record<string, string | undefined>): DatabaseConfig =>
  parseEnvironment(migratorConfigSchema, env);
