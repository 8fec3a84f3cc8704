import { DomainError, NotFoundError } from '#shared/errors';

export const TITLE_MAX = 200;
export const DEFAULT_TITLE = 'New conversation';

/** What clients see of a conversation. */
export interface Conversation {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly messageCount: number;
}

export class ConversationNotFoundError extends NotFoundError {
  constructor() {
    // The same answer whether it does not exist or belongs to someone else: no enumeration.
    super('No such conversation.');
  }
}

/**
 * 409: the person has as many live (not deleted) conversations as they may keep
 * (CONVERSATIONS_MAX_PER_PERSON), on a create or a restore. Not a 429: waiting does not help,
 * deleting does. Its own problem type, so that a client can tell it from a reply still streaming.
 */
export class ConversationLimitError extends DomainError {
  readonly status = 409;
  readonly slug = 'conversation-limit';
  readonly title = 'Too many conversations';
  constructor(readonly limit: number) {
    super(
      `You have reached the limit of ${limit} conversations; delete some you no longer need, then try again.`,
    );
  }
}
