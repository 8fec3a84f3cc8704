// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import type { Conversation } from '@/features/conversations/api/conversation-schema';
import { ConversationNav } from '@/features/conversations/components/conversation-nav';
import { RECHECK_MS } from '@/features/conversations/hooks/use-conversations';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const START = Date.parse('2026-12-01T12:00:00.000Z');

/** `c1` is the newest, each next one a minute older. */
function conversation(n: number): Conversation {
  const at = new Date(START - n * 60_000).toISOString();
  return { id: `c${n}`, title: `Chat ${n}`, createdAt: at, updatedAt: at, messageCount: 2 };
}

/** GET /api/conversations, newest first, all on one page; what it holds changes as elsewhere. */
let held: Conversation[];
const fetchList = vi.fn(async (): Promise<Response> => {
  const items = [...held].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return Response.json({ items, nextCursor: null });
});

let root: Root;

/** Lets the fake server's answers and the effects run. */
async function settle() {
  for (let i = 0; i < 5; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

async function mount() {
  const api = createApiClient({
    baseUrl: '/api',
    origin: 'http://localhost',
    getAccessToken: async () => 'token',
    fetch: fetchList,
  });
  const nav = createElement(ConversationNav, {
    activeId: null,
    refreshKey: 0,
    onDeleted: () => undefined,
    onRenamed: () => undefined,
  });
  await act(async () => root.render(createElement(ApiClientProvider, { client: api, children: nav })));
  await settle();
}

/** Written to in another tab or device: it moves to the top once the sidebar reads page 1 again. */
function touch(id: string) {
  held = held.map((c) => (c.id === id ? { ...c, updatedAt: new Date(Date.now()).toISOString() } : c));
}

/** The person comes back to the tab later: the sidebar reads page 1 again. */
async function comeBack() {
  vi.setSystemTime(Date.now() + RECHECK_MS + 1);
  act(() => void document.dispatchEvent(new Event('visibilitychange')));
  await settle();
}

const titles = () =>
  [...document.querySelectorAll('[data-testid="conversation-list"] a')].map((a) => a.textContent);
const link = (n: number) => document.querySelector<HTMLElement>(`a[title="Chat ${n}"]`);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
  held = Array.from({ length: 5 }, (_, i) => conversation(i + 1));
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
  vi.useRealTimers();
});

// A conversation moving to the top past the focused row is checked in Chromium
// (test/e2e/a11y.e2e.test.ts): here React gives the focus back itself, and jsdom hides no button.
describe('ConversationNav: the keyboard focus when the list changes', () => {
  it('goes to the next conversation when the focused one was deleted elsewhere', async () => {
    // Prepare
    await mount();
    link(2)?.focus();
    held = held.filter((c) => c.id !== 'c2');

    // Act
    await comeBack();

    // Assess: Chat 3 took Chat 2's place, and the focus
    expect(link(2)).toBeNull();
    expect(document.activeElement).toBe(link(3));
  });

  it('takes the focus from nowhere else: the filter box keeps it, and nothing focused stays so', async () => {
    // Prepare: the focus in the filter box
    await mount();
    const filter = document.querySelector<HTMLElement>('input[type="search"]');
    filter?.focus();
    touch('c4');

    // Act and assess
    await comeBack();
    expect(titles()[0]).toContain('Chat 4');
    expect(document.activeElement).toBe(filter);

    // The focus left for nothing (a click on the page's background): the list does not take it
    link(2)?.focus();
    link(2)?.blur();
    touch('c5');
    await comeBack();
    expect(titles()[0]).toContain('Chat 5');
    expect(document.activeElement).toBe(document.body);
  });
});
