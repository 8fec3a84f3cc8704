import { useEffect, useState } from 'react';

import { useApiClient } from '@/lib/api-client-context';
import { getConversation } from '@/features/conversations/api/get-conversation';
import type { Conversation } from '@/features/conversations/api/conversation-schema';

/** One conversation's details (its title), read again whenever `refreshKey` changes. */
export function useConversation(conversationId: string | null, refreshKey: number): Conversation | null {
  const api = useApiClient();
  const [conversation, setConversation] = useState<Conversation | null>(null);

  useEffect(() => {
    if (!conversationId) {
      setConversation(null);
      return;
    }
    const controller = new AbortController();
    getConversation(api, conversationId, controller.signal).then(
      (found) => setConversation(found),
      () => {
        if (!controller.signal.aborted) setConversation(null);
      },
    );
    return () => controller.abort();
  }, [api, conversationId, refreshKey]);

  return conversation?.id === conversationId ? conversation : null;
}
