import { useCallback, useEffect, useRef, useState } from 'react';

import type { Message } from '@/features/chat/api/message-schema';
import { draftStorage, readDraft, saveDraft, withTakenBack } from '@/features/chat/utils/drafts';

/** A message sent from the composer that the server has not yet been seen to hold. */
interface Sent {
  conversationId: string | null;
  readonly content: string;
  /** The messages the view held when it was sent. */
  readonly known: ReadonlySet<string>;
}

export interface Draft {
  readonly text: string;
  /** The person typed: kept for this conversation. */
  change(text: string): void;
  /**
   * Sent: the composer empties, but the draft is kept until the server holds the message (shown
   * in `messages`), so that a Stop, a failure or leaving before then does not lose it.
   */
  sent(content: string, messages: readonly Message[]): void;
  /** Stop came before the server had it: the text goes back, before anything typed since. */
  takeBack(content: string): void;
  /** The new chat became this conversation: its draft goes with it. */
  move(conversationId: string): void;
  /**
   * This conversation is gone (deleted in another tab): its draft goes to the new chat, before
   * what was typed there. True when there was one.
   */
  toNewChat(): boolean;
}

/** The composer's text for `conversationId` (null: the new-chat page), kept as a draft. */
export function useDraft(conversationId: string | null, messages: readonly Message[]): Draft {
  const [shown, setShown] = useState(() => ({
    conversationId,
    text: readDraft(draftStorage(), conversationId),
  }));
  const sentRef = useRef<Sent | null>(null);
  let current = shown;
  if (shown.conversationId !== conversationId) {
    // Another conversation: its own draft, never the one typed for the last.
    current = { conversationId, text: readDraft(draftStorage(), conversationId) };
    setShown(current);
  }
  const currentRef = useRef(current);
  currentRef.current = current;

  // The server holds the message sent: its draft goes (unless something else was typed since).
  useEffect(() => {
    const sent = sentRef.current;
    if (!sent) return;
    const stored = messages.some(
      (m) => m.role === 'user' && !sent.known.has(m.id) && m.content === sent.content,
    );
    if (!stored) return;
    sentRef.current = null;
    const storage = draftStorage();
    if (readDraft(storage, sent.conversationId) === sent.content) saveDraft(storage, sent.conversationId, '');
  }, [messages]);

  const change = useCallback((text: string) => {
    const id = currentRef.current.conversationId;
    setShown({ conversationId: id, text });
    saveDraft(draftStorage(), id, text);
  }, []);

  const sent = useCallback((content: string, held: readonly Message[]) => {
    const id = currentRef.current.conversationId;
    sentRef.current = { conversationId: id, content, known: new Set(held.map((m) => m.id)) };
    setShown({ conversationId: id, text: '' });
    saveDraft(draftStorage(), id, content);
  }, []);

  const takeBack = useCallback((content: string) => {
    const sent = sentRef.current;
    sentRef.current = null;
    const id = sent?.conversationId ?? currentRef.current.conversationId;
    const storage = draftStorage();
    if (id === currentRef.current.conversationId) {
      const text = withTakenBack(content, currentRef.current.text);
      setShown({ conversationId: id, text });
      saveDraft(storage, id, text);
    } else {
      // Another conversation is open now: the text waits in its own conversation's draft.
      const stored = readDraft(storage, id);
      saveDraft(storage, id, stored === content ? content : withTakenBack(content, stored));
    }
  }, []);

  const move = useCallback((to: string) => {
    const from = currentRef.current;
    if (from.conversationId !== null) return;
    const storage = draftStorage();
    const kept = readDraft(storage, null);
    saveDraft(storage, null, '');
    saveDraft(storage, to, kept);
    if (sentRef.current?.conversationId === null) sentRef.current.conversationId = to;
    currentRef.current = { conversationId: to, text: from.text };
    setShown(currentRef.current);
  }, []);

  const toNewChat = useCallback((): boolean => {
    const id = currentRef.current.conversationId;
    if (id === null) return false;
    const storage = draftStorage();
    const kept = readDraft(storage, id) || currentRef.current.text;
    if (!kept) return false;
    const waiting = readDraft(storage, null);
    saveDraft(storage, null, waiting === kept ? kept : withTakenBack(kept, waiting));
    saveDraft(storage, id, '');
    sentRef.current = null;
    currentRef.current = { conversationId: id, text: '' };
    setShown(currentRef.current);
    return true;
  }, []);

  return { text: current.text, change, sent, takeBack, move, toNewChat };
}
