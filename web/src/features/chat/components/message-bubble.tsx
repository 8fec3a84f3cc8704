import { useId } from 'react';

import { messageAnchor } from '@/config/paths';
import type { Message, ReplyFeedback as ReplyFeedbackValue } from '@/features/chat/api/message-schema';
import { EditableQuestion } from '@/features/chat/components/editable-question';
import { MarkdownContent } from '@/features/chat/components/markdown-content';
import { ReplyFeedback } from '@/features/chat/components/reply-feedback';
import { copyLabel, useCopy } from '@/lib/use-copy';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

/**
 * Under a stored reply: the model that wrote it (where people pick models), when, Copy, and the
 * person's rating of it.
 */
function ReplyFooter({
  content,
  model,
  createdAt,
  rated,
  onRegenerate,
}: {
  content: string;
  model: string | null;
  createdAt: string | undefined;
  rated: MessageBubbleProps['rated'];
  onRegenerate: (() => void) | undefined;
}) {
  const { state, copy } = useCopy();
  const at = createdAt ? new Date(createdAt) : null;
  return (
    <div className="message__footer muted">
      {model && <span data-testid="message-model">{model}</span>}
      {at && !Number.isNaN(at.getTime()) && (
        <time dateTime={createdAt} title={dateTimeFormat.format(at)}>
          {timeFormat.format(at)}
        </time>
      )}
      <button
        type="button"
        className="message__action"
        onClick={() => void copy(content)}
        aria-label={state === 'idle' ? 'Copy reply' : copyLabel(state)}
        data-testid="copy-reply"
      >
        {copyLabel(state)}
      </button>
      {/* A focused button's new name is not reliably read out: the outcome is said here, as a code
          block's Copy says it. */}
      <span className="visually-hidden" role="status" data-testid="copy-reply-status">
        {state === 'idle' ? '' : copyLabel(state)}
      </span>
      {onRegenerate && <RegenerateButton onRegenerate={onRegenerate} />}
      {rated && (
        <ReplyFeedback
          conversationId={rated.conversationId}
          messageId={rated.messageId}
          initial={rated.feedback}
        />
      )}
    </div>
  );
}

/** Writes the latest reply again, for the same question. */
function RegenerateButton({ onRegenerate }: { onRegenerate: () => void }) {
  return (
    <button
      type="button"
      className="message__action"
      onClick={onRegenerate}
      title="Write this reply again (its rating goes with it)"
      data-testid="regenerate-reply"
    >
      Regenerate
    </button>
  );
}

export interface MessageBubbleProps {
  readonly role: Message['role'];
  readonly content: string;
  /** A stored message: its id becomes the element id that `#m-<id>` links point to. */
  readonly id?: string;
  readonly status?: Message['status'] | 'sending';
  readonly error?: string | null;
  /** A reply its author stopped: said under it, so it is not taken for a whole answer. */
  readonly stopped?: boolean;
  /** A reply the model ended at the most it may write: said under it, as a stopped one is. */
  readonly truncated?: boolean;
  /** The model that wrote a reply, shown where people pick models (null: not shown). */
  readonly model?: string | null;
  /** When a stored message was written (ISO 8601). */
  readonly createdAt?: string;
  readonly highlighted?: boolean;
  /** A stored reply the person may rate, and what they said of it before. */
  readonly rated?: {
    readonly conversationId: string;
    readonly messageId: string;
    readonly feedback: ReplyFeedbackValue | null;
  };
  /** Offered on the latest reply, complete or failed, when nothing is being written. */
  readonly onRegenerate?: () => void;
  /** Offered on the latest reply when it was cut short: asks the model to go on. */
  readonly onContinue?: () => void;
  /** Offered on the question of that reply: sends it edited, and its reply is written again. */
  readonly onEdit?: (content: string) => void;
  /** With onEdit: an edit of this question the server refused, shown in its open edit box. */
  readonly edited?: string;
}

export function MessageBubble({
  role,
  content,
  id,
  status,
  error,
  stopped,
  truncated,
  model,
  createdAt,
  highlighted,
  rated,
  onRegenerate,
  onContinue,
  onEdit,
  edited,
}: MessageBubbleProps) {
  const headingId = useId();
  const classes = ['message', `message--${role}`];
  if (highlighted) classes.push('message--highlighted');
  if (status === 'failed') classes.push('message--failed');
  return (
    <>
      {/* Shown to screen readers only, so H moves from message to message: an h2, under the
          conversation's h1 (ChatView). Before the article, not in it, so the message's own text
          is still its words alone. */}
      <h2 id={headingId} className="visually-hidden">
        {role === 'user' ? 'You said' : 'Parley replied'}
      </h2>
      <article
        className={classes.join(' ')}
        id={id ? messageAnchor(id) : undefined}
        data-testid={`message-${role}`}
        data-status={status}
        aria-labelledby={headingId}
      >
        {role === 'assistant' && (
          <span className="message__avatar" aria-hidden="true">
            P
          </span>
        )}
        <div className="message__body">
          {role === 'user' && onEdit ? (
            <EditableQuestion
              content={content}
              onEdit={onEdit}
              {...(edited === undefined ? {} : { edited })}
            />
          ) : role === 'user' ? (
            // Plain text: React escapes it, CSS keeps its newlines; dir="auto": the direction of its
            // own words (Hebrew or Arabic right to left), not the page's.
            <p className="message__text" dir="auto">
              {content}
            </p>
          ) : (
            <MarkdownContent source={content} />
          )}
          {role === 'assistant' && status === 'complete' && stopped && (
            <p className="message__note muted" data-testid="reply-stopped">
              Stopped before the end.
            </p>
          )}
          {role === 'assistant' && status === 'complete' && !stopped && truncated && (
            <p className="message__note muted" data-testid="reply-truncated">
              Cut short: the model wrote as much as it may in one reply.{' '}
              {onContinue && (
                <button
                  type="button"
                  className="message__action"
                  onClick={onContinue}
                  title="Ask the model to go on from where it stopped (sent as your next message)"
                  data-testid="continue-reply"
                >
                  Continue
                </button>
              )}
            </p>
          )}
          {role === 'assistant' && status === 'complete' && (
            <ReplyFooter
              content={content}
              model={model ?? null}
              createdAt={createdAt}
              rated={rated}
              onRegenerate={onRegenerate}
            />
          )}
          {status === 'streaming' && (
            <p className="message__note muted">{stopped ? 'Stopping…' : 'Still writing…'}</p>
          )}
          {status === 'failed' && (
            <p className="message__note message__note--failed">
              This reply did not finish{error ? `: ${error}` : '.'}{' '}
              {onRegenerate && <RegenerateButton onRegenerate={onRegenerate} />}
            </p>
          )}
        </div>
      </article>
    </>
  );
}
