// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const auth = vi.hoisted(() => ({
  status: 'signed-out' as 'signed-out' | 'checking',
  reason: null as 'signed-out' | 'idle' | null,
}));
vi.mock('@/features/auth/hooks/use-auth', () => ({
  useAuth: () => ({ state: { status: auth.status, reason: auth.reason }, refresh: () => undefined }),
}));
vi.mock('@/features/auth/components/sign-in-flow', () => ({ SignInFlow: () => null }));

const { App } = await import('@/app/app');

afterEach(() => {
  sessionStorage.clear();
  document.body.innerHTML = '';
});

describe('App signed out', () => {
  it("clears the last person's drafts in this tab, and leaves other storage alone", async () => {
    // Prepare: drafts of someone whose session ended while the tab was closed
    sessionStorage.setItem('parley.draft:new', 'half a question');
    sessionStorage.setItem('parley.draft:0b5c1e9e-1d7c-4a8e-9d1f-2f0a6c1d2e3f', 'another');
    sessionStorage.setItem('unrelated', 'kept');
    const root = createRoot(document.body.appendChild(document.createElement('div')));

    // Act
    await act(async () => root.render(createElement(App, { api: {} as ApiClient, idleSignOutMs: null })));

    // Assess
    expect(sessionStorage.getItem('parley.draft:new')).toBeNull();
    expect(sessionStorage.getItem('parley.draft:0b5c1e9e-1d7c-4a8e-9d1f-2f0a6c1d2e3f')).toBeNull();
    expect(sessionStorage.getItem('unrelated')).toBe('kept');
    act(() => root.unmount());
  });

  it('keeps drafts while the session is still being checked', async () => {
    auth.status = 'checking';
    sessionStorage.setItem('parley.draft:new', 'half a question');
    const root = createRoot(document.body.appendChild(document.createElement('div')));

    await act(async () => root.render(createElement(App, { api: {} as ApiClient, idleSignOutMs: null })));

    expect(sessionStorage.getItem('parley.draft:new')).toBe('half a question');
    act(() => root.unmount());
    auth.status = 'signed-out';
  });
});

describe('App after a session ended', () => {
  afterEach(() => {
    auth.reason = null;
    window.history.replaceState(null, '', '/');
  });

  it.each(['signed-out', 'idle'] as const)(
    "leaves the app's root in the address bar, not the last person's page (%s)",
    async (reason) => {
      // Prepare: the sign-in form shown over someone's conversation, their session just ended
      window.history.pushState(null, '', '/c/0b5c1e9e-1d7c-4a8e-9d1f-2f0a6c1d2e3f?q=x#m-1');
      auth.reason = reason;
      const root = createRoot(document.body.appendChild(document.createElement('div')));

      // Act
      await act(async () => root.render(createElement(App, { api: {} as ApiClient, idleSignOutMs: null })));

      // Assess
      expect(`${window.location.pathname}${window.location.search}${window.location.hash}`).toBe('/');
      act(() => root.unmount());
    },
  );

  it('keeps the address of a link opened before signing in (no session ended)', async () => {
    window.history.pushState(null, '', '/c/0b5c1e9e-1d7c-4a8e-9d1f-2f0a6c1d2e3f');
    const root = createRoot(document.body.appendChild(document.createElement('div')));

    await act(async () => root.render(createElement(App, { api: {} as ApiClient, idleSignOutMs: null })));

    expect(window.location.pathname).toBe('/c/0b5c1e9e-1d7c-4a8e-9d1f-2f0a6c1d2e3f');
    act(() => root.unmount());
  });
});
