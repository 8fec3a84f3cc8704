import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { conversationSchema } from '@/features/conversations/api/conversation-schema';

export const conversationPageSchema = z.object({
  items: z.array(conversationSchema),
  /** Opaque keyset cursor for the next (older) page; null on the last page. */
  nextCursor: z.nullable(z.string()),
});

export type ConversationPage = z.infer<typeof conversationPageSchema>;

export interface GetConversationsInput {
  readonly limit?: number;
  readonly cursor?: string;
  /** Only conversations whose title contains this (case-insensitive, literal). */
  readonly q?: string;
}

/** The caller's own conversations, newest first. */
export function getConversations(
  api: ApiClient,
  input: GetConversationsInput = {},
  signal?: AbortSignal,
): Promise<ConversationPage> {
  return api.request('/conversations', conversationPageSchema, {
    query: { limit: input.limit, cursor: input.cursor, q: input.q || undefined },
    signal,
  });
}
