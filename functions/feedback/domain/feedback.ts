import { ConflictError, NotFoundError } from '#shared/errors';

export const RATINGS = ['up', 'down'] as const;
export type Rating = (typeof RATINGS)[number];

/** Why a reply was rated down: a short, fixed list, so reports can count them. */
export const REASONS = ['inaccurate', 'unhelpful', 'incomplete', 'harmful', 'other'] as const;
export type Reason = (typeof REASONS)[number];

/** The longest comment: a few sentences, not a second conversation. */
export const COMMENT_MAX = 1_000;

/** What a person says of one reply. */
export interface FeedbackInput {
  readonly rating: Rating;
  /** Only with a thumbs down. */
  readonly reason?: Reason;
  readonly comment?: string;
}

/** A reply's feedback as its author sees it (on the reply, and after giving it). */
export interface Feedback {
  readonly messageId: string;
  readonly rating: Rating;
  readonly reason: Reason | null;
  readonly comment: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What admins and auditors see: who, which model, when, and what was said; never the reply. */
export interface FeedbackEntry extends Feedback {
  readonly userId: string;
  readonly email: string | null;
  readonly model: string | null;
}

export class ReplyNotFoundError extends NotFoundError {
  constructor() {
    super('No reply of yours by this id in this conversation.');
  }
}

export class ReplyNotFinishedError extends ConflictError {
  constructor() {
    super('Only a finished reply takes feedback: wait until it is complete.');
  }
}
