import { useCallback, useEffect, useRef, useState } from 'react';

import { useApiClient } from '@/lib/api-client-context';
import { searchMessages } from '@/features/search/api/search-messages';
import type { SearchHit } from '@/features/search/api/search-messages';

export interface SearchState {
  readonly items: readonly SearchHit[];
  readonly nextCursor: string | null;
  readonly status: 'idle' | 'loading' | 'loading-more' | 'ready' | 'error';
  readonly error: unknown;
}

export interface UseSearch extends SearchState {
  loadMore(): void;
  /** After a failure: asks again for the page that failed (the first, or the next one). */
  retry(): void;
}

const idle: SearchState = { items: [], nextCursor: null, status: 'idle', error: null };

export function useSearch(q: string): UseSearch {
  const api = useApiClient();
  const [state, setState] = useState<SearchState>(idle);
  const inFlight = useRef<AbortController | null>(null);

  const fetchPage = useCallback(
    (cursor: string | undefined) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      searchMessages(api, { q, cursor }, controller.signal).then(
        (page) =>
          setState((previous) => ({
            items: cursor ? [...previous.items, ...page.items] : page.items,
            nextCursor: page.nextCursor,
            status: 'ready',
            error: null,
          })),
        (error: unknown) => {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, status: 'error', error }));
        },
      );
      return controller;
    },
    [api, q],
  );

  useEffect(() => {
    if (!q) {
      setState(idle);
      return;
    }
    setState({ ...idle, status: 'loading' });
    const controller = fetchPage(undefined);
    return () => controller.abort();
  }, [fetchPage, q]);

  // A page that failed can be asked for again: the results so far and their cursor stay.
  const loadMore = useCallback(() => {
    if (!state.nextCursor || (state.status !== 'ready' && state.status !== 'error')) return;
    setState((previous) => ({ ...previous, status: 'loading-more', error: null }));
    fetchPage(state.nextCursor);
  }, [fetchPage, state.nextCursor, state.status]);

  const retry = useCallback(() => {
    if (state.status !== 'error' || !q) return;
    if (state.nextCursor) return loadMore();
    setState({ ...idle, status: 'loading' });
    fetchPage(undefined);
  }, [fetchPage, loadMore, q, state.nextCursor, state.status]);

  return { ...state, loadMore, retry };
}
