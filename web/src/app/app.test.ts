// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const auth = vi.hoisted(() => ({ status: 'signed-out' as 'signed-out' | 'checking' }));
vi.mock('@/features/auth/hooks/use-auth', () => ({
  useAuth: () => ({ state: { status: auth.status, reason: undefined }, refresh: () => undefined }),
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
