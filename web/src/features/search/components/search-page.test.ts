// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import { SearchPage } from '@/features/search/components/search-page';
import type { SearchHit } from '@/features/search/api/search-messages';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function hit(n: number): SearchHit {
  return {
    conversationId: '0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77',
    conversationTitle: 'Tea',
    messageId: `1c7a3b63-9f6f-4b62-8e1f-4d9b2a5c3f${String(n).padStart(2, '0')}`,
    role: 'user',
    snippet: [{ text: 'tea', match: true }],
    rank: 1,
    createdAt: '2026-01-05T10:00:00.000Z',
  };
}

/** `/api/search`, faked at fetch: each query's answer is held until the test releases it. */
class FakeSearchApi {
  private readonly waiting = new Map<string, (hits: readonly SearchHit[]) => void>();

  readonly fetch = (input: URL | RequestInfo): Promise<Response> => {
    const q = new URL(
      String(input instanceof Request ? input.url : input),
      'http://localhost',
    ).searchParams.get('q');
    return new Promise((resolve) => {
      this.waiting.set(q ?? '', (hits) => resolve(Response.json({ items: hits, nextCursor: null })));
    });
  };

  answer(q: string, hits: readonly SearchHit[]) {
    const send = this.waiting.get(q);
    if (!send) throw new Error(`no search for ${q} waiting`);
    this.waiting.delete(q);
    send(hits);
  }
}

describe('SearchPage', () => {
  let server: FakeSearchApi;
  let root: Root;

  beforeEach(() => {
    server = new FakeSearchApi();
    root = createRoot(document.body.appendChild(document.createElement('div')));
  });

  afterEach(() => {
    act(() => root.unmount());
    document.body.innerHTML = '';
  });

  const api = () =>
    createApiClient({
      baseUrl: '/api',
      origin: 'http://localhost',
      getAccessToken: async () => 'token',
      fetch: server.fetch,
    });

  async function show(client: ReturnType<typeof api>, query: string) {
    const page = createElement(SearchPage, { query, onSearch: () => undefined });
    await act(async () => root.render(createElement(ApiClientProvider, { client, children: page })));
  }

  async function settle() {
    for (let i = 0; i < 8; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  const liveRegion = () => document.querySelector('[data-testid=search-status]');

  /**
   * Every text the live region held, however briefly: a text node's value before each change
   * (characterDataOldValue) and the nodes put in and taken out, as a screen reader may read each.
   */
  function recordLiveRegion(region: Element): { texts: string[]; stop(): void } {
    const texts: string[] = [];
    const collect = (records: MutationRecord[]) => {
      for (const record of records) {
        if (record.oldValue) texts.push(record.oldValue);
        texts.push(record.target.textContent ?? '');
        for (const node of [...record.addedNodes, ...record.removedNodes]) texts.push(node.textContent ?? '');
      }
    };
    const observer = new MutationObserver(collect);
    observer.observe(region, {
      subtree: true,
      childList: true,
      characterData: true,
      characterDataOldValue: true,
    });
    return {
      texts,
      stop: () => {
        collect(observer.takeRecords());
        observer.disconnect();
      },
    };
  }

  it('never announces the last search’s count with the words of a new search', async () => {
    // Prepare: "tea" found once
    const client = api();
    await show(client, 'tea');
    server.answer('tea', [hit(1)]);
    await settle();
    expect(liveRegion()?.textContent).toBe('1 result for “tea”.');
    const region = liveRegion();
    if (!region) throw new Error('no live region');
    const heard = recordLiveRegion(region);

    // Act: search for "zzz", whose answer is still on its way, then comes with nothing
    await show(client, 'zzz');
    await settle();
    const whileSearching = liveRegion()?.textContent;
    server.answer('zzz', []);
    await settle();
    heard.stop();

    // Assess
    expect(whileSearching).toBe('Searching…');
    expect(liveRegion()?.textContent).toBe('Nothing found for “zzz”.');
    expect(heard.texts).toContain('Nothing found for “zzz”.');
    expect(heard.texts.filter((text) => /results? for “zzz”/.test(text))).toEqual([]);
  });

  it('drops the last search’s answer when it comes after a new search began', async () => {
    // Prepare: "tea" asked for
    const client = api();
    await show(client, 'tea');

    // Act: its answer is sent, but "zzz" is asked for before the page has read it
    await act(async () => {
      server.answer('tea', [hit(1)]);
      root.render(
        createElement(ApiClientProvider, {
          client,
          children: createElement(SearchPage, { query: 'zzz', onSearch: () => undefined }),
        }),
      );
    });
    await settle();

    // Assess: still searching for "zzz"; "tea"'s result is not shown as one of its
    expect(liveRegion()?.textContent).toBe('Searching…');
    expect(document.querySelector('[data-testid=search-results]')).toBeNull();
  });

  it('announces the new search’s own count once its results are in', async () => {
    // Prepare
    const client = api();
    await show(client, 'tea');
    server.answer('tea', [hit(1)]);
    await settle();

    // Act
    await show(client, 'zzz');
    server.answer('zzz', [hit(2), hit(3)]);
    await settle();

    // Assess
    expect(liveRegion()?.textContent).toBe('2 results for “zzz”.');
    expect(document.querySelectorAll('[data-testid=search-results] > li')).toHaveLength(2);
  });
});
