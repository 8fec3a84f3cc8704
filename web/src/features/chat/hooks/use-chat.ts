import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError, networkError } from '@/lib/api-client';
import {
  openConversationChannel,
  type ConversationChannel,
} from '@/features/chat/utils/conversation-channel';
import { useApiClient } from '@/lib/api-client-context';
import { getAllMessages, getMessage } from '@/features/chat/api/get-messages';
import { deleteConversation } from '@/features/conversations/api/delete-conversation';
import type { Message } from '@/features/chat/api/message-schema';
import { regenerateReply, sendMessage } from '@/features/chat/api/send-message';
import { stopReply } from '@/features/chat/api/stop-reply';
import { hasVisibleCharacter } from '@/features/chat/utils/content-size';
import { nextReplyPoll } from '@/features/chat/utils/reply-polls';

/** The message being sent and its reply, until the reply is stored and joins `messages`. */
export interface Turn {
  /**
   * What the user sent: shown at once, and sent again by Retry (of a regeneration: the question
   * as edited, '' for none).
   */
  readonly content: string;
  /** The server stored the user's message (it is in `messages` now). */
  readonly userStored: boolean;
  /** The reply so far, from `delta` events. */
  readonly reply: string;
  readonly phase: 'sending' | 'streaming' | 'failed';
  readonly error: ApiError | null;
  /**
   * The `Idempotency-Key` a retry sends: the first attempt's own while it is unknown whether the
   * server stored the message (a connection cut, a refusal before storing) or which reply failed,
   * so a retry can never store it twice; a new one once the server has named the reply that
   * failed, which is then a new ask.
   */
  readonly retryKey: string;
  /** The model asked for (undefined: the server's default), asked for again by Retry. */
  readonly model: string | undefined;
  /**
   * The reply Retry writes again instead of sending the message again: the one being regenerated,
   * or the reply the server stored as failed (so the question is not stored twice).
   */
  readonly replyId: string | null;
  /** The latest reply is being written again (the question is already in `messages`). */
  readonly regenerating: boolean;
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
  /**
   * A message taken back: Stop came before the server had it, or its conversation was deleted
   * meanwhile, so the composer gets its text again (a failure keeps it in the failed turn, with
   * Retry).
   */
  onUnsent?(content: string): void;
}

/** A failed send asked again with its first key (Retry), and what its first attempt left known. */
interface Replay {
  /** The server said it stored the message. */
  readonly stored: boolean;
  /** How the first attempt failed. */
  readonly error: ApiError;
}

/** A send or regeneration our stream follows, as far as Stop needs to know it. */
interface Pending {
  readonly controller: AbortController;
  /** The message sent ('' for a regeneration of the question as it is). */
  readonly content: string;
  /** The reply being written again, of a regeneration; null for a new message. */
  readonly regenerating: string | null;
  /** The messages the view held when it was sent: one the server holds after is this one. */
  readonly known: ReadonlySet<string>;
  /** The conversation this send made, until the server has the message. */
  created: string | null;
  /** The server has the message (its `message` event). */
  stored: boolean;
  /** Stop came before the server started writing the regenerated reply: stop it once it has. */
  stopWhenStarted: boolean;
}

export interface Chat extends ChatState {
  readonly conversationId: string | null;
  /** A reply is being written: by our own stream, or by the server after we stopped listening. */
  readonly busy: boolean;
  /** Sends a new message (with a new `Idempotency-Key`), to `model` or the server's default. */
  send(content: string, model?: string): void;
  /**
   * A reply is being written that Stop can stop: ours, or one the server is writing without us
   * (after a reload, or sent from another tab) that nobody has asked to stop yet.
   */
  readonly stoppable: boolean;
  /**
   * Stops the reply being written: the server stops the model and keeps what it wrote. Ours stops
   * being listened to at once; the server's is followed until it has ended.
   */
  stop(): void;
  /**
   * Writes the latest reply again (`replyId`), with `model` or the server's default, for its
   * question or for `content`, the question edited.
   */
  regenerate(replyId: string, model?: string, content?: string): void;
  /** Writes the failed reply again, or sends the failed turn's message again if none was stored. */
  retry(): void;
  /** Reads the conversation again after it could not be loaded. */
  reload(): void;
}

