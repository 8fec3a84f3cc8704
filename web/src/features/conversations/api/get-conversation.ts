import type { ApiClient } from '@/lib/api-client';
import { conversationSchema } from '@/features/conversations/api/conversation-schema';
import type { Conversation } from '@/features/conversations/api/conversation-schema';

export function getConversation(
  api: ApiClient,
  conversationId: string,
  signal?: AbortSignal,
): Promise<Conversation> {
  return api.request(`/conversations/${encodeURIComponent(conversationId)}`, conversationSchema, { signal });
}
