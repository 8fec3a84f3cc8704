import type { Context, ScheduledEvent } from 'aws-lambda';

import { postgresStaleSignInAttempts } from '#auth/adapters/postgres-sign-in-attempts';
import { postgresAbandonedReplies } from '#chat/adapters/postgres-abandoned-replies';
import { promptSettingsOf } from '#chat/domain/system-prompt';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getConfig } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { logger, metrics, MetricUnit, publishMetrics, withInvocationContext } from '#shared/powertools';
import { chargeAbandonedReplies } from './charge-abandoned-replies';
import { postgresConversationPurge } from './conversation-purge';
import { pruneSignInAttempts } from './prune-sign-in-attempts';
import {
  purgeConversations,
  RetentionRunError,
  type ErasedCounts,
  type PurgeSummary,
} from './purge-conversations';

/** What one run charged and erased; `complete` is false when it stopped with more left for the next. */
export interface RetentionSummary extends PurgeSummary {
  readonly chargedAbandonedReplies: number;
  readonly erasedSignInAttempts: number;
}

/**
 * A later part of the run; should it fail part-way, its error carries the counts of the parts that
 * finished before it (committed, and the conversations' audited): they belong in the failed run's
 * report.
 */
async function after<T>(done: Partial<ErasedCounts>, part: () => Promise<T>): Promise<T> {
  try {
    return await part();
  } catch (error) {
    if (!(error instanceof RetentionRunError)) throw error;
    throw new RetentionRunError({ ...done, ...error.erased }, error.auditMissing, { cause: error.cause });
  }
}

/**
 * The daily retention run (an EventBridge schedule on AWS; at start and then daily locally): charges
 * the replies abandoned by a function that died that no later turn charged, then erases deleted
 * conversations after CONVERSATION_PURGE_DAYS, and inactive ones after CONVERSATION_RETENTION_DAYS
 * when set (but none that still holds a reply being written: one the sweep did not charge waits for
 * the next run), then the lockout counters that no longer count. A run that stops at its limits
 * leaves the rest to the next.
 */
export async function runRetention(timeLeft: () => number, now = new Date()): Promise<RetentionSummary> {
  const config = getConfig();
  const db = getSql();
  const charged = await chargeAbandonedReplies({
    // Estimated as the chat builds a reply's prompt: its context window, not the whole conversation.
    replies: postgresAbandonedReplies(db, promptSettingsOf(config)),
    timeLeft,
  });
  const purged = await after({ chargedAbandonedReplies: charged.chargedAbandonedReplies }, () =>
    purgeConversations({
      purge: postgresConversationPurge(db),
      audit: postgresAuditLog(db),
      policy: {
        deletedDays: config.CONVERSATION_PURGE_DAYS,
        inactiveDays: config.CONVERSATION_RETENTION_DAYS,
      },
      now,
      timeLeft,
    }),
  );
  const pruned = await after(
    {
      chargedAbandonedReplies: charged.chargedAbandonedReplies,
      erasedDeleted: purged.erasedDeleted,
      erasedInactive: purged.erasedInactive,
    },
    () => pruneSignInAttempts({ attempts: postgresStaleSignInAttempts(db), now, timeLeft }),
  );
  const summary: RetentionSummary = {
    chargedAbandonedReplies: charged.chargedAbandonedReplies,
    erasedDeleted: purged.erasedDeleted,
    erasedInactive: purged.erasedInactive,
    erasedSignInAttempts: pruned.erasedSignInAttempts,
    // A conversation the purge kept for a reply still being written does not make the run
    // incomplete: the sweep passed over that reply only because its owner was locked (a turn in
    // progress), or it is live, and either is gone by the next run, which charges and erases it.
    // A sweep that stopped at its limits does (`charged.complete`): the replies it did not reach
    // keep their conversations past the policy until a run reaches them, and three such runs in a
    // row are the backlog the RetentionIncomplete alarm is for.
    complete: charged.complete && purged.complete && pruned.complete,
  };
  logger.info('retention run', { ...summary });
  return summary;
}

/**
 * Records a run's counts: AbandonedRepliesCharged, ConversationsErased, and RetentionIncomplete (1
 * when it stopped with work left or failed, which the alarm on it pages for).
 */
function measure(summary: RetentionSummary) {
  metrics.addMetric('AbandonedRepliesCharged', MetricUnit.Count, summary.chargedAbandonedReplies);
  metrics.addMetric('ConversationsErased', MetricUnit.Count, summary.erasedDeleted + summary.erasedInactive);
  metrics.addMetric('RetentionIncomplete', MetricUnit.Count, summary.complete ? 0 : 1);
}

/** Without a Lambda context (a direct call), the run may take the function's whole 5 minutes. */
const RUN_MS = 5 * 60_000;

export const handler = withInvocationContext(async (_event: ScheduledEvent, context?: Context) => {
  const started = Date.now();
  const timeLeft = context ? () => context.getRemainingTimeInMillis() : () => RUN_MS - (Date.now() - started);
  try {
    const summary = await runRetention(timeLeft);
    measure(summary);
    return summary;
  } catch (error) {
    // Batches committed before a failure erased conversations for good: log and count them, or
    // nothing but the audit event (itself perhaps not written) would say they are gone.
    const erased = error instanceof RetentionRunError ? error.erased : {};
    const summary: RetentionSummary = {
      chargedAbandonedReplies: erased.chargedAbandonedReplies ?? 0,
      erasedDeleted: erased.erasedDeleted ?? 0,
      erasedInactive: erased.erasedInactive ?? 0,
      erasedSignInAttempts: erased.erasedSignInAttempts ?? 0,
      complete: false,
    };
    const auditMissing = error instanceof RetentionRunError && error.auditMissing;
    logger.error('retention run failed', { ...summary, auditMissing, error: error as Error });
    measure(summary);
    throw error;
  } finally {
    publishMetrics();
  }
});
