import type { ApiClient } from '@/lib/api-client';
import { conversationSchema } from '@/features/conversations/api/conversation-schema';
import type { Conversation } from '@/features/conversations/api/conversation-schema';

/** Undoes a delete (until the retention run erases the conversation); 404 after that. */
export function restoreConversation(api: ApiClient, conversationId: string): Promise<Conversation> {
  return api.request(`/conversations/${encodeURIComponent(conversationId)}/restore`, conversationSchema, {
    method: 'POST',
  });
}
