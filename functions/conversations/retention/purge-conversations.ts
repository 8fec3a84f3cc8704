import type { AuditLog } from '#shared/audit/audit-log';
import type { ConversationPurge } from './conversation-purge';

const DAY_MS = 86_400_000;
/** Conversations a statement erases (with all their messages). */
export const PURGE_BATCH = 200;
/** Batches of each kind one run takes at most; the rest waits for the next run. */
export const PURGE_MAX_BATCHES = 250;
/** A batch is not started with less time than this left. */
const MIN_TIME_LEFT_MS = 30_000;

export interface RetentionPolicy {
  /** Days a deleted conversation's content is kept before it is erased (0: at the next run). */
  readonly deletedDays: number;
  /** Days without a new message after which a conversation is erased; undefined: kept for ever. */
  readonly inactiveDays?: number | undefined;
}

export interface PurgeSummary {
  readonly erasedDeleted: number;
  readonly erasedInactive: number;
  /** False when the run stopped at its batch or time limit with more left for the next one. */
  readonly complete: boolean;
}

export interface PurgeDeps {
  readonly purge: ConversationPurge;
  readonly audit: AuditLog;
  readonly policy: RetentionPolicy;
  readonly now: Date;
  /** Milliseconds left in this run (a Lambda's remaining time). */
  timeLeft(): number;
}

/**
 * Calls `erase` with PURGE_BATCH until a batch is not full, at most PURGE_MAX_BATCHES times and
 * while MIN_TIME_LEFT_MS is left; `complete` is false when it stopped with more left.
 */
export async function eraseInBatches(
  erase: (limit: number) => Promise<number>,
  timeLeft: () => number,
): Promise<{ readonly erased: number; readonly complete: boolean }> {
  let erased = 0;
  for (let batch = 0; batch < PURGE_MAX_BATCHES; batch += 1) {
    if (timeLeft() < MIN_TIME_LEFT_MS) break;
    const count = await erase(PURGE_BATCH);
    erased += count;
    if (count < PURGE_BATCH) return { erased, complete: true };
  }
  return { erased, complete: false };
}

/**
 * The retention run: erases the conversations deleted more than `deletedDays` ago, then (when the
 * organisation set one) those without a message for `inactiveDays`, in batches, and audits what
 * it erased (counts only, never content). Usage and audit records stay: they hold no content.
 */
export async function purgeConversations(deps: PurgeDeps): Promise<PurgeSummary> {
  const { purge, policy, now } = deps;
  let complete = true;
  const eraseAll = async (erase: (before: Date, limit: number) => Promise<number>, days: number) => {
    const before = new Date(now.getTime() - days * DAY_MS);
    const result = await eraseInBatches((limit) => erase(before, limit), deps.timeLeft);
    complete &&= result.complete;
    return result.erased;
  };
  const erasedDeleted = await eraseAll(purge.eraseDeleted, policy.deletedDays);
  const erasedInactive =
    policy.inactiveDays === undefined ? 0 : await eraseAll(purge.eraseInactive, policy.inactiveDays);
  const summary = { erasedDeleted, erasedInactive, complete };
  if (erasedDeleted + erasedInactive > 0) {
    await deps.audit.record({
      actorId: null,
      action: 'retention.purge',
      targetType: 'conversation',
      details: {
        ...summary,
        deletedDays: policy.deletedDays,
        inactiveDays: policy.inactiveDays ?? null,
      },
    });
  }
  return summary;
}
