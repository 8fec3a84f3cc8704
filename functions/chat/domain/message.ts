import type { Feedback } from '#feedback/domain/feedback';
import { ConflictError, DomainError, NotFoundError, RateLimitedError } from '#shared/errors';

export type MessageStatus = 'complete' | 'streaming' | 'failed';

/** What clients see of a message. */
export interface Message {
  readonly id: string;
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: MessageStatus;
  readonly model: string | null;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
  /** Why an assistant message failed (ours, safe to show); null otherwise. */
  readonly error: string | null;
  /**
   * A reply its author stopped (Stop): its content is what was written until then, and while it
   * is still `streaming` it is ending. Always false for a question.
   */
  readonly stopped: boolean;
  /**
   * A reply the model ended because it had written as much as it may in one reply: complete, as
   * it came, but cut short. Always false for a question.
   */
  readonly truncated: boolean;
  readonly createdAt: string;
}

/** What the author said of a reply (feedback), as shown on it. */
export type ReplyFeedback = Pick<Feedback, 'rating' | 'reason' | 'comment' | 'updatedAt'>;

/** A message as a conversation lists it: a reply carries its author's feedback, if any. */
export interface ListedMessage extends Message {
  readonly feedback: ReplyFeedback | null;
}

/** The longest message a user may send: ~8k tokens, within every supported model's window. */
export const CONTENT_MAX = 32_000;
/**
 * The most bytes a message may take as JSON text (UTF-8 and escapes, `jsonBytes`): so that a
 * request carrying it stays within the WAF's largest body inspection (64 KB) and the API's body
 * limit (MAX_BODY_BYTES, 64 KB). 32,000 characters of Latin text fit; of Chinese, Japanese or
 * Korean (three bytes a character) about 20,000 do.
 */
export const CONTENT_MAX_BYTES = 60_000;

/**
 * A reply still `streaming` with no save for this long was abandoned: the function writing it
 * died (the chat function lives at most 5 minutes and a half, and its writer stores the reply's
 * end before it returns). Every read shows it as failed from then on, and the web app, looking
 * at a reply being written, keeps looking at least this long.
 */
export const REPLY_ABANDONED_AFTER_MINUTES = 6;

/** The bytes `text` takes inside a JSON string (UTF-8, escapes included, not the quotes). */
export const jsonBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text)) - 2;

export class MessageNotFoundError extends NotFoundError {
  constructor() {
    // The same answer whether it does not exist or belongs to someone else: no enumeration.
    super('No message of yours by this id in this conversation.');
  }
}

export class ConversationBusyError extends ConflictError {
  constructor() {
    super('A reply is still being written in this conversation; wait for it, then send again.');
  }
}

export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}

/** 409: only the conversation's latest message, a reply, can be written again. */
export class NotLatestReplyError extends ConflictError {
  constructor() {
    super('Only the latest reply of a conversation can be regenerated.');
  }
}

export class ReplyEndedError extends ConflictError {
  constructor() {
    super('This reply is not being written any more: it has already ended.');
  }
}

/** 429 for the monthly token budget: the problem detail names the limit. */
export class QuotaExceededError extends DomainError {
  readonly status = 429;
  readonly slug = 'quota-exceeded';
  readonly title = 'Monthly token quota used up';
  constructor(
    limit: number,
    override readonly retryAfterSeconds: number,
  ) {
    super(`You have used your monthly quota of ${limit} tokens; it renews on the 1st (UTC).`);
  }
}

/**
 * 429: the owner has as many replies being written as they may (CHAT_MAX_REPLIES_IN_FLIGHT). Its
 * problem type is `rate-limited`, as the rate's: clients tell them apart by the detail.
 */
export class RepliesInFlightError extends RateLimitedError {
  constructor(limit: number) {
    super(
      `You have reached the limit of ${limit} replies being written at once; wait for one to end, then send again.`,
      5,
    );
  }
}

/** 429 for the per-user request rate: the problem detail names the limit. */
export class ChatRateLimitedError extends RateLimitedError {
  constructor(limitPerMinute: number, retryAfterSeconds: number) {
    super(`You can send at most ${limitPerMinute} messages a minute.`, retryAfterSeconds);
  }
}
