import * as z from 'zod';
import { CONTENT_MAX } from '../domain/message';

/** Control characters other than tab, newline and carriage return (NUL included). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const messageContent = z
  .string({ message: 'expected a string' })
  .max(CONTENT_MAX, `must be at most ${CONTENT_MAX} characters`)
  .refine((text) => text.trim().length > 0, 'must not be empty')
  .refine((text) => !CONTROL.test(text), 'must not contain control characters (NUL included)');

export const messageSchema = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  status: z.enum(['complete', 'streaming', 'failed']),
  model: z.string().nullable(),
  usage: z.object({ promptTokens: z.int(), completionTokens: z.int() }),
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

/** `Idempotency-Key`: printable ASCII, as the IETF draft and Stripe use it. */
export const idempotencyKey = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
