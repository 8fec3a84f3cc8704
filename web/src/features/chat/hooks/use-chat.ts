import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError, networkError } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { getAllMessages } from '@/features/chat/api/get-messages';
import type { Message } from '@/features/chat/api/message-schema';
import { sendMessage } from '@/features/chat/api/send-message';

/** The message being sent and its reply, until the reply is stored and joins `messages`. */
export interface Turn {
  /** What the user sent: shown at once, and sent again by Retry. */
  readonly content: string;
  /** The server stored the user's message (it is in `messages` now). */
  readonly userStored: boolean;
  /** The reply so far, from `delta` events. */
  readonly reply: string;
  readonly phase: 'sending' | 'streaming' | 'failed';
  readonly error: ApiError | null;
}

export interface ChatState {
  /** Stored messages, oldest first. */
  readonly messages: readonly Message[];
  readonly status: 'idle' | 'loading' | 'ready' | 'error';
  readonly loadError: unknown;
  readonly turn: Turn | null;
}

export interface ChatOptions {
  /** Creates a conversation for a chat started on the new-chat page; returns its id. */
  createConversation(): Promise<string>;
  /** A conversation was created for this chat (the app moves to its URL). */
  onConversationCreated(conversationId: string): void;
  /** A reply ended (stored, failed or stopped): titles, order and quota may have changed. */
  onReplyEnded(): void;
}

export interface Chat extends ChatState {
  readonly conversationId: string | null;
  /** A reply is being written: by our own stream, or by the server after we stopped listening. */
  readonly busy: boolean;
  send(content: string): void;
  /** Stops listening to the reply; the server still finishes and stores it. */
  stop(): void;
  /** Sends the failed turn's message again. */
  retry(): void;
}

/** How often, and how many times, to look again at a reply the server is still writing. */
const POLL_MS = 1_000;
const POLL_LIMIT = 120;

function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : networkError();
}

/**
 * One conversation's messages and the sending of new ones. The same instance serves the new-chat
 * page and the conversation it creates, so the reply keeps streaming while the URL changes.
 */
