import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

export async function deleteConversation(api: ApiClient, conversationId: string): Promise<void> {
  await api.request(`/conversations/${encodeURIComponent(conversationId)}`, z.undefined(), {
    method: 'DELETE',
  });
}
