import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { getConversations } from '@/features/conversations/api/get-conversations';
import type { ConversationPage } from '@/features/conversations/api/get-conversations';

export const PAGE_SIZE = 30;

/**
 * Coming back to the tab reads the first page again at most this often (ms), so that switching
 * tabs back and forth does not read it each time.
 */
export const RECHECK_MS = 10_000;

export interface ConversationsState {
  readonly items: readonly Conversation[];
  readonly nextCursor: string | null;
  /** `loading` covers the first page, `loading-more` every later one. */
  readonly status: 'loading' | 'loading-more' | 'ready' | 'error';
  readonly error: unknown;
}

export interface UseConversations extends ConversationsState {
  loadMore(): void;
  /** Shows a renamed conversation with its new title. */
  replace(conversation: Conversation): void;
  remove(conversationId: string): void;
  /** Starts again from the first page, e.g. after it failed to load. */
  reload(): void;
}

const initialState: ConversationsState = { items: [], nextCursor: null, status: 'loading', error: null };

/**
 * Page 1 read again, put over the list shown: its conversations on top (new ones, and ones written
 * to since, with their new title and time), then those of the older pages already loaded. A shown
 * one newer than page 1's last that page 1 lacks is gone (deleted elsewhere, or renamed out of the
 * filter): had it been written to, it would be newer still, so on page 1.
 */
function mergeFirstPage(previous: ConversationsState, page: ConversationPage): ConversationsState {
  const last = page.items.at(-1);
  // Page 1 is the whole list, or reaches as far as what is shown: it replaces it.
  if (!page.nextCursor || !last || previous.items.length <= page.items.length) {
    return { items: page.items, nextCursor: page.nextCursor, status: 'ready', error: null };
  }
  const fresh = new Set(page.items.map((c) => c.id));
  // Compared as instants, to the millisecond: one in the same millisecond as page 1's last is
  // kept, as the order within it is the API's.
  const boundary = Date.parse(last.updatedAt);
  const older = previous.items.filter((c) => !fresh.has(c.id) && Date.parse(c.updatedAt) <= boundary);
  return { items: [...page.items, ...older], nextCursor: previous.nextCursor, status: 'ready', error: null };
}

/**
 * The caller's conversations, newest first, filtered by title when `q` is set. A change of
 * `refreshKey` reads the first page again quietly (a reply moved a conversation to the top or
 * titled it), keeping the older pages already loaded. So does coming back to the tab (shown
 * again, or its window focused), at most every RECHECK_MS and not while a page is being read: a
 * conversation written to elsewhere moves above the pages shown, so it would be missing from
 * them (on neither page, if it moved between two page reads) until the page was loaded again.
 */
export function useConversations(q: string, refreshKey: number): UseConversations {
  const api = useApiClient();
  const [state, setState] = useState<ConversationsState>(initialState);
  const [generation, setGeneration] = useState(0);
  /** The read under way, if any (cleared once it is answered, failed or aborted). */
  const inFlight = useRef<AbortController | null>(null);
  /** When page 1 was last asked for (Date.now()). */
  const firstPageAskedAt = useRef(0);
  const shownQuery = useRef<string | null>(null);

  const fetchPage = useCallback(
    (cursor: string | undefined, mode: 'replace' | 'append' | 'merge', quiet = false) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      if (cursor === undefined) firstPageAskedAt.current = Date.now();
      const settled = () => {
        if (inFlight.current === controller) inFlight.current = null;
      };
      getConversations(api, { limit: PAGE_SIZE, cursor, q }, controller.signal).then(
        (page) => {
          settled();
          setState((previous) => {
            if (mode === 'append') {
              const known = new Set(previous.items.map((c) => c.id));
              return {
                items: [...previous.items, ...page.items.filter((c) => !known.has(c.id))],
                nextCursor: page.nextCursor,
                status: 'ready',
                error: null,
              };
            }
            if (mode === 'merge') return mergeFirstPage(previous, page);
            return { items: page.items, nextCursor: page.nextCursor, status: 'ready', error: null };
          });
        },
        (error: unknown) => {
          settled();
          // A quiet check that fails (back from sleep, the network not up yet) leaves the list as
          // it is: the next one, or a reply, reads it again.
          if (!controller.signal.aborted && !quiet) {
            setState((previous) => ({ ...previous, status: 'error', error }));
          }
        },
      );
      return controller;
    },
    [api, q],
  );

  useEffect(() => {
    const check = () => {
      if (document.visibilityState !== 'visible' || inFlight.current) return;
      if (Date.now() - firstPageAskedAt.current < RECHECK_MS) return;
      fetchPage(undefined, 'merge', true);
    };
    document.addEventListener('visibilitychange', check);
    window.addEventListener('focus', check);
    return () => {
      document.removeEventListener('visibilitychange', check);
      window.removeEventListener('focus', check);
    };
  }, [fetchPage]);

  useEffect(() => {
    // A new query starts from scratch; the same query again (a refresh) merges quietly.
    const sameQuery = shownQuery.current === q;
    shownQuery.current = q;
    if (!sameQuery) setState(initialState);
    const controller = fetchPage(undefined, sameQuery ? 'merge' : 'replace');
    return () => controller.abort();
  }, [fetchPage, q, refreshKey, generation]);

  const loadMore = useCallback(() => {
    if (!state.nextCursor || state.status !== 'ready') return;
    setState((previous) => ({ ...previous, status: 'loading-more', error: null }));
    fetchPage(state.nextCursor, 'append');
  }, [fetchPage, state.nextCursor, state.status]);

  const replace = useCallback((conversation: Conversation) => {
    setState((previous) => ({
      ...previous,
      items: previous.items.map((c) => (c.id === conversation.id ? conversation : c)),
    }));
  }, []);

  const remove = useCallback((conversationId: string) => {
    setState((previous) => ({ ...previous, items: previous.items.filter((c) => c.id !== conversationId) }));
  }, []);

  const reload = useCallback(() => {
    shownQuery.current = null;
    setGeneration((g) => g + 1);
  }, []);

  useEffect(() => () => inFlight.current?.abort(), []);

  return { ...state, loadMore, replace, remove, reload };
}

/** True when the API refused the list because of the caller's role, not a fault. */
export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}
