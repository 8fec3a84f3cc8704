import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { getConversations } from '@/features/conversations/api/get-conversations';

export const PAGE_SIZE = 30;

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
 * The caller's conversations, newest first, filtered by title when `q` is set. A change of
 * `refreshKey` reads the first page again quietly (a reply moved a conversation to the top or
 * titled it), keeping the older pages already loaded.
 */
export function useConversations(q: string, refreshKey: number): UseConversations {
  const api = useApiClient();
  const [state, setState] = useState<ConversationsState>(initialState);
  const [generation, setGeneration] = useState(0);
  const inFlight = useRef<AbortController | null>(null);
  const shownQuery = useRef<string | null>(null);

  const fetchPage = useCallback(
    (cursor: string | undefined, mode: 'replace' | 'append' | 'merge') => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      getConversations(api, { limit: PAGE_SIZE, cursor, q }, controller.signal).then(
        (page) =>
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
            if (mode === 'merge' && previous.items.length > page.items.length && page.nextCursor) {
              const fresh = new Set(page.items.map((c) => c.id));
              return {
                items: [...page.items, ...previous.items.filter((c) => !fresh.has(c.id))],
                nextCursor: previous.nextCursor,
                status: 'ready',
                error: null,
              };
            }
            return { items: page.items, nextCursor: page.nextCursor, status: 'ready', error: null };
          }),
        (error: unknown) => {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, status: 'error', error }));
        },
      );
      return controller;
    },
    [api, q],
  );

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
