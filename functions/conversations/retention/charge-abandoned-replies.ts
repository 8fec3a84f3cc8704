import type { AbandonedKeyset, AbandonedReplies } from '#chat/adapters/postgres-abandoned-replies';
import { eraseInBatches, RetentionRunError } from './purge-conversations';

/**
 * Replies a batch looks at: each is a statement of its own for its conversation's history, so
 * fewer than a purge's conversations, and the batch's transaction stays short.
 */
export const ABANDONED_BATCH = 100;

export interface AbandonedSummary {
  readonly chargedAbandonedReplies: number;
  /** False when the run stopped at its batch or time limit with more left for the next one. */
  readonly complete: boolean;
}

export interface AbandonedDeps {
  readonly replies: AbandonedReplies;
  /** Milliseconds left in this run (a Lambda's remaining time). */
  timeLeft(): number;
}

/**
 * The retention run's first part: the replies left `streaming` by a function that died and that no
 * later turn in their conversation found are marked failed and charged by estimate, as that turn
 * would have (the chat's own statements, postgres-abandoned-replies), in batches as conversations
 * are erased. First, so that the purge that follows finds their conversations free to erase: it
 * keeps any conversation still holding a `streaming` reply (conversation-purge), so a reply this
 * sweep passes over (its owner locked, or not reached within the run's limits) is never erased
 * uncharged: its tokens were spent, and the quota and the usage report must count them. Each batch
 * commits on its own, so a failure says how many were charged before it.
 */
export async function chargeAbandonedReplies(deps: AbandonedDeps): Promise<AbandonedSummary> {
  let charged = 0;
  // Replies left locked (a turn marking them, an erasure) are passed over, not found again.
  let after: AbandonedKeyset | undefined;
  try {
    const { complete } = await eraseInBatches(
      async (limit) => {
        const batch = await deps.replies.chargeBatch(after, limit);
        charged += batch.charged;
        after = batch.last ?? after;
        return batch.found;
      },
      deps.timeLeft,
      () => {},
      ABANDONED_BATCH,
    );
    return { chargedAbandonedReplies: charged, complete };
  } catch (cause) {
    throw new RetentionRunError({ chargedAbandonedReplies: charged }, false, { cause });
  }
}
