import { apiErrorMessage } from '@/lib/api-client';
import { ConversationList } from '@/features/conversations/components/conversation-list';
import { CreateConversationForm } from '@/features/conversations/components/create-conversation-form';
import { isForbidden, useConversations } from '@/features/conversations/hooks/use-conversations';

export function ConversationsPanel() {
  const conversations = useConversations();
  const { status, items, nextCursor, error } = conversations;

  if (status === 'error' && isForbidden(error)) {
    return (
      <section className="card notice" role="status" aria-labelledby="conversations-heading">
        <h2 id="conversations-heading">Conversations</h2>
        <p>Your account has no role that may chat yet; ask an admin.</p>
      </section>
    );
  }

  return (
    <section className="card conversations" aria-labelledby="conversations-heading">
      <h2 id="conversations-heading">Conversations</h2>
      <CreateConversationForm onCreated={conversations.prepend} />
      <div aria-live="polite" aria-busy={status === 'loading' || status === 'loading-more'}>
        {status === 'loading' && <p className="muted">Loading your conversations…</p>}
        {status !== 'loading' && !(status === 'error' && items.length === 0) && (
          <ConversationList items={items} />
        )}
      </div>
      {status === 'error' && (
        <div className="error" role="alert">
          <p>Your conversations could not be loaded. {apiErrorMessage(error)}</p>
          {items.length === 0 && (
            <button type="button" className="button-secondary" onClick={conversations.reload}>
              Try again
            </button>
          )}
        </div>
      )}
      {nextCursor && status !== 'loading' && (
        <button
          type="button"
          className="button-secondary load-more"
          onClick={conversations.loadMore}
          disabled={status === 'loading-more'}
        >
          {status === 'loading-more' ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
