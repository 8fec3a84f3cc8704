import type { Conversation } from '@/features/conversations/api/conversation-schema';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function messageCountLabel(count: number): string {
  return count === 1 ? '1 message' : `${count} messages`;
}

export function ConversationList({ items }: { items: readonly Conversation[] }) {
  if (items.length === 0) {
    return (
      <p className="empty" data-testid="conversations-empty">
        No conversations yet. Start one above.
      </p>
    );
  }
  return (
    <ul className="conversation-list" aria-label="Your conversations" data-testid="conversation-list">
      {items.map((conversation) => (
        <li key={conversation.id} className="conversation-list__item">
          <span className="conversation-list__title">{conversation.title}</span>
          <span className="conversation-list__meta">
            {messageCountLabel(conversation.messageCount)} · updated{' '}
            <time dateTime={conversation.updatedAt}>
              {dateFormat.format(new Date(conversation.updatedAt))}
            </time>
          </span>
        </li>
      ))}
    </ul>
  );
}
