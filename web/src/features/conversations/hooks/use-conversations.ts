import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { getConversations } from '@/features/conversations/api/get-conversations';

export const PAGE_SIZE = 20;

export interface ConversationsState {
  readonly items: readonly Conversation[];
  readonly nextCursor: string | null;
  /** `loading` covers the first page, `loading-more` every later one. */
  readonly status: 'loading' | 'loading-more' | 'ready' | 'error';
  readonly error: unknown;
}

export interface UseConversations extends ConversationsState {
  loadMore(): void;
  /** Puts a conversation just created at the top, where the newest-first list would show it. */
  prepend(conversation: Conversation): void;
  /** Starts again from the first page, e.g. after it failed to load. */
  reload(): void;
}

const initialState: ConversationsState = { items: [], nextCursor: null, status: 'loading', error: null };

export function useConversations(): UseConversations {
  const api = useApiClient();
  const [state, setState] = useState<ConversationsState>(initialState);
  const [generation, setGeneration] = useState(0);
  const inFlight = useRef<AbortController | null>(null);

  const fetchPage = useCallback(
    (cursor: string | undefined) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      getConversations(api, { limit: PAGE_SIZE, cursor }, controller.signal).then(
        (page) =>
          setState((previous) => {
            // A conversation created meanwhile may already be in the list.
            const known = new Set(previous.items.map((c) => c.id));
            const items = cursor
              ? [...previous.items, ...page.items.filter((c) => !known.has(c.id))]
              : page.items;
            return { items, nextCursor: page.nextCursor, status: 'ready', error: null };
          }),
        (error: unknown) => {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, status: 'error', error }));
        },
      );
      return controller;
    },
    [api],
  );

  useEffect(() => {
    const controller = fetchPage(undefined);
    return () => controller.abort();
  }, [fetchPage, generation]);

  const loadMore = useCallback(() => {
    if (!state.nextCursor || state.status === 'loading-more') return;
    setState((previous) => ({ ...previous, status: 'loading-more', error: null }));
    fetchPage(state.nextCursor);
  }, [fetchPage, state.nextCursor, state.status]);

  const prepend = useCallback((conversation: Conversation) => {
    setState((previous) => ({
      ...previous,
      items: [conversation, ...previous.items.filter((c) => c.id !== conversation.id)],
    }));
  }, []);

  const reload = useCallback(() => {
    setState(initialState);
    setGeneration((g) => g + 1);
  }, []);

  useEffect(() => () => inFlight.current?.abort(), []);

  return { ...state, loadMore, prepend, reload };
}

/** True when the API refused the list because of the caller's role, not a fault. */
export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}
