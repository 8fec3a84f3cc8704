import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { hasVisibleCharacter } from '@/features/chat/utils/content-size';
import { replyFeedbackSchema } from '@/features/chat/api/message-schema';
import type { Rating, Reason, ReplyFeedback } from '@/features/chat/api/message-schema';

export interface FeedbackInput {
  readonly rating: Rating;
  /** Only with a thumbs down. */
  readonly reason?: Reason;
  readonly comment?: string;
}

const feedbackPath = (conversationId: string, messageId: string) =>
  `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/feedback`;

/** Rates a finished reply, replacing what was said of it before; the feedback as kept. */
export function giveFeedback(
  api: ApiClient,
  conversationId: string,
  messageId: string,
  input: FeedbackInput,
): Promise<ReplyFeedback> {
  // A comment with nothing that shows says nothing: left out, as the API asks, not refused by it.
  const comment = input.comment?.trim();
  return api.request(feedbackPath(conversationId, messageId), replyFeedbackSchema, {
    method: 'PUT',
    body: {
      rating: input.rating,
      ...(input.rating === 'down' && input.reason ? { reason: input.reason } : {}),
      ...(comment && hasVisibleCharacter(comment) ? { comment } : {}),
    },
  });
}

/** Takes the feedback on a reply back (nothing said is fine). */
export async function withdrawFeedback(
  api: ApiClient,
  conversationId: string,
  messageId: string,
): Promise<void> {
  await api.request(feedbackPath(conversationId, messageId), z.undefined(), { method: 'DELETE' });
}
