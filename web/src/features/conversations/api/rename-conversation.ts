import type { ApiClient } from '@/lib/api-client';
import { conversationSchema } from '@/features/conversations/api/conversation-schema';
import type { Conversation } from '@/features/conversations/api/conversation-schema';

export const TITLE_MAX_LENGTH = 200;

export function renameConversation(
  api: ApiClient,
  conversationId: string,
  title: string,
): Promise<Conversation> {
  return api.request(`/conversations/${encodeURIComponent(conversationId)}`, conversationSchema, {
    method: 'PATCH',
    body: { title: title.trim() },
  });
}
