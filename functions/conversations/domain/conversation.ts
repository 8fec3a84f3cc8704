import * as z from 'zod';
import { NotFoundError } from '../../shared/errors';
import { cursorParam, limitParam } from '../../shared/pagination/cursor';

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

/** Control characters (other than none at all) have no place in a title. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const titleSchema = z
  .string({ message: 'expected a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(TITLE_MAX, `must be at most ${TITLE_MAX} characters`)
  .refine((t) => !CONTROL.test(t), 'must not contain control characters');

export const conversationIdParams = z.strictObject({
  id: z.uuid({ message: 'expected a conversation id (UUID)' }),
});

/** The body is optional: `POST /conversations` with none starts an untitled conversation. */
export const createConversationBody = z.strictObject({ title: titleSchema.optional() }).default({});
export const renameConversationBody = z.strictObject({ title: titleSchema });

export const listConversationsQuery = z.strictObject({
  limit: limitParam(20, 100),
  cursor: cursorParam.optional(),
  q: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
});

export type ListConversationsQuery = z.output<typeof listConversationsQuery>;
