import { messageAnchor } from '@/config/paths';
import type { Message } from '@/features/chat/api/message-schema';
import { MarkdownContent } from '@/features/chat/components/markdown-content';

export interface MessageBubbleProps {
  readonly role: Message['role'];
  readonly content: string;
  /** A stored message: its id becomes the element id that `#m-<id>` links point to. */
  readonly id?: string;
  readonly status?: Message['status'] | 'sending';
  readonly error?: string | null;
  /** The model that wrote a reply, shown where people pick models (null: not shown). */
  readonly model?: string | null;
  readonly highlighted?: boolean;
}

export function MessageBubble({ role, content, id, status, error, model, highlighted }: MessageBubbleProps) {
  const classes = ['message', `message--${role}`];
  if (highlighted) classes.push('message--highlighted');
  if (status === 'failed') classes.push('message--failed');
  return (
    <article
      className={classes.join(' ')}
      id={id ? messageAnchor(id) : undefined}
      data-testid={`message-${role}`}
      data-status={status}
      aria-label={role === 'user' ? 'You said' : 'Parley replied'}
    >
      {role === 'assistant' && (
        <span className="message__avatar" aria-hidden="true">
          P
        </span>
      )}
      <div className="message__body">
        {role === 'user' ? (
          // Plain text: React escapes it, CSS keeps its newlines.
          <p className="message__text">{content}</p>
        ) : (
          <MarkdownContent source={content} />
        )}
        {role === 'assistant' && model && (
          <p className="message__model muted" data-testid="message-model">
            {model}
          </p>
        )}
        {status === 'streaming' && <p className="message__note muted">Still writing…</p>}
        {status === 'failed' && (
          <p className="message__note message__note--failed">
            This reply did not finish{error ? `: ${error}` : '.'}
          </p>
        )}
      </div>
    </article>
  );
}
