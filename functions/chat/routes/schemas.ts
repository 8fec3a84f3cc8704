import { hasControlCharacters, hasVisibleCharacter } from '#shared/domain/text';
import { problemSchema } from '#shared/http/problem-schema';
import * as z from '#shared/zod';
import { CONTENT_MAX, CONTENT_MAX_BYTES, jsonBytes } from '../domain/message';

export const messageContent = z.string({ message: 'expected a string' }).check(
  z.maxLength(CONTENT_MAX, `must be at most ${CONTENT_MAX} characters`),
  z.refine(
    (text: string) => jsonBytes(text) <= CONTENT_MAX_BYTES,
    `must be at most ${CONTENT_MAX_BYTES} bytes as JSON text (about 20,000 characters of Chinese, Japanese or Korean)`,
  ),
  // White space, zero-width and other invisible characters alone are an empty message.
  z.refine(hasVisibleCharacter, 'must not be empty'),
  z.refine(
    (text: string) => !hasControlCharacters(text),
    'must not contain control characters (NUL included)',
  ),
);

const tokens = z.int().check(z.nonnegative());

export const messageSchema = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  status: z.enum(['complete', 'streaming', 'failed']),
  model: z.nullable(z.string()),
  usage: z.object({ promptTokens: tokens, completionTokens: tokens }),
  error: z.nullable(z.string()),
  /** A reply its author stopped: its content is what was written until then. */
  stopped: z.boolean(),
  /** A reply the model ended at the most it may write in one reply: complete, but cut short. */
  truncated: z.boolean(),
  createdAt: z.iso.datetime(),
});

/**
 * The events of a reply written as server-sent events (stream-turn.ts), by name: each one's
 * `data`. `error` is the problem, when to try again, and the reply as stored (failed); an error
 * from outside the turn (its writer failed) carries the problem alone.
 */
export const replyEvents = {
  /** The stored user message (a new message), or the emptied reply (a reply written again). */
  message: messageSchema,
  delta: z.object({ text: z.string() }),
  done: messageSchema,
  error: z.extend(problemSchema, {
    retryAfter: z.optional(z.int().check(z.nonnegative())),
    message: z.optional(messageSchema),
  }),
};

/** A new message's events: the reply's events, and `reply`, the reply as it starts (to stop). */
export const turnEvents = { ...replyEvents, reply: messageSchema };

/** `Idempotency-Key`: printable ASCII, as the IETF draft and Stripe use it. */
export const idempotencyKey = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(200, 'must be at most 200 characters'),
    z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  );
