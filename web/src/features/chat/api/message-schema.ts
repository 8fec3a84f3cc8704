import * as z from 'zod/mini';

export const RATINGS = ['up', 'down'] as const;
export type Rating = (typeof RATINGS)[number];

/** Why a reply was rated down, as the API takes it, with the words the app shows. */
export const REASONS = {
  inaccurate: 'Not accurate',
  unhelpful: 'Not helpful',
  incomplete: 'Incomplete',
  harmful: 'Harmful or offensive',
  other: 'Something else',
} as const;
export type Reason = keyof typeof REASONS;

/** The API's longest comment. */
export const COMMENT_MAX = 1000;

/** What the author said of a reply. */
export const replyFeedbackSchema = z.object({
  rating: z.enum(RATINGS),
  reason: z.nullable(z.enum(Object.keys(REASONS) as [Reason, ...Reason[]])),
  comment: z.nullable(z.string()),
  updatedAt: z.string(),
});

export type ReplyFeedback = z.infer<typeof replyFeedbackSchema>;

/** A stored message, as the messages list and the `message`/`done`/`error` events carry it. */
export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  /** `streaming`: the reply is still being written (also after the client stopped listening). */
  status: z.enum(['complete', 'streaming', 'failed']),
  model: z.nullable(z.string()),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  error: z.nullable(z.string()),
  /** A reply its author stopped: what was written until then (a server before it sent none). */
  stopped: z.optional(z.boolean()),
  /** A reply the model ended at the most it may write in one reply (a server before it sent none). */
  truncated: z.optional(z.boolean()),
  createdAt: z.string(),
  /** Only the messages list carries it: the author's feedback on a reply (null: none). */
  feedback: z.optional(z.nullable(replyFeedbackSchema)),
});

export type Message = z.infer<typeof messageSchema>;
