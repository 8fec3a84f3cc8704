import { memo, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { Link } from 'wouter';

import { paths } from '@/config/paths';
import { ApiError, apiErrorMessage } from '@/lib/api-client';
import { useDocumentTitle } from '@/lib/use-document-title';
import { ExportButtons } from '@/features/chat/components/export-buttons';
import { Composer } from '@/features/chat/components/composer';
import { MessageBubble } from '@/features/chat/components/message-bubble';
import { ModelPicker } from '@/features/chat/components/model-picker';
import { useAutoScroll } from '@/features/chat/hooks/use-auto-scroll';
import { useChat } from '@/features/chat/hooks/use-chat';
import { useDraft } from '@/features/chat/hooks/use-draft';
import { useModelChoice } from '@/features/chat/hooks/use-model-choice';
import { useThrottledValue } from '@/features/chat/hooks/use-throttled-value';
import { loadMarkdown } from '@/features/chat/hooks/use-markdown';
import type { ChatOptions, Turn } from '@/features/chat/hooks/use-chat';
import type { Draft } from '@/features/chat/hooks/use-draft';
import { markdownToPlainText } from '@/features/chat/utils/plain-text';
import { cutText } from '../../../../../functions/shared/domain/text';

export interface ChatViewProps extends ChatOptions {
  /** From the URL: null on the new-chat page. */
  readonly conversationId: string | null;
  readonly title: string | null;
  /** Shown beside the title, e.g. the offline-model badge. */
  readonly status?: ReactNode;
  /** The models a message may ask for (`/api/me`), the default first; a picker shows for two or more. */
  readonly models?: readonly string[];
}

const NO_MODELS: readonly string[] = [];

/**
 * How often the reply being streamed is rendered again: its Markdown is parsed whole each time, so
 * once per delta would cost in the square of its length; the stored reply is rendered exactly.
 */
const LIVE_RENDER_MS = 120;

/** The reply being streamed, rendered again only when its (throttled) text changes. */
const LiveReply = memo(function LiveReply({ content }: { readonly content: string }) {
  return <MessageBubble role="assistant" content={content} status="streaming" />;
});

/** The longest reply read out whole; a longer one is read to there, the rest left on the page. */
const ANNOUNCED_MAX = 1_000;

/**
 * What a screen reader is told of a reply, in a live region that is always there: that Parley
 * is writing (not every word as it streams in), then the reply once stored. A failed reply is
 * said by its alert.
 */
function useReplyAnnouncement(
  conversationId: string | null,
  streaming: boolean,
  latest:
    | {
        readonly role: string;
        readonly status: string;
        readonly content: string;
        readonly stopped?: boolean | undefined;
        readonly truncated?: boolean | undefined;
      }
    | undefined,
): string {
  const [announcement, setAnnouncement] = useState('');
  const awaited = useRef(false);
  useEffect(() => {
    awaited.current = false;
    setAnnouncement('');
  }, [conversationId]);
  useEffect(() => {
    if (streaming) {
      if (!awaited.current) setAnnouncement('Parley is writing a reply…');
      awaited.current = true;
      return;
    }
    if (!awaited.current || latest?.role !== 'assistant' || latest.status === 'streaming') return;
    awaited.current = false;
    if (latest.status !== 'complete') return setAnnouncement('');
    setAnnouncement(
      replyAnnouncement(latest.content, {
        stopped: latest.stopped ?? false,
        truncated: latest.truncated ?? false,
      }),
    );
  }, [streaming, latest]);
  return announcement;
}

/**
 * What a screen reader is told of a stored reply: its words without their Markdown, capped, then
 * what its note says when it is not whole (stopped, or cut short at the model's limit, with the
 * Continue it offers), as the page shows it under the reply: otherwise it passes for an answer.
 */
export function replyAnnouncement(
  content: string,
  { stopped = false, truncated = false }: { readonly stopped?: boolean; readonly truncated?: boolean } = {},
): string {
  const text = markdownToPlainText(content);
  const words = `Parley replied: ${text.length > ANNOUNCED_MAX ? `${cutText(text, ANNOUNCED_MAX)}…` : text}`;
  if (stopped) return `${words} Stopped before the end.`;
  if (truncated)
    return `${words} Cut short: the model wrote as much as it may in one reply. Continue is offered below it.`;
  return words;
}

/**
 * The headline of a failed turn. A message the server refused (a 4xx before it stored it) was not
 * sent: no reply was ever asked for, so none "failed".
 */
function errorHeadline(error: ApiError, stored: boolean): string {
  if (error.status === 429) return 'Limit reached.';
  if (error.status === 503) return 'The model is unavailable right now.';
  if (error.status === 0) return 'The connection was lost.';
  if (error.status === 409 || (!stored && error.status >= 400 && error.status < 500)) return 'Not sent.';
  return 'The reply failed.';
}

/**
 * The server refused the message itself (invalid, 400, or too large, 413) before storing it:
 * sending it again as it is cannot succeed, so it goes back to the composer to be changed.
 */
function refusedAsSent(turn: Turn): boolean {
  return !turn.regenerating && !turn.userStored && (turn.error?.status === 400 || turn.error?.status === 413);
}

/**
 * The longest Retry-After the Retry button waits out: a rate limit's (at most a minute). A longer
 * one is a quota's, to its renewal, which an admin may raise at any time: Retry stays pressable.
 */
const RETRY_WAIT_MAX_SECONDS = 60;

/** The seconds Retry must wait before it can succeed (Retry-After of a 429 or 503); 0 for none. */
export function retryWait(error: ApiError): number {
  const wait = error.status === 429 || error.status === 503 ? (error.retryAfter ?? 0) : 0;
  return wait <= RETRY_WAIT_MAX_SECONDS ? wait : 0;
}

/**
 * Retry, held until the server's Retry-After has passed: pressed sooner, it would only be refused
 * again. It counts the seconds down, aria-disabled (not disabled, so it keeps the keyboard focus).
 * A failed turn's alert, and so this button, is mounted anew for each failure.
 */
function RetryButton({ error, onRetry }: { readonly error: ApiError; onRetry(): void }) {
  const [until] = useState(() => Date.now() + retryWait(error) * 1_000);
  const [secondsLeft, setSecondsLeft] = useState(() => retryWait(error));
  const waiting = secondsLeft > 0;
  useEffect(() => {
    const timer = window.setInterval(() => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1_000));
      setSecondsLeft(left);
      if (left === 0) window.clearInterval(timer);
    }, 250);
    return () => window.clearInterval(timer);
  }, [until]);
  return (
    <button
      type="button"
      className="button-secondary button-small"
      aria-disabled={waiting || undefined}
      onClick={() => {
        if (!waiting) onRetry();
      }}
    >
      {waiting ? `Retry in ${secondsLeft} s` : 'Retry'}
    </button>
  );
}

