// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { PAGE_SIZE, RECHECK_MS, useConversations } from '@/features/conversations/hooks/use-conversations';
import type { UseConversations } from '@/features/conversations/hooks/use-conversations';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const START = Date.parse('2026-12-01T12:00:00.000Z');

/** `c01` is the newest, each next one a minute older. */
function conversation(n: number): Conversation {
  const at = new Date(START - n * 60_000).toISOString();
  return {
    id: `c${String(n).padStart(2, '0')}`,
    title: `Chat ${n}`,
    createdAt: at,
    updatedAt: at,
    messageCount: 2,
  };
}

/**
 * GET /api/conversations, faked at fetch as the API pages it: newest first by (updatedAt, id), a
 * keyset cursor naming the last one given. What it holds changes as another tab or device would.
 */
class FakeList {
  held: Conversation[] = [];
  readonly reads: (string | null)[] = [];
  /** The next read is answered only once `release` is called. */
  hold = false;
  release: (() => void) | undefined;

  readonly fetch = vi.fn(async (input: URL | RequestInfo): Promise<Response> => {
    const url = new URL(String(input));
    const cursor = url.searchParams.get('cursor');
    this.reads.push(cursor);
    if (this.hold) {
      this.hold = false;
      await new Promise<void>((resolve) => (this.release = resolve));
    }
    const limit = Number(url.searchParams.get('limit'));
    const sorted = [...this.held].sort(
      (a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id),
    );
    const [at, id] = cursor ? (JSON.parse(cursor) as [string, string]) : [null, null];
    const after =
      at === null || id === null
        ? sorted
        : sorted.filter((c) => c.updatedAt < at || (c.updatedAt === at && c.id < id));
    const items = after.slice(0, limit);
    const last = items.at(-1);
    const nextCursor = after.length > limit && last ? JSON.stringify([last.updatedAt, last.id]) : null;
    return Response.json({ items, nextCursor });
  });

  /** Written to elsewhere (a message sent, a rename): it moves to the top. */
  touch(id: string, now: number, title?: string) {
    this.held = this.held.map((c) =>
      c.id === id ? { ...c, title: title ?? c.title, updatedAt: new Date(now).toISOString() } : c,
    );
  }
}

let server: FakeList;
let root: Root;
let list: UseConversations;
let visibility: DocumentVisibilityState;

function Probe(): null {
  list = useConversations('', 0);
  return null;
}

/** Lets the fake server's answers and the hook's effects run. */
async function settle() {
  for (let i = 0; i < 5; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

async function mount() {
  const api = createApiClient({
    baseUrl: '/api',
    origin: 'http://localhost',
    getAccessToken: async () => 'token',
    fetch: server.fetch,
  });
  await act(async () =>
    root.render(createElement(ApiClientProvider, { client: api, children: createElement(Probe) })),
  );
  await settle();
}

/** The person goes to another tab, and comes back `ms` later. */
async function awayAndBack(ms: number, event: 'visibilitychange' | 'focus' = 'visibilitychange') {
  visibility = 'hidden';
  act(() => void document.dispatchEvent(new Event('visibilitychange')));
  vi.setSystemTime(Date.now() + ms);
  visibility = 'visible';
  act(() => {
    if (event === 'focus') window.dispatchEvent(new Event('focus'));
    else document.dispatchEvent(new Event('visibilitychange'));
  });
  await settle();
}

const ids = () => list.items.map((c) => c.id);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
  server = new FakeList();
  server.held = Array.from({ length: 40 }, (_, i) => conversation(i + 1));
  visibility = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
  vi.useRealTimers();
});

