import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'wouter';

import { paths } from '@/config/paths';
import { apiErrorMessage } from '@/lib/api-client';
import { focusFirstControl, useLastPageFocus } from '@/lib/use-last-page-focus';
import { Snippet } from '@/features/search/components/snippet';
import { useSearch } from '@/features/search/hooks/use-search';
import { useDocumentTitle } from '@/lib/use-document-title';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export interface SearchPageProps {
  /** The query of the URL (`/search?q=`). */
  readonly query: string;
  /** Puts a new query in the URL. */
  onSearch(query: string): void;
}

/** What the live region says of the results shown: "20 results for “tea”, more to load". */
export function resultsLine(count: number, query: string, more: boolean): string {
  return `${count} ${count === 1 ? 'result' : 'results'} for “${query}”${more ? ', more to load' : ''}.`;
}

/** Full-text search over one's own messages; each hit opens its conversation at that message. */
export function SearchPage({ query, onSearch }: SearchPageProps) {
  const inputId = useId();
  useDocumentTitle('Search your messages');
  const [text, setText] = useState(query);
  const search = useSearch(query);
  const input = useRef<HTMLInputElement>(null);

  const results = useRef<HTMLOListElement>(null);
  /** How many results were shown when the page being loaded was asked for. */

  useEffect(() => setText(query), [query]);
  useEffect(() => input.current?.focus(), []);

  // The last page in: More results is gone, and the keyboard goes to the first result it brought
  // (the last one shown if it brought none) rather than to the top of the page.
  const { status, items } = search;
  const moreButton = useLastPageFocus(
    { status, count: items.length },
    () => results.current,
    (shown, from) => focusFirstControl(shown.querySelectorAll(':scope > li'), from),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    // The same words after a failure: the URL would not change, so ask again here.
    if (text.trim() === query && search.status === 'error') search.retry();
    else onSearch(text.trim());
  }

  return (
    <section className="search" aria-labelledby="search-heading">
      <header className="chat__header">
        <h1 id="search-heading" className="chat__title">
          Search your messages
        </h1>
      </header>
      <div className="search__body">
        <form className="search__form" role="search" onSubmit={submit}>
          <label htmlFor={inputId} className="visually-hidden">
            Search your messages
          </label>
          <input
            id={inputId}
            ref={input}
            type="search"
            value={text}
            placeholder='Words, "an exact phrase", -excluded'
            onChange={(event) => setText(event.target.value)}
          />
          <button type="submit">Search</button>
        </form>

        {/* Announced as it changes: a short line, not the results themselves (twenty of them,
            read aloud at every search). */}
        <div aria-live="polite" aria-busy={search.status === 'loading'} data-testid="search-status">
          {search.status === 'loading' && <p className="muted">Searching…</p>}
          {search.status === 'ready' && search.items.length === 0 && (
            <p className="muted" data-testid="search-empty">
              Nothing found for “{query}”.
            </p>
          )}
          {search.items.length > 0 && search.status !== 'loading' && (
            <p className="visually-hidden">
              {resultsLine(search.items.length, query, search.nextCursor !== null)}
            </p>
          )}
        </div>
        {search.status === 'error' && (
          <div className="error" role="alert">
            <p>The search failed. {apiErrorMessage(search.error)}</p>
            <button type="button" className="button-small" onClick={search.retry}>
              Try again
            </button>
          </div>
        )}
        {search.items.length > 0 && (
          <ol ref={results} className="search__results" data-testid="search-results">
            {search.items.map((hit) => (
              <li key={hit.messageId} className="search-hit">
                <Link
                  href={paths.conversation(hit.conversationId, hit.messageId)}
                  className="search-hit__link"
                >
                  {/* Titles and snippets in Hebrew or Arabic read right to left. */}
                  <span className="search-hit__title" dir="auto">
                    {hit.conversationTitle}
                  </span>
                  <span className="search-hit__meta">
                    {hit.role === 'user' ? 'You' : 'Parley'} ·{' '}
                    <time dateTime={hit.createdAt}>{dateFormat.format(new Date(hit.createdAt))}</time>
                  </span>
                  <Snippet parts={hit.snippet} />
                </Link>
              </li>
            ))}
          </ol>
        )}
        {search.nextCursor && (
          <button
            ref={moreButton}
            type="button"
            className="button-secondary"
            onClick={search.loadMore}
            // aria-disabled, not disabled: a disabled button loses the keyboard focus (and loadMore
            // does nothing while a page is loading).
            aria-disabled={search.status === 'loading-more' || undefined}
          >
            {search.status === 'loading-more' ? 'Loading…' : 'More results'}
          </button>
        )}
      </div>
    </section>
  );
}