export function useChat(conversationId: string | null, options: ChatOptions): Chat {
  const api = useApiClient();
  const [state, setState] = useState<ChatState>({
    messages: [],
    status: 'idle',
    loadError: null,
    turn: null,
  });
  const [currentId, setCurrentId] = useState<string | null>(conversationId);
  const idRef = useRef<string | null>(conversationId);
  /** The conversation this hook just created, whose URL change must not reset the view. */
  const createdRef = useRef<string | null>(null);
  const sendRef = useRef<AbortController | null>(null);
  const loadRef = useRef<AbortController | null>(null);
  const pollTimer = useRef<number | undefined>(undefined);
  const optionsRef = useRef(options);
  optionsRef.current = options;

  /** Reads the stored messages again; keeps looking while a reply is still being written. */
  const refresh = useCallback(
    async (id: string, polls = 0): Promise<void> => {
      window.clearTimeout(pollTimer.current);
      loadRef.current?.abort();
      const controller = new AbortController();
      loadRef.current = controller;
      try {
        const messages = await getAllMessages(api, id, controller.signal);
        if (idRef.current !== id || controller.signal.aborted) return;
        setState((previous) => ({ ...previous, messages, status: 'ready', loadError: null }));
        const writing = messages.at(-1)?.status === 'streaming';
        if (writing && polls < POLL_LIMIT && !sendRef.current) {
          pollTimer.current = window.setTimeout(() => void refresh(id, polls + 1), POLL_MS);
        } else if (polls > 0) {
          optionsRef.current.onReplyEnded();
        }
      } catch (error) {
        if (controller.signal.aborted || idRef.current !== id) return;
        setState((previous) => ({ ...previous, status: 'error', loadError: error }));
      }
    },
    [api],
  );

  // Open the conversation of the URL (or none, on the new-chat page).
  useEffect(() => {
    if (conversationId !== null && conversationId === createdRef.current) {
      // We created it and moved to its URL: the reply streaming into this view goes on.
      createdRef.current = null;
      return;
    }
    sendRef.current?.abort();
    sendRef.current = null;
    idRef.current = conversationId;
    setCurrentId(conversationId);
    if (conversationId === null) {
      loadRef.current?.abort();
      window.clearTimeout(pollTimer.current);
      setState({ messages: [], status: 'idle', loadError: null, turn: null });
      return;
    }
    setState({ messages: [], status: 'loading', loadError: null, turn: null });
    void refresh(conversationId);
  }, [conversationId, refresh]);

  useEffect(
    () => () => {
      sendRef.current?.abort();
      loadRef.current?.abort();
      window.clearTimeout(pollTimer.current);
    },
    [],
  );

  const send = useCallback(
    (content: string) => {
      if (sendRef.current || !content.trim()) return;
      window.clearTimeout(pollTimer.current);
      const controller = new AbortController();
      sendRef.current = controller;
      const live = () => sendRef.current === controller;
      const setTurn = (update: (turn: Turn) => Turn | null) =>
        setState((previous) => (previous.turn ? { ...previous, turn: update(previous.turn) } : previous));
      setState((previous) => ({
        ...previous,
        turn: { content, userStored: false, reply: '', phase: 'sending', error: null },
      }));

      void (async () => {
        let id = idRef.current;
        let userStored = false;
        try {
          if (id === null) {
            id = await optionsRef.current.createConversation();
            if (!live()) return;
            idRef.current = id;
            createdRef.current = id;
            setCurrentId(id);
            setState((previous) => ({ ...previous, status: 'ready' }));
            optionsRef.current.onConversationCreated(id);
          }
          for await (const event of sendMessage(api, id, content, controller.signal)) {
            if (!live()) return;
            if (event.type === 'message') {
              userStored = true;
              setState((previous) => ({
                ...previous,
                messages: [...previous.messages, event.message],
                turn: previous.turn && { ...previous.turn, userStored: true, phase: 'streaming' },
              }));
            } else if (event.type === 'delta') {
              setTurn((turn) => ({ ...turn, reply: turn.reply + event.text }));
            } else if (event.type === 'done') {
              sendRef.current = null;
              setState((previous) => ({
                ...previous,
                messages: [...previous.messages, event.message],
                turn: null,
              }));
              optionsRef.current.onReplyEnded();
            } else {
              sendRef.current = null;
              setTurn((turn) => ({ ...turn, phase: 'failed', error: event.error }));
              await refresh(id);
              optionsRef.current.onReplyEnded();
            }
          }
        } catch (error) {
          if (!live()) return;
          sendRef.current = null;
          setTurn((turn) => ({ ...turn, phase: 'failed', error: toApiError(error) }));
          // A cut mid-reply, or a refusal after the message was stored: show what the server has.
          if (id !== null && (userStored || (error instanceof ApiError && error.status >= 500))) {
            await refresh(id);
          }
          optionsRef.current.onReplyEnded();
        }
      })();
    },
    [api, refresh],
  );

  const stop = useCallback(() => {
    const controller = sendRef.current;
    if (!controller) return;
    sendRef.current = null;
    controller.abort();
    setState((previous) => ({ ...previous, turn: null }));
    // The server finishes the reply anyway: show what it stored, and follow it until complete.
    const id = idRef.current;
    if (id !== null) void refresh(id, 1);
  }, [refresh]);

  const retry = useCallback(() => {
    const turn = state.turn;
    if (!turn || turn.phase !== 'failed') return;
    send(turn.content);
  }, [send, state.turn]);

  const serverWriting = state.messages.at(-1)?.status === 'streaming';
  const busy = (state.turn !== null && state.turn.phase !== 'failed') || serverWriting;

  return { ...state, conversationId: currentId, busy, send, stop, retry };
}
