/** The BroadcastChannel on which this app's tabs tell each other that a conversation changed. */
export const CONVERSATION_CHANNEL = 'parley:conversation-changed';

export interface ConversationChannel {
  /** Tells the other tabs that `conversationId` has a new turn (a reply of this tab's ended). */
  tell(conversationId: string): void;
  close(): void;
}

/**
 * The tabs of this origin, told when a reply ends in a conversation, so one showing it reads it
 * again and shows the turn (the conversation's id only: nothing of what was written). Nothing is
 * told without BroadcastChannel; a tab then shows another's turn at its next read.
 */
export function openConversationChannel(onChanged: (conversationId: string) => void): ConversationChannel {
  if (typeof BroadcastChannel === 'undefined') return { tell: () => undefined, close: () => undefined };
  const channel = new BroadcastChannel(CONVERSATION_CHANNEL);
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const data = event.data as { conversationId?: unknown } | null;
    if (typeof data?.conversationId === 'string') onChanged(data.conversationId);
  };
  return {
    tell: (conversationId) => channel.postMessage({ conversationId }),
    close: () => channel.close(),
  };
}
