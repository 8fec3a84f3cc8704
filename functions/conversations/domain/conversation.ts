import { NotFoundError } from '#shared/errors';

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