/**
 * The message a link points at, from its fragment `#m-<id>`; null when there is none. A fragment
 * that cannot be decoded (a stray `%`, typed or cut off) links to no message: decodeURIComponent
 * would throw inside an effect and take the whole page down.
 */
export function linkedMessageId(hash: string): string | null {
  const match = /^#m-(.+)$/.exec(hash);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

/** What Continue sends when the latest reply was cut short at the model's length limit. */
const CONTINUE_MESSAGE = 'Continue from where you stopped.';

export function ChatView({ conversationId, title, status, models = NO_MODELS, ...options }: ChatViewProps) {
  // The draft's hooks need the chat's messages, and the chat gives texts back to the draft.
  const draftRef = useRef<Draft | null>(null);
  const chat = useChat(conversationId, {
    ...options,
    onConversationCreated: (id) => {
      draftRef.current?.move(id);
      options.onConversationCreated(id);
    },
    onUnsent: (content) => draftRef.current?.takeBack(content),
  });
  const draft = useDraft(chat.conversationId, chat.messages);
  draftRef.current = draft;
  const choice = useModelChoice(models);
  const { messages, turn } = chat;
  const scroll = useAutoScroll(`${messages.length}:${turn?.reply.length ?? -1}:${turn?.phase ?? ''}`);
  const [highlighted, setHighlighted] = useState<string | null>(null);
  /** Bumped when the keyboard goes to the composer: the pressed button went (Regenerate, Retry). */
  const [focusRequests, setFocusRequests] = useState(0);
  const streaming = turn !== null && turn.phase !== 'failed';
  const liveReply = useThrottledValue(turn?.reply ?? '', LIVE_RENDER_MS);
  const announcement = useReplyAnnouncement(chat.conversationId, streaming, messages.at(-1));

  const { release } = scroll;

  // A message refused as sent goes back to the composer (once), to be changed and sent again.
  const refused = turn?.phase === 'failed' && refusedAsSent(turn) ? turn : null;
  const takenBack = useRef<string | null>(null);
  const { takeBack } = draft;
  useEffect(() => {
    // By the attempt's key: the same refusal is taken back once, whatever else re-renders it.
    if (!refused || takenBack.current === refused.retryKey) return;
    takenBack.current = refused.retryKey;
    takeBack(refused.content);
  }, [refused, takeBack]);

  // Fetch the Markdown renderer while the person reads or types, before a reply needs it.
  useEffect(() => void loadMarkdown(), []);

  // A link to one message (`/c/<id>#m-<messageId>`, from search): scroll to it and mark it.
  useEffect(() => {
    if (chat.status !== 'ready') return;
    const messageId = linkedMessageId(window.location.hash);
    if (!messageId) return;
    const element = document.getElementById(`m-${messageId}`);
    if (!element) return;
    release();
    element.scrollIntoView({ block: 'center' });
    setHighlighted(messageId);
  }, [chat.status, chat.conversationId, release]);

  function send(content: string) {
    setHighlighted(null);
    scroll.follow();
    draft.sent(content, messages);
    chat.send(content, choice.model);
  }

  function retry() {
    chat.retry();
    // The error and its Retry button go: the keyboard goes to the composer.
    setFocusRequests((n) => n + 1);
  }

  const empty = chat.status !== 'loading' && messages.length === 0 && turn === null;
  // The latest reply, finished or failed, may be written again while nothing else is, for its
  // question as it is or edited.
  const latest = messages.at(-1);
  const regenerable =
    turn === null && !chat.busy && latest?.role === 'assistant' && latest.status !== 'streaming'
      ? latest.id
      : null;
  const editable =
    regenerable === null ? null : messages.at(-2)?.role === 'user' ? messages.at(-2)?.id : null;
  // An edited question the server refused: the question shows its edit box again with the edit
  // (the history shows the question as it was), to be sent again or changed; Retry sends it as is.
  const refusedEdit =
    turn?.phase === 'failed' && turn.regenerating && turn.content && turn.replyId !== null && !chat.busy
      ? { replyId: turn.replyId, content: turn.content }
      : null;
  const editedQuestion =
    refusedEdit !== null && latest?.id === refusedEdit.replyId && messages.at(-2)?.role === 'user'
      ? messages.at(-2)?.id
      : null;

  /** The latest reply was cut short: the model is asked to go on, as a message of the person's. */
  function continueReply() {
    setHighlighted(null);
    scroll.follow();
    chat.send(CONTINUE_MESSAGE, choice.model);
    // The button goes with the reply it was on: the keyboard goes to the composer.
    setFocusRequests((n) => n + 1);
  }

  function regenerate(replyId: string, content?: string) {
    setHighlighted(null);
    scroll.follow();
    chat.regenerate(replyId, choice.model, content);
    // The button or form that was pressed goes with the old reply: the keyboard goes to the composer.
    setFocusRequests((n) => n + 1);
  }

  // Deleted, or another person's (a link, or the address left by whoever used this browser
  // before): trying again cannot help, a new chat can. Nothing is offered that could only be
  // refused the same way: no composer, no export.
  const notFound =
    chat.status === 'error' && chat.loadError instanceof ApiError && chat.loadError.status === 404;

  // What was typed for it (a message its deletion refused, a draft) waits in the new chat.
  const [keptFrom, setKeptFrom] = useState<string | null>(null);
  const { toNewChat } = draft;
  useEffect(() => {
    if (notFound && toNewChat()) setKeptFrom(chat.conversationId);
  }, [notFound, toNewChat, chat.conversationId]);

  const heading = notFound
    ? 'Conversation not found'
    : chat.conversationId
      ? (title ?? 'Conversation')
      : 'New chat';
  useDocumentTitle(heading);

  return (
    <section className="chat" aria-labelledby="chat-title">
      <header className="chat__header">
        <h1 id="chat-title" className="chat__title" data-testid="chat-title" dir="auto">
          {heading}
        </h1>
        {status}
        {chat.conversationId && !notFound && <ExportButtons conversationId={chat.conversationId} />}
      </header>

      <div className="chat__scroller" ref={scroll.ref} onScroll={scroll.onScroll} data-testid="chat-scroller">
        <div className="chat__messages">
          {chat.status === 'loading' && (
            <p className="muted chat__placeholder" aria-live="polite">
              Loading the conversation…
            </p>
          )}
          {chat.status === 'error' &&
            (notFound ? (
              <div className="error" role="alert" data-testid="conversation-not-found">
                <p>
                  This conversation was not found. It may have been deleted, or it belongs to another account.
                  {keptFrom === chat.conversationId && ' What you wrote for it is kept in the new chat.'}
                </p>
                <Link href={paths.home}>
                  {keptFrom === chat.conversationId ? 'Start a new chat with it' : 'Start a new chat'}
                </Link>
              </div>
            ) : (
              <div className="error" role="alert">
                <p>This conversation could not be loaded. {apiErrorMessage(chat.loadError)}</p>
                <button type="button" onClick={chat.reload}>
                  Try again
                </button>
              </div>
            ))}
          {empty && chat.status !== 'error' && (
            <div className="chat__welcome">
              <p className="chat__welcome-title">How can I help you today?</p>
              <p className="muted">Ask anything. Your conversations are kept and searchable.</p>
            </div>
          )}

          {messages.map((message) => (
            <MessageBubble
              key={message.id}
              id={message.id}
              role={message.role}
              content={message.content}
              status={message.status}
              error={message.error}
              stopped={message.stopped ?? false}
              truncated={message.truncated ?? false}
              model={choice.model === undefined ? null : message.model}
              createdAt={message.createdAt}
              highlighted={message.id === highlighted}
              rated={
                message.role === 'assistant'
                  ? {
                      conversationId: message.conversationId,
                      messageId: message.id,
                      feedback: message.feedback ?? null,
                    }
                  : undefined
              }
              {...(message.id === regenerable ? { onRegenerate: () => regenerate(message.id) } : {})}
              {...(message.id === regenerable && message.truncated ? { onContinue: continueReply } : {})}
              {...(regenerable !== null && message.id === editable
                ? { onEdit: (content: string) => regenerate(regenerable, content) }
                : {})}
              {...(refusedEdit !== null && message.id === editedQuestion
                ? {
                    onEdit: (content: string) => regenerate(refusedEdit.replyId, content),
                    edited: refusedEdit.content,
                  }
                : {})}
            />
          ))}

          {turn && !turn.userStored && !refused && (
            <MessageBubble role="user" content={turn.content} status="sending" />
          )}

          {streaming && (
            <div className="chat__live" data-testid="streaming-reply">
              {turn.reply ? (
                <LiveReply content={liveReply || turn.reply} />
              ) : (
                <p className="chat__thinking muted">
                  <span className="typing" aria-hidden="true" />
                  Parley is thinking…
                </p>
              )}
            </div>
          )}

          {turn?.phase === 'failed' && turn.error && (
            // The alert is the message only: Retry counts down beside it, and inside an (atomic)
            // alert each second would have the whole error read out again.
            <div className="error chat__error" data-testid="chat-error">
              <p role="alert">
                <strong>{errorHeadline(turn.error, turn.userStored)}</strong> {apiErrorMessage(turn.error)}
                {refused && ' Your message is back in the box below, to change and send again.'}
              </p>
              {!refused && <RetryButton error={turn.error} onRetry={retry} />}
            </div>
          )}
        </div>
      </div>

      <p className="visually-hidden" aria-live="polite" data-testid="reply-announcement">
        {announcement}
      </p>

      {!notFound && (
        <Composer
          busy={chat.busy}
          canStop={chat.stoppable}
          focusKey={`${chat.conversationId ?? 'new'}:${focusRequests}`}
          text={draft.text}
          onTextChange={draft.change}
          onSend={send}
          onStop={chat.stop}
        >
          {choice.model !== undefined && (
            <ModelPicker models={models} value={choice.model} onChange={choice.choose} />
          )}
        </Composer>
      )}
    </section>
  );
}