function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : networkError();
}

/** Adds a stored message, or replaces it (a retry's replay sends the stored one again). */
function withMessage(messages: readonly Message[], message: Message): readonly Message[] {
  return messages.some((m) => m.id === message.id)
    ? messages.map((m) => (m.id === message.id ? message : m))
    : [...messages, message];
}

/**
 * A failed turn whose message the history shows answered in full: the connection broke, but the
 * server had the message and finished its reply, so there is nothing left to retry.
 */
function settledTurn(turn: Turn | null, messages: readonly Message[]): Turn | null {
  if (turn?.phase !== 'failed') return turn;
  if (turn.regenerating) {
    // Only a lost connection may have hidden a regeneration the server went on with; a refusal
    // left the earlier reply as it was, and its error stays shown.
    const reply = messages.at(-1);
    return turn.error?.status === 0 && reply?.id === turn.replyId && reply.status !== 'failed' ? null : turn;
  }
  const [question, answer] = messages.slice(-2);
  const answered = question?.role === 'user' && answer?.role === 'assistant' && answer.status === 'complete';
  if (!answered) return turn;
  if (turn.userStored) return null;
  // The stream broke before the server said it stored the message; the history shows it did.
  return turn.error?.status === 0 && question.content === turn.content ? null : turn;
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
  /**
   * The conversation where Stop was pressed and the reply's state is not read yet: its view holds
   * the composer (a send would meet the reply, 409); another conversation opened meanwhile does not.
   */
  const [stoppingIn, setStoppingIn] = useState<string | null>(null);
  /** That Stop has been answered: the composer is free, unless a later Stop holds it elsewhere. */
  const stopAnswered = useCallback(
    (conversationId: string | null) => setStoppingIn((held) => (held === conversationId ? null : held)),
    [],
  );
  const [currentId, setCurrentId] = useState<string | null>(conversationId);
  const idRef = useRef<string | null>(conversationId);
  /** The conversation this hook just created, whose URL change must not reset the view. */
  const createdRef = useRef<string | null>(null);
  const sendRef = useRef<AbortController | null>(null);
  /** The reply our stream is writing, once the server has named it: what Stop asks to stop. */
  const writingRef = useRef<string | null>(null);
  /** Shows the conversation our send made, before the server has said it holds the message. */
  const revealRef = useRef<(() => void) | null>(null);
  /** The send or regeneration our stream follows. */
  const pendingRef = useRef<Pending | null>(null);
  const messagesRef = useRef(state.messages);
  messagesRef.current = state.messages;
  const loadRef = useRef<AbortController | null>(null);
  const pollTimer = useRef<number | undefined>(undefined);
  const optionsRef = useRef(options);
  optionsRef.current = options;

  /**
   * Reads the stored messages again; keeps looking while a reply is still being written. A look
   * after the first reads that reply alone (`following`), while it is still being written: the
   * whole conversation is read again only once it has ended, or when reading it alone failed.
   */
  const refresh = useCallback(
    async (id: string, polls = 0, following?: string): Promise<void> => {
      // A late call for a conversation left (a Stop answered after another was opened) must not
      // cancel the read of the one shown now.
      if (idRef.current !== id) return;
      window.clearTimeout(pollTimer.current);
      loadRef.current?.abort();
      const controller = new AbortController();
      loadRef.current = controller;
      if (following !== undefined) {
        const reply = await getMessage(api, id, following, controller.signal).catch(() => null);
        if (idRef.current !== id || controller.signal.aborted) return;
        const wait = reply?.status === 'streaming' && !sendRef.current ? nextReplyPoll(polls) : null;
        if (reply && wait !== null) {
          setState((previous) => ({ ...previous, messages: withMessage(previous.messages, reply) }));
          pollTimer.current = window.setTimeout(() => void refresh(id, polls + 1, following), wait);
          return;
        }
      }
      try {
        const messages = await getAllMessages(api, id, controller.signal);
        if (idRef.current !== id || controller.signal.aborted) return;
        setState((previous) => ({
          ...previous,
          messages,
          status: 'ready',
          loadError: null,
          turn: settledTurn(previous.turn, messages),
        }));
        const last = messages.at(-1);
        const writing = last?.status === 'streaming';
        const wait = writing && !sendRef.current ? nextReplyPoll(polls) : null;
        if (wait !== null) {
          pollTimer.current = window.setTimeout(() => void refresh(id, polls + 1, last?.id), wait);
        } else if (polls > 0) {
          optionsRef.current.onReplyEnded();
        }
      } catch (error) {
        if (controller.signal.aborted || idRef.current !== id) return;
        // Following a reply being written, one failed read (a lost connection, a 503) is not the
        // end of it: look again on the same schedule, showing what we have meanwhile.
        const wait = polls > 0 && !sendRef.current ? nextReplyPoll(polls) : null;
        if (wait !== null) {
          pollTimer.current = window.setTimeout(() => void refresh(id, polls + 1), wait);
          return;
        }
        setState((previous) => ({ ...previous, status: 'error', loadError: error }));
      }
    },
    [api],
  );

  // Another tab's reply in the conversation shown here ended: read it again, so its turn shows
  // before this tab sends (the reply then is written with it in its context). Not while our own
  // send or regeneration runs: its end reads what it needs.
  const channelRef = useRef<ConversationChannel | null>(null);
  useEffect(() => {
    const channel = openConversationChannel((changed) => {
      if (changed === idRef.current && !sendRef.current) void refresh(changed);
    });
    channelRef.current = channel;
    return () => {
      channel.close();
      channelRef.current = null;
    };
  }, [refresh]);

  /** Reads the conversation again (after it could not be loaded), following a reply being written. */
  const reload = useCallback(() => {
    const id = idRef.current;
    if (id === null) return;
    setState((previous) => ({ ...previous, status: 'loading', loadError: null }));
    void refresh(id);
  }, [refresh]);

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
      // The view is gone (Search, the console, a sign-out): its stream and reads stop, and no late
      // answer of theirs shows a conversation, reads one, or takes the person back to it.
      sendRef.current?.abort();
      sendRef.current = null;
      revealRef.current = null;
      idRef.current = null;
      loadRef.current?.abort();
      window.clearTimeout(pollTimer.current);
    },
    [],
  );

  const start = useCallback(
    (content: string, model: string | undefined, idempotencyKey: string, replay?: Replay) => {
      if (sendRef.current || !hasVisibleCharacter(content)) return;
      window.clearTimeout(pollTimer.current);
      const controller = new AbortController();
      sendRef.current = controller;
      writingRef.current = null;
      const pending: Pending = {
        controller,
        content,
        regenerating: null,
        known: new Set(messagesRef.current.map((m) => m.id)),
        created: null,
        stored: false,
        stopWhenStarted: false,
      };
      pendingRef.current = pending;
      const live = () => sendRef.current === controller;
      const setTurn = (update: (turn: Turn) => Turn | null) =>
        setState((previous) => (previous.turn ? { ...previous, turn: update(previous.turn) } : previous));
      setState((previous) => ({
        ...previous,
        turn: {
          content,
          // A replay of a message the server said it stored: it is shown once, among the messages.
          userStored: replay?.stored ?? false,
          reply: '',
          phase: 'sending',
          error: null,
          retryKey: idempotencyKey,
          model,
          replyId: null,
          regenerating: false,
        },
      }));

      void (async () => {
        let id = idRef.current;
        /** This send made the conversation, which the app shows (URL, sidebar) once it holds the message. */
        let created: string | null = null;
        let stored = false;
        revealRef.current = null;
        const reveal = () => {
          if (created === null) return;
          const shown = created;
          created = null;
          pending.created = null;
          createdRef.current = shown;
          setCurrentId(shown);
          setState((previous) => ({ ...previous, status: 'ready' }));
          optionsRef.current.onConversationCreated(shown);
        };
        try {
          if (id === null) {
            id = await optionsRef.current.createConversation();
            if (!live()) {
              // Stopped before anything was sent: the conversation made for it stays empty.
              await deleteConversation(api, id).catch(() => undefined);
              return;
            }
            idRef.current = id;
            created = id;
            pending.created = id;
            revealRef.current = reveal;
          }
          const events = sendMessage(api, id, content, {
            signal: controller.signal,
            idempotencyKey,
            ...(model === undefined ? {} : { model }),
          });
          for await (const event of events) {
            if (!live()) return;
            if (event.type === 'message') {
              stored = true;
              pending.stored = true;
              reveal();
              setState((previous) => ({
                ...previous,
                messages: withMessage(previous.messages, event.message),
                turn: previous.turn && { ...previous.turn, userStored: true, phase: 'streaming' },
              }));
            } else if (event.type === 'reply') {
              writingRef.current = event.message.id;
            } else if (event.type === 'delta') {
              setTurn((turn) => ({ ...turn, reply: turn.reply + event.text }));
            } else if (event.type === 'done') {
              sendRef.current = null;
              reveal();
              setState((previous) => ({
                ...previous,
                messages: withMessage(previous.messages, event.message),
                turn: null,
              }));
              optionsRef.current.onReplyEnded();
              channelRef.current?.tell(id);
            } else {
              sendRef.current = null;
              reveal();
              // The server stored the reply as failed: Retry writes that reply again (a message
              // sent again would be a new ask, with a new key). An error that does not name it
              // (the route's fallback, a frame this app cannot read) fails the reply our stream
              // was told of; of none, Retry repeats the first key, and the server's replay names it.
              const replyId = event.message?.id ?? writingRef.current;
              setTurn((turn) => ({
                ...turn,
                phase: 'failed',
                error: event.error,
                retryKey: replyId === null ? turn.retryKey : crypto.randomUUID(),
                replyId,
              }));
              await refresh(id);
              optionsRef.current.onReplyEnded();
              channelRef.current?.tell(id);
            }
          }
        } catch (error) {
          if (!live()) return;
          sendRef.current = null;
          const failure = toApiError(error);
          if (replay?.error.status === 0 && failure.status === 409) {
            // Retry after a lost connection, while a reply is still being written: the server
            // answers a repeat of the key with the first result only once its reply has ended
            // (409 until then), or another tab's reply holds the conversation. Nothing was refused:
            // a stored message's reply is followed; one not known stored keeps the lost
            // connection's failure and Retry, which the history clears if it shows it answered.
            setTurn((turn) => (replay.stored ? null : { ...turn, phase: 'failed', error: replay.error }));
            if (id !== null) await refresh(id);
            optionsRef.current.onReplyEnded();
            return;
          }
          if (failure.status === 404 && !stored && created === null && id !== null) {
            // The conversation is gone (deleted in another tab): nothing was stored, and a Retry
            // could only be refused again. The text goes back, to be sent elsewhere, and the
            // read says the conversation is gone.
            setTurn(() => null);
            optionsRef.current.onUnsent?.(content);
            await refresh(id);
            optionsRef.current.onReplyEnded();
            return;
          }
          setTurn((turn) => ({ ...turn, phase: 'failed', error: failure }));
          if (created !== null && !stored && failure.status >= 400) {
            // The server refused the first message of the conversation made for it (quota, rate,
            // model unavailable): nothing was stored, so the empty conversation goes again and the
            // new-chat page keeps the message, with its Retry.
            const discarded = created;
            created = null;
            idRef.current = null;
            await deleteConversation(api, discarded).catch(() => undefined);
          } else {
            reveal();
            // Show what the server has: after a cut (before or during the reply) it may have the
            // message and be finishing its reply; after a refusal, nothing has changed.
            if (id !== null) await refresh(id);
          }
          optionsRef.current.onReplyEnded();
        }
      })();
    },
    [api, refresh],
  );

  /** The reply the server is writing without us, while nobody has asked it to stop. */
  const last = state.messages.at(-1);
  const serverReplyId =
    last?.role === 'assistant' && last.status === 'streaming' && last.stopped !== true ? last.id : null;

  const stop = useCallback(() => {
    const id = idRef.current;
    const controller = sendRef.current;
    const pending = pendingRef.current?.controller === controller ? pendingRef.current : null;
    // Ours: the reply the server named on our stream (none yet: it finishes the reply). Else the
    // one the server is writing without us; its next read says "Stopping…" until it has ended.
    let replyId = serverReplyId;
    if (controller) {
      sendRef.current = null;
      replyId = writingRef.current;
      writingRef.current = null;
      setState((previous) => ({ ...previous, turn: null }));
      if (pending && pending.regenerating !== null && replyId === null) {
        // The server may not have started writing it again yet (asked now, it would find the
        // reply ended and go on to write it whole): keep listening until it says it has, then
        // stop it (regenerate's loop). Meanwhile the view holds the composer.
        pending.stopWhenStarted = true;
        setStoppingIn(id);
        return;
      }
      controller.abort();
      if (pending && pending.regenerating === null && !pending.stored) {
        takeBack(pending, id);
        return;
      }
      // Stopped before the server named the reply: the conversation made for it is shown all
      // the same (its URL, the sidebar), with what the server has.
      revealRef.current?.();
    } else if (replyId === null) return;
    // The server stops the model and keeps what it wrote (if asking fails, it finishes the
    // reply): show what it stored, and follow it until it has ended. Until that first read the
    // view holds the composer: the reply is still being written, and a send would meet it (409).
    if (id === null) return;
    setStoppingIn(id);
    void (async () => {
      try {
        if (replyId !== null) await stopReply(api, id, replyId).catch(() => undefined);
        await refresh(id, 1);
      } finally {
        stopAnswered(id);
      }
    })();

    /**
     * Stop came before the server said it had the message: the text goes back to the composer
     * unless the server has it after all, and a conversation this send made that holds nothing
     * goes again (as when the server refuses its first message).
     */
    function takeBack(sent: Pending, conversationId: string | null) {
      // Not made yet: start() deletes the conversation once it is (the send was stopped).
      if (conversationId === null) {
        optionsRef.current.onUnsent?.(sent.content);
        return;
      }
      setStoppingIn(conversationId);
      void (async () => {
        try {
          const held = await getAllMessages(api, conversationId).catch(() => null);
          if (!held?.some((m) => m.role === 'user' && !sent.known.has(m.id))) {
            optionsRef.current.onUnsent?.(sent.content);
          }
          if (sent.created !== null && held?.length === 0) {
            revealRef.current = null;
            if (idRef.current === conversationId) idRef.current = null;
            await deleteConversation(api, conversationId).catch(() => undefined);
            optionsRef.current.onReplyEnded();
            return;
          }
          // It holds the message, or could not be read: show it, following any reply.
          revealRef.current?.();
          await refresh(conversationId, 1);
        } finally {
          stopAnswered(conversationId);
        }
      })();
    }
  }, [api, refresh, serverReplyId, stopAnswered]);

  const send = useCallback(
    (content: string, model?: string) => start(content, model, crypto.randomUUID()),
    [start],
  );

  const regenerate = useCallback(
    (replyId: string, model?: string, content?: string) => {
      const id = idRef.current;
      if (sendRef.current || id === null) return;
      window.clearTimeout(pollTimer.current);
      const controller = new AbortController();
      sendRef.current = controller;
      writingRef.current = null;
      const pending: Pending = {
        controller,
        content: content ?? '',
        regenerating: replyId,
        known: new Set(messagesRef.current.map((m) => m.id)),
        created: null,
        stored: true,
        stopWhenStarted: false,
      };
      pendingRef.current = pending;
      const live = () => sendRef.current === controller;
      /** After a Stop that came before the server started: show what it has, following the reply. */
      const stopped = async () => {
        try {
          await refresh(id, 1);
        } finally {
          stopAnswered(id);
        }
      };
      const setTurn = (update: (turn: Turn) => Turn) =>
        setState((previous) => (previous.turn ? { ...previous, turn: update(previous.turn) } : previous));
      const failed = async (error: ApiError) => {
        sendRef.current = null;
        setTurn((turn) => ({ ...turn, phase: 'failed', error }));
        // Show what the server has: the reply as it was (a refusal), failed, or being written.
        await refresh(id);
        optionsRef.current.onReplyEnded();
      };
      setState((previous) => ({
        ...previous,
        // Written again in the live bubble; the reply joins the messages again once stored. An
        // edited question shows as edited at once (a refusal puts the stored one back).
        messages: previous.messages
          .filter((m) => m.id !== replyId)
          .map((m, index, rest) =>
            content !== undefined && index === rest.length - 1 && m.role === 'user' ? { ...m, content } : m,
          ),
        turn: {
          content: content ?? '',
          userStored: true,
          reply: '',
          phase: 'sending',
          error: null,
          retryKey: crypto.randomUUID(),
          model,
          replyId,
          regenerating: true,
        },
      }));

      void (async () => {
        try {
          const events = regenerateReply(api, id, replyId, {
            signal: controller.signal,
            ...(model === undefined ? {} : { model }),
            ...(content === undefined ? {} : { content }),
          });
          for await (const event of events) {
            if (pending.stopWhenStarted) {
              if (event.type === 'message') await stopReply(api, id, replyId).catch(() => undefined);
              controller.abort();
              await stopped();
              return;
            }
            if (!live()) return;
            if (event.type === 'message') {
              writingRef.current = event.message.id;
              setTurn((turn) => ({ ...turn, phase: 'streaming' }));
            } else if (event.type === 'delta')
              setTurn((turn) => ({ ...turn, reply: turn.reply + event.text }));
            else if (event.type === 'done') {
              sendRef.current = null;
              setState((previous) => ({
                ...previous,
                messages: withMessage(previous.messages, event.message),
                turn: null,
              }));
              optionsRef.current.onReplyEnded();
              channelRef.current?.tell(id);
            } else if (event.type === 'error') await failed(event.error);
          }
        } catch (error) {
          // Stopped before the server started: refused or cut, there is nothing to stop.
          if (pending.stopWhenStarted && !controller.signal.aborted) await stopped();
          else if (live()) await failed(toApiError(error));
        }
      })();
    },
    [api, refresh, stopAnswered],
  );

  const retry = useCallback(() => {
    const turn = state.turn;
    if (!turn || turn.phase !== 'failed') return;
    if (turn.replyId !== null) {
      regenerate(turn.replyId, turn.model, turn.regenerating && turn.content ? turn.content : undefined);
      return;
    }
    // The same model as the first attempt: the key stands for the same request (the server
    // answers 409 to a key reused with another body).
    start(
      turn.content,
      turn.model,
      turn.retryKey,
      turn.error ? { stored: turn.userStored, error: turn.error } : undefined,
    );
  }, [regenerate, start, state.turn]);

  const serverWriting = last?.status === 'streaming';
  const ours = state.turn !== null && state.turn.phase !== 'failed';
  const busy = ours || serverWriting || (stoppingIn !== null && stoppingIn === currentId);
  const stoppable = ours || serverReplyId !== null;

  return { ...state, conversationId: currentId, busy, stoppable, send, stop, regenerate, retry, reload };
}
