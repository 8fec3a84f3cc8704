import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

/**
 * Asks the server to stop writing a reply (202): it stops the model within a moment and keeps
 * the text written so far as the reply. 409 once the reply has ended, which leaves nothing to do.
 */
export async function stopReply(api: ApiClient, conversationId: string, messageId: string): Promise<void> {
  await api.request(
    `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/stop`,
    z.undefined(),
    { method: 'POST' },
  );
}
