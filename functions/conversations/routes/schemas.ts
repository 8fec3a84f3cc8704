import * as z from '#shared/zod';
import { TITLE_MAX } from '../domain/conversation';

/** Control characters have no place in a title. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const titleSchema = z.string({ message: 'expected a string' }).check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(TITLE_MAX, `must be at most ${TITLE_MAX} characters`),
  z.refine((t: string) => !CONTROL.test(t), 'must not contain control characters'),
);

export const conversationIdParams = z.strictObject({
  id: z.uuid({ message: 'expected a conversation id (UUID)' }),
});

export const conversationSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  messageCount: z.int(),
});

/** One reply of a conversation. */
export const replyParams = z.strictObject({
  id: z.uuid({ message: 'expected a conversation id (UUID)' }),
  messageId: z.uuid({ message: 'expected a message id (UUID)' }),
});
