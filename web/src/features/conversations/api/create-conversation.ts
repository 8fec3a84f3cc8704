import type { ApiClient } from '@/lib/api-client';
import { conversationSchema } from '@/features/conversations/api/conversation-schema';
import type { Conversation } from '@/features/conversations/api/conversation-schema';

export interface CreateConversationInput {
  /** Left out, the server picks a default title. */
  readonly title?: string;
}

export function createConversation(api: ApiClient, input: CreateConversationInput): Promise<Conversation> {
  const title = input.title?.trim();
  return api.request('/conversations', conversationSchema, {
    method: 'POST',
    body: title ? { title } : {},
  });
}
