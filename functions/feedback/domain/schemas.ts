import * as z from '#shared/zod';
import { RATINGS, REASONS } from './feedback';

/** A reply's feedback as its author sees it (the answer of giving it). */
export const feedbackSchema = z.object({
  messageId: z.uuid(),
  rating: z.enum(RATINGS),
  reason: z.nullable(z.enum(REASONS)),
  comment: z.nullable(z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** The same on a listed reply, which names itself. */
export const replyFeedbackSchema = z.pick(feedbackSchema, {
  rating: true,
  reason: true,
  comment: true,
  updatedAt: true,
});

/** What admins and auditors see: who, which model, when, and what was said; never the reply. */
export const feedbackEntrySchema = z.extend(feedbackSchema, {
  model: z.nullable(z.string()),
  userId: z.string(),
  email: z.nullable(z.string()),
});
