import type { StaleSignInAttempts } from '#auth/adapters/postgres-sign-in-attempts';
import { eraseInBatches, RetentionRunError } from './purge-conversations';

export interface PruneSummary {
  readonly erasedSignInAttempts: number;
  /** False when the run stopped at its batch or time limit with more left for the next one. */
  readonly complete: boolean;
}

export interface PruneDeps {
  readonly attempts: StaleSignInAttempts;
  readonly now: Date;
  /** Milliseconds left in this run (a Lambda's remaining time). */
  timeLeft(): number;
}

/**
 * The retention run's second part: erases the lockout counters that no longer count (one is kept
 * for every name typed at the sign-in, unknown ones included), in batches as conversations are.
 * Counts only, and not audited: a counter is no one's content, and sprayed names erased each day
 * would fill the audit log with routine.
 */
export async function pruneSignInAttempts(deps: PruneDeps): Promise<PruneSummary> {
  let erased = 0;
  try {
    const { complete } = await eraseInBatches(
      (limit) => deps.attempts.erase(deps.now, limit),
      deps.timeLeft,
      (count) => (erased += count),
    );
    return { erasedSignInAttempts: erased, complete };
  } catch (cause) {
    // The batches before the failure are committed: say how many, as the conversations' part does.
    throw new RetentionRunError({ erasedSignInAttempts: erased }, false, { cause });
  }
}
