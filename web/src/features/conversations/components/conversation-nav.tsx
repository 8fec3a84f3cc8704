import { useEffect, useId, useRef, useState } from 'react';

import { paths } from '@/config/paths';
import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { useKeptFocus } from '@/lib/use-kept-focus';
import { focusFirstControl, useLastPageFocus } from '@/lib/use-last-page-focus';
import { restoreConversation } from '@/features/conversations/api/restore-conversation';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { ConversationItem } from '@/features/conversations/components/conversation-item';
import { DeleteDialog } from '@/features/conversations/components/delete-dialog';
import { isForbidden, useConversations } from '@/features/conversations/hooks/use-conversations';

export interface ConversationNavProps {
  /** The conversation open now, marked in the list. */
  readonly activeId: string | null;
  /** Changes when the list should be read again (a reply titled or moved a conversation). */
  readonly refreshKey: number;
  onDeleted(conversationId: string): void;
  /** A conversation's title changed here. */
  onRenamed(conversation: Conversation): void;
}

const SEARCH_DELAY_MS = 250;

/** The sidebar's conversations: filter by title, scroll for more, rename, delete. */
export function ConversationNav({ activeId, refreshKey, onDeleted, onRenamed }: ConversationNavProps) {
  const filterId = useId();
  const [filter, setFilter] = useState('');
  const [query, setQuery] = useState('');
  const conversations = useConversations(query, refreshKey);
  const { status, items, nextCursor, error, loadMore } = conversations;
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  /** The conversation just deleted, offered back until the next delete or a restore. */
  const [deleted, setDeleted] = useState<Conversation | null>(null);
  const [undoError, setUndoError] = useState<string | null>(null);
  const api = useApiClient();
  const list = useRef<HTMLUListElement>(null);
  const filterBox = useRef<HTMLInputElement>(null);
  /**
   * Where the keyboard focus goes once the list shows a change that took away the focused button
   * (a Delete, an Undo): that conversation's link, or the filter box if it is not in the list.
   * `reloading`: wait for the list to be read again (it is loading) before deciding.
   */
  const focusNext = useRef<{ conversationId: string | null; reloading: boolean } | null>(null);
  // A conversation moving to the top (a reply, a message elsewhere) moves the rows it passes; one
  // deleted elsewhere goes: the keyboard stays where it was, or goes to the next conversation.
  useKeptFocus(list, items);

  useEffect(() => {
    const target = focusNext.current;
    if (!target) return;
    if (status === 'loading') {
      target.reloading = false;
      return;
    }
    const link = [...(list.current?.querySelectorAll('a') ?? [])].find(
      (a) => target.conversationId && a.getAttribute('href') === paths.conversation(target.conversationId),
    );
    if (!link && target.reloading) return;
    focusNext.current = null;
    (link ?? filterBox.current)?.focus();
  }, [items, status]);

  // The last page in: Load more is gone, and the keyboard goes to the first conversation it brought
  // (the last one shown if it brought none) rather than to the top of the page.
  const moreButton = useLastPageFocus(
    { status, count: items.length },
    () => list.current,
    (shown, from) => focusFirstControl(shown.querySelectorAll(':scope > li'), from),
  );

  async function undo(conversation: Conversation) {
    setUndoError(null);
    try {
      await restoreConversation(api, conversation.id);
      // The Undo button goes: the keyboard goes to the conversation brought back.
      focusNext.current = { conversationId: conversation.id, reloading: true };
      setDeleted(null);
      conversations.reload();
    } catch (caught) {
      setUndoError(apiErrorMessage(caught));
    }
  }
  const sentinel = useRef<HTMLLIElement>(null);

  useEffect(() => {
    const timer = window.setTimeout(() => setQuery(filter.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [filter]);

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !nextCursor) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [nextCursor, loadMore]);

  if (status === 'error' && isForbidden(error)) {
    return (
      <p className="nav__notice" role="status">
        Your account has no role that may chat yet; ask an admin.
      </p>
    );
  }

  return (
    <nav className="nav" aria-label="Conversations">
      <div className="nav__filter">
        <label htmlFor={filterId} className="visually-hidden">
          Filter conversations by title
        </label>
        <input
          ref={filterBox}
          id={filterId}
          type="search"
          value={filter}
          placeholder="Filter conversations"
          autoComplete="off"
          onChange={(event) => setFilter(event.target.value)}
        />
      </div>
      <div className="nav__scroll" aria-busy={status === 'loading' || status === 'loading-more'}>
        {status === 'loading' && <p className="nav__notice muted">Loading…</p>}
        {status !== 'loading' && items.length === 0 && status !== 'error' && (
          <p className="nav__notice muted" data-testid="conversations-empty">
            {query ? 'No conversation has that in its title.' : 'No conversations yet.'}
          </p>
        )}
        {items.length > 0 && (
          <ul ref={list} className="nav__list" data-testid="conversation-list">
            {items.map((conversation) => (
              <ConversationItem
                key={conversation.id}
                conversation={conversation}
                active={conversation.id === activeId}
                onRenamed={(renamed) => {
                  conversations.replace(renamed);
                  onRenamed(renamed);
                }}
                onDeleteRequested={setDeleting}
              />
            ))}
            {nextCursor && (
              <li ref={sentinel} className="nav__more">
                <button
                  ref={moreButton}
                  type="button"
                  className="button-secondary button-small"
                  onClick={loadMore}
                  // aria-disabled, not disabled: a disabled button loses the keyboard focus (and
                  // loadMore does nothing while a page is loading).
                  aria-disabled={status === 'loading-more' || undefined}
                >
                  {status === 'loading-more' ? 'Loading…' : 'Load more'}
                </button>
              </li>
            )}
          </ul>
        )}
        {status === 'error' && (
          <div className="error" role="alert">
            <p>Your conversations could not be loaded. {apiErrorMessage(error)}</p>
            <button type="button" className="button-secondary button-small" onClick={conversations.reload}>
              Try again
            </button>
          </div>
        )}
      </div>
      {deleting && (
        <DeleteDialog
          conversation={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={(id) => {
            // The dialog would give the focus back to the Delete button, gone with its conversation:
            // it goes to the next one instead (the one before it at the end of the list). The open
            // conversation's page is left for the new chat, whose message box takes the focus.
            if (id !== activeId) {
              const at = items.findIndex((c) => c.id === id);
              const neighbour = items[at + 1] ?? items[at - 1] ?? null;
              focusNext.current = { conversationId: neighbour?.id ?? null, reloading: false };
            }
            setDeleted(deleting);
            setUndoError(null);
            setDeleting(null);
            conversations.remove(id);
            onDeleted(id);
          }}
        />
      )}
      {/* Always in the page, and out of the layout: a screen reader reads the changes of a live
          region it has already met, not one mounted with its words. */}
      <p className="visually-hidden" role="status">
        {deleted ? `Deleted “${deleted.title}”.` : ''}
      </p>
      {deleted && (
        <div className="nav__undo" data-testid="deleted-notice">
          <span>
            Deleted &ldquo;<span dir="auto">{deleted.title}</span>&rdquo;.{' '}
            <button type="button" className="link-button" onClick={() => void undo(deleted)}>
              Undo
            </button>
          </span>
          {undoError && (
            <span className="error" role="alert">
              {undoError}
            </span>
          )}
        </div>
      )}
    </nav>
  );
}
