import type { Context, ScheduledEvent } from 'aws-lambda';

import { postgresStaleSignInAttempts } from '#auth/adapters/postgres-sign-in-attempts';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getConfig } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { logger, metrics, MetricUnit, publishMetrics, withInvocationContext } from '#shared/powertools';
import { postgresConversationPurge } from './conversation-purge';
import { pruneSignInAttempts } from './prune-sign-in-attempts';
import { purgeConversations, type PurgeSummary } from './purge-conversations';

/** What one run erased; `complete` is false when it stopped with more left for the next. */
export interface RetentionSummary extends PurgeSummary {
  readonly erasedSignInAttempts: number;
}

/**
 * The daily retention run (an EventBridge schedule on AWS; at start and then daily locally): erases
 * deleted conversations after CONVERSATION_PURGE_DAYS, and inactive ones after
 * CONVERSATION_RETENTION_DAYS when set, then the lockout counters that no longer count. A run that
 * stops at its limits leaves the rest to the next.
 */
export async function runRetention(timeLeft: () => number, now = new Date()): Promise<RetentionSummary> {
  const config = getConfig();
  const db = getSql();
  const purged = await purgeConversations({
    purge: postgresConversationPurge(db),
    audit: postgresAuditLog(db),
    policy: { deletedDays: config.CONVERSATION_PURGE_DAYS, inactiveDays: config.CONVERSATION_RETENTION_DAYS },
    now,
    timeLeft,
  });
  const pruned = await pruneSignInAttempts({ attempts: postgresStaleSignInAttempts(db), now, timeLeft });
  const summary: RetentionSummary = {
    erasedDeleted: purged.erasedDeleted,
    erasedInactive: purged.erasedInactive,
    erasedSignInAttempts: pruned.erasedSignInAttempts,
    complete: purged.complete && pruned.complete,
  };
  logger.info('retention run', { ...summary });
  return summary;
}

/** Without a Lambda context (a direct call), the run may take the function's whole 5 minutes. */
const RUN_MS = 5 * 60_000;

export const handler = withInvocationContext(async (_event: ScheduledEvent, context?: Context) => {
  const started = Date.now();
  const timeLeft = context ? () => context.getRemainingTimeInMillis() : () => RUN_MS - (Date.now() - started);
  try {
    const summary = await runRetention(timeLeft);
    metrics.addMetric(
      'ConversationsErased',
      MetricUnit.Count,
      summary.erasedDeleted + summary.erasedInactive,
    );
    metrics.addMetric('RetentionIncomplete', MetricUnit.Count, summary.complete ? 0 : 1);
    return summary;
  } finally {
    publishMetrics();
  }
});
