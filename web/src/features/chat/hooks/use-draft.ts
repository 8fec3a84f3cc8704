import { useCallback, useEffect, useRef, useState } from 'react';

import type { Message } from '@/features/chat/api/message-schema';
import {
  draftStorage,
  readDraft,
  readSent,
  saveDraft,
  saveSent,
  withTakenBack,
} from '@/features/chat/utils/drafts';
import type { SentDraft } from '@/features/chat/utils/drafts';

/** A message sent from the composer that the server has not yet been seen to hold. */
interface Sent extends SentDraft {
  conversationId: string | null;
}

/** The composer's text, and whether the person typed it here (not given back from the draft). */
interface Shown {
  readonly conversationId: string | null;
  readonly text: string;
  readonly typed: boolean;
}

/** The message `sent` is among `messages`: one of the person's, with its text, after those known then. */
function holds(messages: readonly Message[], sent: SentDraft): boolean {
  const from = sent.after === null ? 0 : messages.findIndex((m) => m.id === sent.after) + 1;
  return messages.slice(from).some((m) => m.role === 'user' && m.content === sent.content);
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
  const [shown, setShown] = useState<Shown>(() => ({
    conversationId,
    text: readDraft(draftStorage(), conversationId),
    typed: false,
  }));
  const sentRef = useRef<Sent | null>(null);
  let current = shown;
  if (shown.conversationId !== conversationId) {
    // Another conversation: its own draft, never the one typed for the last.
    current = { conversationId, text: readDraft(draftStorage(), conversationId), typed: false };
    setShown(current);
  }
  const currentRef = useRef(current);
  currentRef.current = current;

  // The server holds the message sent (`messages` are the shown conversation's): its draft goes,
  // unless something else was typed since, and so does the composer's text when it is that draft
  // given back (the conversation left before the server said so, and opened again).
  useEffect(() => {
    const { conversationId: id, text, typed } = currentRef.current;
    const storage = draftStorage();
    const sent = sentRef.current?.conversationId === id ? sentRef.current : readSent(storage, id);
    if (!sent || !holds(messages, sent)) return;
    if (sentRef.current?.conversationId === id) sentRef.current = null;
    saveSent(storage, id, null);
    if (readDraft(storage, id) === sent.content) saveDraft(storage, id, '');
    if (!typed && text === sent.content) setShown({ conversationId: id, text: '', typed: false });
  }, [messages]);

  const change = useCallback((text: string) => {
    const id = currentRef.current.conversationId;
    setShown({ conversationId: id, text, typed: true });
    saveDraft(draftStorage(), id, text);
  }, []);

  const sent = useCallback((content: string, held: readonly Message[]) => {
    const id = currentRef.current.conversationId;
    const after = held.at(-1)?.id ?? null;
    sentRef.current = { conversationId: id, content, after };
    setShown({ conversationId: id, text: '', typed: false });
    const storage = draftStorage();
    saveDraft(storage, id, content);
    saveSent(storage, id, { content, after });
  }, []);

  const takeBack = useCallback((content: string) => {
    const sent = sentRef.current;
    sentRef.current = null;
    const id = sent?.conversationId ?? currentRef.current.conversationId;
    const storage = draftStorage();
    saveSent(storage, id, null);
    if (id === currentRef.current.conversationId) {
      const text = withTakenBack(content, currentRef.current.text);
      setShown({ conversationId: id, text, typed: true });
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
    const sent = readSent(storage, null);
    saveSent(storage, null, null);
    saveSent(storage, to, sent);
    if (sentRef.current?.conversationId === null) sentRef.current.conversationId = to;
    currentRef.current = { conversationId: to, text: from.text, typed: from.typed };
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
    saveSent(storage, id, null);
    sentRef.current = null;
    currentRef.current = { conversationId: id, text: '', typed: false };
    setShown(currentRef.current);
    return true;
  }, []);

  return { text: current.text, change, sent, takeBack, move, toNewChat };
}
