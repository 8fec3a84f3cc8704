import { useCallback, useState } from 'react';
import { Link, useLocation, useRoute, useSearch } from 'wouter';

import { Icon } from '@/components/icons';
import { isConsolePath, paths } from '@/config/paths';
import { useApiClient } from '@/lib/api-client-context';
import type { SignOutOptions } from '@/features/auth/hooks/use-auth';
import { ChatView } from '@/features/chat/components/chat-view';
import { createConversation } from '@/features/conversations/api/create-conversation';
import { ConversationNav } from '@/features/conversations/components/conversation-nav';
import { useConversation } from '@/features/conversations/hooks/use-conversation';
import type { Me } from '@/features/me/api/get-me';
import { OfflineBadge } from '@/features/me/components/offline-badge';
import { SearchPage } from '@/features/search/components/search-page';
import { AccountFooter } from '@/app/account-footer';
import { AppShell } from '@/app/app-shell';
import { ConsoleLinks } from '@/app/console-links';
import { ConsoleRoutes } from '@/app/console-routes';

export interface ChatLayoutProps {
  readonly me: Me;
  /** A reply ended: the quota changed. */
  onReplyEnded(): void;
  onSignOut(options?: SignOutOptions): Promise<void>;
}

/**
 * The signed-in app of members and admins: the sidebar (new chat, search, conversations, account)
 * beside the page of the URL. `/` and `/c/:id` render the same ChatView, so a chat started on `/`
 * keeps streaming while the URL moves to the conversation it created. Admins also get the console
 * (`/admin/*`); a member who opens it is told it is not allowed.
 */
export function ChatLayout({ me, onReplyEnded, onSignOut }: ChatLayoutProps) {
  const api = useApiClient();
  const [location, navigate] = useLocation();
  const inConsole = isConsolePath(location);
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
    <AppShell
      skipLink={inConsole}
      sidebar={
        <>
          <div className="sidebar__actions">
            <Link href={paths.home} className="sidebar__new" data-testid="new-chat">
              <Icon name="plus" /> New chat
            </Link>
            <Link
              href={paths.search()}
              className="sidebar__link"
              aria-current={inSearch ? 'page' : undefined}
            >
              <Icon name="search" /> Search messages
            </Link>
          </div>
          <ConsoleLinks role={me.role} />
          <ConversationNav
            activeId={conversationId}
            refreshKey={refreshKey}
            onRenamed={refresh}
            onDeleted={(id) => {
              if (id === conversationId) navigate(paths.home);
            }}
          />
          <AccountFooter me={me} onSignOut={onSignOut} />
        </>
      }
    >
      {inConsole ? (
        <ConsoleRoutes me={me} />
      ) : inSearch ? (
        <SearchPage query={query} onSearch={(q) => navigate(paths.search(q))} />
      ) : (
        <ChatView
          conversationId={conversationId}
          title={conversation?.title ?? null}
          status={<OfflineBadge me={me} />}
          models={me.model?.models}
          createConversation={startConversation}
          onConversationCreated={(id) => navigate(paths.conversation(id))}
          onReplyEnded={replyEnded}
        />
      )}
    </AppShell>
  );
}
