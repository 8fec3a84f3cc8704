import { useCallback, useState } from 'react';
import { Link, useLocation, useRoute, useSearch } from 'wouter';

import { Icon } from '@/components/icons';
import { paths } from '@/config/paths';
import { useApiClient } from '@/lib/api-client-context';
import { SignOutButton } from '@/features/auth/components/sign-out-button';
import { ChatView } from '@/features/chat/components/chat-view';
import { createConversation } from '@/features/conversations/api/create-conversation';
import { ConversationNav } from '@/features/conversations/components/conversation-nav';
import { useConversation } from '@/features/conversations/hooks/use-conversation';
import type { Me } from '@/features/me/api/get-me';
import { AccountPanel } from '@/features/me/components/account-panel';
import { OfflineBadge } from '@/features/me/components/offline-badge';
import { SearchPage } from '@/features/search/components/search-page';

export interface ChatLayoutProps {
  readonly me: Me;
  /** A reply ended: the quota changed. */
  onReplyEnded(): void;
  onSignOut(): Promise<void>;
}

/**
 * The signed-in app of members and admins: the sidebar (new chat, search, conversations, account)
 * beside the page of the URL. `/` and `/c/:id` render the same ChatView, so a chat started on `/`
 * keeps streaming while the URL moves to the conversation it created.
 */
export function ChatLayout({ me, onReplyEnded, onSignOut }: ChatLayoutProps) {
  const api = useApiClient();
  const [, navigate] = useLocation();
  const [inConversation, params] = useRoute<{ conversationId: string }>(paths.conversationPattern);
  const [inSearch] = useRoute(paths.searchPattern);
  const query = new URLSearchParams(useSearch()).get('q') ?? '';
  const conversationId = inConversation ? params.conversationId : null;
  const [refreshKey, setRefreshKey] = useState(0);
  const conversation = useConversation(conversationId, refreshKey);

  const refresh = useCallback(() => setRefreshKey((key) => key + 1), []);

  const startConversation = useCallback(async () => (await createConversation(api, {})).id, [api]);

  const replyEnded = useCallback(() => {
    refresh();
    onReplyEnded();
  }, [refresh, onReplyEnded]);

  return (
    <div className="layout">
      <aside className="sidebar" aria-label="Sidebar">
        <div className="sidebar__top">
          <span className="brand">Parley</span>
        </div>
        <div className="sidebar__actions">
          <Link href={paths.home} className="sidebar__new" data-testid="new-chat">
            <Icon name="plus" /> New chat
          </Link>
          <Link href={paths.search()} className="sidebar__link" aria-current={inSearch ? 'page' : undefined}>
            <Icon name="search" /> Search messages
          </Link>
        </div>
        <ConversationNav
          activeId={conversationId}
          refreshKey={refreshKey}
          onRenamed={refresh}
          onDeleted={(id) => {
            if (id === conversationId) navigate(paths.home);
          }}
        />
        <div className="sidebar__footer">
          <AccountPanel me={me} />
          <SignOutButton onSignOut={onSignOut} />
        </div>
      </aside>
      <main className="main">
        {inSearch ? (
          <SearchPage query={query} onSearch={(q) => navigate(paths.search(q))} />
        ) : (
          <ChatView
            conversationId={conversationId}
            title={conversation?.title ?? null}
            status={<OfflineBadge me={me} />}
            createConversation={startConversation}
            onConversationCreated={(id) => navigate(paths.conversation(id))}
            onReplyEnded={replyEnded}
          />
        )}
      </main>
    </div>
  );
}
