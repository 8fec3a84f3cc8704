import type { ReactNode } from 'react';

import type { KeysetList } from '@/lib/use-keyset-list';
import { apiErrorMessage } from '@/lib/api-client';

export interface ListStatusProps {
  readonly list: KeysetList<unknown>;
  /** While the first page loads: "Loading users…". */
  readonly loading: string;
  /** What could not be loaded, as a sentence's subject: "The users". */
  readonly what: string;
  /** When nothing matches: "No users match.". */
  readonly empty: string;
  readonly emptyTestId: string;
  /** Shown first, e.g. the totals of the filters. */
  readonly children?: ReactNode;
}

/** A console list's state above its table, announced as it changes: loading, failed, or empty. */
export function ListStatus({ list, loading, what, empty, emptyTestId, children }: ListStatusProps) {
  return (
    <div aria-live="polite" aria-busy={list.status === 'loading'}>
      {children}
      {list.status === 'loading' && <p className="muted">{loading}</p>}
      {list.status === 'error' && (
        <div className="error" role="alert">
          <p>
            {what} could not be loaded. {apiErrorMessage(list.error)}
          </p>
          <button type="button" className="button-small" onClick={list.retry}>
            Try again
          </button>
        </div>
      )}
      {list.status === 'ready' && list.items.length === 0 && (
        <p className="muted" data-testid={emptyTestId}>
          {empty}
        </p>
      )}
    </div>
  );
}

/** "Load more" under a console list while it has more pages. */
export function LoadMore({ list }: { list: KeysetList<unknown> }) {
  if (!list.nextCursor) return null;
  return (
    <div className="console__more">
      <button
        type="button"
        className="button-secondary"
        onClick={list.loadMore}
        // aria-disabled, not disabled: a disabled button loses the keyboard focus (and loadMore
        // does nothing while a page is loading).
        aria-disabled={list.status === 'loading-more' || undefined}
      >
        {list.status === 'loading-more' ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
