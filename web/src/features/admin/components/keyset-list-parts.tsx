import type { ReactNode } from 'react';

import type { KeysetList } from '@/lib/use-keyset-list';
import { apiErrorMessage } from '@/lib/api-client';
import { useLastPageFocus } from '@/lib/use-last-page-focus';

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

/**
 * "Load more" under a console list while it has more pages. Put it right after the element that
 * holds the list's table: when the last page comes in with the focus on the button (which then
 * goes), the keyboard goes to the first row it brought (the last row if it brought none): its
 * first link or button, else the row itself.
 */
export function LoadMore({ list }: { list: KeysetList<unknown> }) {
  const button = useLastPageFocus(
    { status: list.status, count: list.items.length },
    // The element that holds the table: the one right before the button's own.
    (element) => element.parentElement?.previousElementSibling ?? null,
    (table, from) => {
      const rows = table.querySelectorAll<HTMLElement>('tbody > tr');
      const row = rows[from] ?? rows[rows.length - 1];
      if (!row) return;
      const control = row.querySelector<HTMLElement>('a[href], button');
      // A row with nothing to press is made focusable from here only (not a Tab stop), so that the
      // keyboard goes on from there.
      if (!control) row.tabIndex = -1;
      (control ?? row).focus();
    },
  );

  if (!list.nextCursor) return null;
  return (
    <div className="console__more">
      <button
        ref={button}
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
