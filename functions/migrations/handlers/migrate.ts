import { Logger } from '@aws-lambda-powertools/logger';
import type { Kysely } from 'kysely';

import { createDatabase } from '#shared/db/database';
import { migrateToLatest } from '#shared/db/migrator';
import type { Database } from '#shared/db/schema';
import { withInvocationContext } from '#shared/powertools';

import { migratorDatabaseConfig } from '../config';

const logger = new Logger({ serviceName: 'parley-migrations' });

/** What a CDK custom resource (Provider framework) or a `triggers.Trigger` invokes us with. */
export interface MigrateEvent {
  readonly RequestType?: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
}

export interface MigrateResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly applied: string };
}

const PHYSICAL_RESOURCE_ID = 'parley-database-migrations';

/** From the environment, when there is something to migrate: a Delete never reads it. */
const database = (): Kysely<Database> => createDatabase(migratorDatabaseConfig(process.env));

/**
 * Runs pending migrations through the Data API on Create and Update. A failed migration throws,
 * which fails the custom resource and so the Schema stack's deployment (its reason, in the stack's
 * events and the deploy log, is the error as withInvocationContext cleans it: no row or key the
 * database quoted), before any stack with a function that queries the database is updated
 * (lib/stacks/schema-stack.ts). Delete does nothing: the data outlives the stack resource (and the
 * resource may move between stacks).
 */
export const handler = withInvocationContext(
  async (event: MigrateEvent | null | undefined): Promise<MigrateResult> => {
    // A triggers.Trigger may invoke with no payload at all.
    if (event?.RequestType === 'Delete') {
      logger.info('delete request: leaving the schema as it is');
      return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID, Data: { applied: '' } };
    }
    const db = database();
    const resultSet = await migrateToLatest(db).finally(() => db.destroy());
    const applied = (resultSet.results ?? []).map((r) => r.migrationName);
    logger.info('migrations applied', { applied, count: applied.length });
    if (resultSet.newer?.length) {
      // A rollback to this release, or a deploy of an older commit: its code runs on the newer
      // schema (migrations only ever add), and the next deploy of a newer release goes on from it.
      logger.warn('the database holds migrations of a newer release: left as they are', {
        newer: resultSet.newer,
      });
    }
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { applied: applied.join(',') } };
  },
  logger,
);
