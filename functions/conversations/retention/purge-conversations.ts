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

/** The counts a retention run reports, in its summary, its log line and its audit event. */
export interface ErasedCounts {
  /** Replies abandoned by a function that died, marked failed and charged (nothing erased). */
  readonly chargedAbandonedReplies: number;
  readonly erasedDeleted: number;
  readonly erasedInactive: number;
  readonly erasedSignInAttempts: number;
}

/**
 * A retention run that failed part-way. Every batch is its own committed statement, so what the
 * batches before the failure erased is gone for good: `erased` says how much, for the log line and
 * the metric, whatever failed after.
 */
export class RetentionRunError extends Error {
  override readonly name = 'RetentionRunError';

  constructor(
    readonly erased: Partial<ErasedCounts>,
    /** True when conversations were erased and the audit event that records them could not be written. */
    readonly auditMissing: boolean,
    options: { readonly cause: unknown },
  ) {
    // The counts in the message too: a caller that prints only the message still says them.
    const counts = Object.entries(erased)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    super(`The retention run failed part-way${counts ? ` (${counts})` : ''}`, options);
  }
}

/**
 * Calls `erase` with `size` (PURGE_BATCH) until a batch is not full, at most PURGE_MAX_BATCHES times
 * and while MIN_TIME_LEFT_MS is left; `complete` is false when it stopped with more left. `erased`
 * hears of each batch as it commits, so a caller still knows what was erased when a later batch fails.
 */
export async function eraseInBatches(
  erase: (limit: number) => Promise<number>,
  timeLeft: () => number,
  erased: (count: number) => void = () => {},
  size = PURGE_BATCH,
): Promise<{ readonly erased: number; readonly complete: boolean }> {
  let total = 0;
  for (let batch = 0; batch < PURGE_MAX_BATCHES; batch += 1) {
    if (timeLeft() < MIN_TIME_LEFT_MS) break;
    const count = await erase(size);
    total += count;
    erased(count);
    if (count < size) return { erased: total, complete: true };
  }
  return { erased: total, complete: false };
}

/**
 * The retention run: erases the conversations deleted more than `deletedDays` ago, then (when the
 * organisation set one) those without a message for `inactiveDays`, in batches, and audits what
 * it erased (counts only, never content). Usage and audit records stay: they hold no content.
 *
 * The audit event is written once per run, also when a batch fails (with `failed: true` and the
 * counts of the batches committed before it), and then the run fails with a RetentionRunError.
 * One event per run rather than one per batch: a large backlog is up to 500 batches a day, which
 * would bury the audit trail in routine, while the one event after a failure still accounts for
 * every conversation erased. Should that write fail too (the database gone), the error says so
 * and the handler's log line carries the counts.
 */
export async function purgeConversations(deps: PurgeDeps): Promise<PurgeSummary> {
  const { purge, policy, now } = deps;
  const erased = { erasedDeleted: 0, erasedInactive: 0 };
  let complete = true;
  const eraseAll = async (
    kind: keyof typeof erased,
    erase: (before: Date, limit: number) => Promise<number>,
    days: number,
  ) => {
    const before = new Date(now.getTime() - days * DAY_MS);
    const result = await eraseInBatches(
      (limit) => erase(before, limit),
      deps.timeLeft,
      (count) => (erased[kind] += count),
    );
    complete &&= result.complete;
  };
  let failure: { readonly cause: unknown } | undefined;
  try {
    await eraseAll('erasedDeleted', purge.eraseDeleted, policy.deletedDays);
    if (policy.inactiveDays !== undefined)
      await eraseAll('erasedInactive', purge.eraseInactive, policy.inactiveDays);
  } catch (cause) {
    failure = { cause };
  }
  const summary = { ...erased, complete: complete && !failure };
  let auditMissing = false;
  if (erased.erasedDeleted + erased.erasedInactive > 0) {
    try {
      await deps.audit.record({
        actorId: null,
        action: 'retention.purge',
        targetType: 'conversation',
        details: {
          ...summary,
          ...(failure ? { failed: true } : {}),
          deletedDays: policy.deletedDays,
          inactiveDays: policy.inactiveDays ?? null,
        },
      });
    } catch (cause) {
      auditMissing = true;
      failure ??= { cause };
    }
  }
  if (failure) throw new RetentionRunError(erased, auditMissing, failure);
  return summary;
}
