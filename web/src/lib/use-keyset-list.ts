import { useCallback, useEffect, useRef, useState } from 'react';

export interface KeysetPage<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface KeysetListState<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
  /** `idle` while there is nothing to read (no `fetchPage`), e.g. a search without words. */
  readonly status: 'idle' | 'loading' | 'loading-more' | 'ready' | 'error';
  readonly error: unknown;
}

export interface KeysetList<T> extends KeysetListState<T> {
  loadMore(): void;
  /** After a failure: reads again the page that failed (the first, or the next one). */
  retry(): void;
  /** Replaces one item in place (an admin changed it and the API answered the new version). */
  replace(matches: (item: T) => boolean, next: (item: T) => T): void;
  /** Adds an item at the top (newest first), e.g. a user just invited. */
  prepend(item: T): void;
  /** Drops the items that match, e.g. a user just erased. */
  remove(matches: (item: T) => boolean): void;
}

export type FetchKeysetPage<T> = (cursor: string | undefined, signal: AbortSignal) => Promise<KeysetPage<T>>;

const idle = { items: [], nextCursor: null, status: 'idle', error: null } as const;
const loading = { ...idle, status: 'loading' } as const;

/**
 * A list read one keyset page at a time, in the API's order. `fetchPage` must change
 * (useCallback) when the filters do: that starts again from the first page and drops any answer
 * still in flight. `null` reads nothing and leaves the list idle.
 */
export function useKeysetList<T>(fetchPage: FetchKeysetPage<T> | null): KeysetList<T> {
  const [state, setState] = useState<KeysetListState<T>>(fetchPage ? loading : idle);
  const [readWith, setReadWith] = useState(() => fetchPage);
  const inFlight = useRef<AbortController | null>(null);

  // New filters (or a new search) start over in this very render, not in the effect below: a
  // render in between would show, and a live region announce, the old items' count with the new
  // words (React renders again before committing when state is set during render).
  if (readWith !== fetchPage) {
    setReadWith(() => fetchPage);
    setState(fetchPage ? loading : idle);
  }

  const load = useCallback(
    (cursor: string | undefined) => {
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      if (!fetchPage) return controller;
      fetchPage(cursor, controller.signal).then(
        (page) => {
          // An answer read just as other filters were asked for belongs to those before them.
          if (controller.signal.aborted) return;
          setState((previous) => ({
            items: cursor ? [...previous.items, ...page.items] : page.items,
            nextCursor: page.nextCursor,
            status: 'ready',
            error: null,
          }));
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, status: 'error', error }));
        },
      );
      return controller;
    },
    [fetchPage],
  );

  useEffect(() => {
    if (!fetchPage) {
      inFlight.current?.abort();
      return;
    }
    const controller = load(undefined);
    return () => controller.abort();
  }, [fetchPage, load]);

  // A page that failed can be asked for again: the list keeps what it had, and its cursor.
  const loadMore = useCallback(() => {
    if (!state.nextCursor || (state.status !== 'ready' && state.status !== 'error')) return;
    setState((previous) => ({ ...previous, status: 'loading-more', error: null }));
    load(state.nextCursor);
  }, [load, state.nextCursor, state.status]);

  const retry = useCallback(() => {
    if (state.status !== 'error') return;
    if (state.nextCursor) return loadMore();
    setState(loading);
    load(undefined);
  }, [load, loadMore, state.nextCursor, state.status]);

  const replace = useCallback((matches: (item: T) => boolean, next: (item: T) => T) => {
    setState((previous) => ({
      ...previous,
      items: previous.items.map((item) => (matches(item) ? next(item) : item)),
    }));
  }, []);

  const prepend = useCallback((item: T) => {
    setState((previous) => ({ ...previous, items: [item, ...previous.items] }));
  }, []);

  const remove = useCallback((matches: (item: T) => boolean) => {
    setState((previous) => ({ ...previous, items: previous.items.filter((item) => !matches(item)) }));
  }, []);

  return { ...state, loadMore, retry, replace, prepend, remove };
}