describe('useConversations: coming back to the tab', () => {
  it('shows at the top, once, a conversation written to elsewhere between two page reads', async () => {
    // Prepare: page 1 read; then c35, on page 2, is written to in another tab before page 2 is
    // read, so it moved above page 1 and is on neither page
    await mount();
    expect(list.items).toHaveLength(PAGE_SIZE);
    server.touch('c35', Date.now(), 'Renamed elsewhere');
    act(() => list.loadMore());
    await settle();
    expect(ids()).not.toContain('c35');
    expect(list.items).toHaveLength(39);

    // Act
    await awayAndBack(RECHECK_MS + 1);

    // Assess: page 1 read again, c35 on top with its new title and time, the older pages kept
    expect(server.reads.filter((cursor) => cursor === null)).toHaveLength(2);
    expect(list.items[0]).toMatchObject({
      id: 'c35',
      title: 'Renamed elsewhere',
      updatedAt: new Date(START).toISOString(),
    });
    expect(ids()).toHaveLength(40);
    expect(new Set(ids()).size).toBe(40);
    expect(ids().slice(1)).toEqual(
      Array.from({ length: 40 }, (_, i) => conversation(i + 1).id).filter((id) => id !== 'c35'),
    );
    expect(list.nextCursor).toBeNull();
    expect(list.status).toBe('ready');
  });

  it('reads page 1 again when the window regains the focus, and moves a conversation already shown to the top', async () => {
    // Prepare
    await mount();
    server.touch('c10', Date.now());

    // Act
    await awayAndBack(RECHECK_MS + 1, 'focus');

    // Assess
    expect(ids().slice(0, 3)).toEqual(['c10', 'c01', 'c02']);
    expect(ids().filter((id) => id === 'c10')).toHaveLength(1);
    expect(list.items).toHaveLength(PAGE_SIZE);
    expect(list.nextCursor).not.toBeNull();
  });

  it('takes away a conversation deleted elsewhere, keeping the older pages loaded', async () => {
    // Prepare: both pages shown
    await mount();
    act(() => list.loadMore());
    await settle();
    expect(list.items).toHaveLength(40);
    server.held = server.held.filter((c) => c.id !== 'c05');

    // Act
    await awayAndBack(RECHECK_MS + 1);

    // Assess
    expect(ids()).not.toContain('c05');
    expect(ids()).toHaveLength(39);
    expect(ids().at(-1)).toBe('c40');
    expect(list.status).toBe('ready');
  });

  it('reads page 1 at most once in a while, and not while a page is being read', async () => {
    // Prepare
    await mount();
    const firstPageReads = () => server.reads.filter((cursor) => cursor === null).length;

    // Act and assess: back soon after the first read, nothing is read
    await awayAndBack(1_000);
    expect(firstPageReads()).toBe(1);

    // The tab shown and the window focused at once (as on a tab switch): one read
    vi.setSystemTime(Date.now() + RECHECK_MS + 1);
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
      window.dispatchEvent(new Event('focus'));
    });
    await settle();
    expect(firstPageReads()).toBe(2);

    // Page 2 on its way: coming back reads nothing, and page 2 still arrives
    server.hold = true;
    act(() => list.loadMore());
    await settle();
    await awayAndBack(RECHECK_MS + 1);
    expect(firstPageReads()).toBe(2);
    act(() => server.release?.());
    await settle();
    expect(list.items).toHaveLength(40);
    expect(list.status).toBe('ready');

    // A hidden tab reads nothing, even when its window gets the focus
    vi.setSystemTime(Date.now() + RECHECK_MS + 1);
    visibility = 'hidden';
    act(() => void window.dispatchEvent(new Event('focus')));
    await settle();
    expect(firstPageReads()).toBe(2);
  });

  it('keeps the list as it is when the read on coming back fails', async () => {
    // Prepare
    await mount();
    server.fetch.mockImplementationOnce(async () => {
      throw new TypeError('network error');
    });

    // Act: back from a sleep, the network not up yet
    await awayAndBack(RECHECK_MS + 1);

    // Assess: no error shown over a list that is still there
    expect(list.status).toBe('ready');
    expect(list.items).toHaveLength(PAGE_SIZE);
  });
});
