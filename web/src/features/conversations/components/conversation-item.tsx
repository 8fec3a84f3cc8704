import { useEffect, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';
import { Link } from 'wouter';

import { Icon } from '@/components/icons';
import { paths } from '@/config/paths';
import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { renameConversation, TITLE_MAX_LENGTH } from '@/features/conversations/api/rename-conversation';
import { listDate } from '@/features/conversations/utils/list-date';
import { hasBidiControls, hasVisibleCharacter } from '../../../../../functions/shared/domain/text';

export interface ConversationItemProps {
  readonly conversation: Conversation;
  readonly active: boolean;
  onRenamed(conversation: Conversation): void;
  onDeleteRequested(conversation: Conversation): void;
}

/**
 * A title's length as the API counts it: characters (code points, as PostgreSQL's char_length),
 * once trimmed. Not UTF-16 units, as the input's maxLength would: an emoji is one character, not
 * two, and an accent typed as a combining mark is one more, as the API sees it.
 */
export function titleLength(title: string): number {
  return [...title.trim()].length;
}

/** What the title box says of a title over the API's limit, or null when it is within it. */
export function titleTooLong(title: string): string | null {
  const length = titleLength(title);
  return length > TITLE_MAX_LENGTH
    ? `A title can be at most ${TITLE_MAX_LENGTH} characters; this one has ${length}.`
    : null;
}

/**
 * What the title box says of a title the API would refuse (the API's own checks: too long, or a
 * bidirectional embedding, override or isolate, which can make a title read as something else),
 * or null. A title with nothing visible is not a problem to correct: like an emptied box, it
 * gives the rename up.
 */
export function titleProblem(title: string): string | null {
  if (hasBidiControls(title)) {
    return 'A title cannot hold direction-changing control characters (U+202A to U+202E, U+2066 to U+2069): remove them.';
  }
  return titleTooLong(title);
}

/** One conversation in the sidebar: a link, renamed inline, deleted after a confirmation. */
export function ConversationItem({
  conversation,
  active,
  onRenamed,
  onDeleteRequested,
}: ConversationItemProps) {
  const api = useApiClient();
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(conversation.title);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  /** Set when the title box closes, so focus goes back to the Rename button once it is there. */
  const refocus = useRef(false);

  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  function startEditing() {
    setTitle(conversation.title);
    setError(null);
    setEditing(true);
  }

  function cancel() {
    refocus.current = true;
    setEditing(false);
    setError(null);
  }

  // After a rename, saved or cancelled: back to the conversation's Rename button, where the person
  // was, not to the top of the page (once the button is there again).
  useEffect(() => {
    if (editing || !refocus.current) return;
    refocus.current = false;
    renameButton.current?.focus();
  }, [editing]);

  // Over the limit, or holding what the API refuses, the text stays as typed and says so (nothing
  // is cut or removed); it is not sent.
  const refused = titleProblem(title);
  const problem = refused ?? error;

  async function save(event?: FormEvent) {
    event?.preventDefault();
    if (pending || refused) return;
    const next = title.trim();
    // Nothing that shows (white space, zero-width or other invisible characters, which the API
    // refuses as empty): the box looks empty, and an emptied box gives the rename up.
    if (!hasVisibleCharacter(next) || next === conversation.title) return cancel();
    setPending(true);
    try {
      onRenamed(await renameConversation(api, conversation.id, next));
      refocus.current = true;
      setEditing(false);
      setError(null);
    } catch (caught) {
      setError(apiErrorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  function keyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
    }
  }

  if (editing) {
    return (
      <li className="nav-item nav-item--editing">
        <form className="nav-item__rename" onSubmit={save}>
          <label className="visually-hidden" htmlFor={`rename-${conversation.id}`}>
            New title for {conversation.title}
          </label>
          <input
            id={`rename-${conversation.id}`}
            ref={input}
            dir="auto"
            value={title}
            // Read-only, not disabled, while it is saved: a disabled box loses the keyboard focus,
            // and a refused title is to be corrected there.
            readOnly={pending}
            aria-busy={pending || undefined}
            onChange={(event) => setTitle(event.target.value)}
            onKeyDown={keyDown}
            onBlur={() => void save()}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `rename-${conversation.id}-error` : undefined}
          />
        </form>
        {problem && (
          <p id={`rename-${conversation.id}-error`} className="nav-item__error" role="alert">
            {problem}
          </p>
        )}
      </li>
    );
  }

  return (
    <li className={active ? 'nav-item nav-item--active' : 'nav-item'}>
      <Link
        href={paths.conversation(conversation.id)}
        className="nav-item__link"
        aria-current={active ? 'page' : undefined}
        title={conversation.title}
      >
        {/* A title in Hebrew or Arabic reads right to left. */}
        <span className="nav-item__title" dir="auto">
          {conversation.title}
        </span>
        {/* Two conversations of the same title ("New chat") told apart by when they were used. */}
        <time className="nav-item__date" dateTime={conversation.updatedAt} data-testid="conversation-date">
          {listDate(conversation.updatedAt)}
        </time>
      </Link>
      <span className="nav-item__actions">
        <button
          ref={renameButton}
          type="button"
          className="icon-button"
          onClick={startEditing}
          aria-label={`Rename ${conversation.title}`}
          title="Rename"
        >
          <Icon name="pencil" />
        </button>
        <button
          type="button"
          className="icon-button icon-button--danger"
          onClick={() => onDeleteRequested(conversation)}
          aria-label={`Delete ${conversation.title}`}
          title="Delete"
        >
          <Icon name="trash" />
        </button>
      </span>
    </li>
  );
}
