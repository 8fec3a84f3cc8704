import type { Keyset, Page } from '#shared/pagination/cursor';
import type { Feedback, FeedbackEntry, FeedbackInput, Rating, Reason } from '../domain/feedback';

/** Where the reply was found, and the feedback kept when it could take some. */
export type SaveOutcome =
  | { readonly kind: 'saved'; readonly feedback: Feedback }
  /** The reply is the owner's but still streaming, or failed. */
  | { readonly kind: 'not-finished' }
  /** No assistant message by this id in the owner's (live) conversation. */
  | { readonly kind: 'not-found' };

export interface FeedbackQuery {
  readonly limit: number;
  readonly cursor?: Keyset;
  readonly rating?: Rating;
  readonly reason?: Reason;
  readonly model?: string;
  /** First day, `YYYY-MM-DD` (UTC), included; on the day the feedback was last given. */
  readonly from?: string;
  /** Last day, `YYYY-MM-DD` (UTC), included. */
  readonly to?: string;
}

/** Every owner method is scoped to the owner: another owner's reply is simply not found. */
export interface FeedbackRepository {
  /** Gives or replaces the owner's feedback on a finished reply of theirs. */
  save(
    ownerId: string,
    conversationId: string,
    messageId: string,
    input: FeedbackInput,
  ): Promise<SaveOutcome>;
  /** Takes it back; false when no such reply of the owner's exists (none given is fine). */
  remove(ownerId: string, conversationId: string, messageId: string): Promise<boolean>;
  /**
   * Feedback on live conversations (deleted ones drop out at once, as from the owner's list),
   * newest first, with the counts of each rating over the same filters (the cursor aside).
   */
  list(query: FeedbackQuery): Promise<Page<FeedbackEntry> & { readonly totals: Record<Rating, number> }>;
}
