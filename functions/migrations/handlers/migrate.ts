import { Logger } from '@aws-lambda-powertools/logger';

import { getDatabase } from '#shared/db/database';
import { migrateToLatest } from '#shared/db/migrator';
import { withInvocationContext } from '#shared/powertools';

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

/**
 * Runs pending migrations through `getDatabase()` (the Data API on AWS) on Create and Update.
 * A failed migration throws, which fails the custom resource and so rolls the deployment back
 * before any new function code serves traffic against the old schema. Delete does nothing: the
 * data outlives the stack resource.
 */
export const handler = withInvocationContext(
  async (event: MigrateEvent | null | undefined): Promise<MigrateResult> => {
    // A triggers.Trigger may invoke with no payload at all.
    if (event?.RequestType === 'Delete') {
      logger.info('delete request: leaving the schema as it is');
      return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID, Data: { applied: '' } };
    }
    const resultSet = await migrateToLatest(getDatabase());
    const applied = (resultSet.results ?? []).map((r) => r.migrationName);
    logger.info('migrations applied', { applied, count: applied.length });
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { applied: applied.join(',') } };
  },
  logger,
);
