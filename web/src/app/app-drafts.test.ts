// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { Hub } from 'aws-amplify/utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import type { SignedInProps } from '@/app/signed-in';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * The app's own session handling (useAuth) against a fake Amplify: the drafts' one clearing
 * place, the app's sign-in page, must see every way a session ends. The signed-in views are a
 * probe holding the app's sign-out, as the account menu does; the chat (and its draft hook) is
 * not loaded at all.
 */
const amplify = vi.hoisted(() => ({
  getCurrentUser: vi.fn(),
  signOut: vi.fn(),
}));
vi.mock('aws-amplify/auth', () => amplify);
const signedIn = vi.hoisted(() => ({ onSignOut: undefined as SignedInProps['onSignOut'] | undefined }));
vi.mock('@/app/signed-in', () => ({
  SignedIn: (props: SignedInProps) => {
    signedIn.onSignOut = props.onSignOut;
    return null;
  },
}));
vi.mock('@/features/auth/components/sign-in-flow', () => ({ SignInFlow: () => null }));

const { App } = await import('@/app/app');

const DRAFT_NEW = 'parley.draft:new';
const DRAFT_CONVERSATION = 'parley.draft:0b5c1e9e-1d7c-4a8e-9d1f-2f0a6c1d2e3f';

let root: Root;

beforeEach(() => {
  amplify.getCurrentUser.mockResolvedValue({ userId: 'user-1', username: 'ada@example.com' });
  amplify.signOut.mockResolvedValue(undefined);
  // Amplify warns when anyone but itself dispatches on its `auth` channel, as these tests do.
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  sessionStorage.clear();
  localStorage.clear();
  document.body.innerHTML = '';
  signedIn.onSignOut = undefined;
  vi.restoreAllMocks();
});

/** Opens the app; resolves once the session has been read. */
async function openApp(): Promise<void> {
  await act(async () => root.render(createElement(App, { api: {} as ApiClient, idleSignOutMs: null })));
}

function typeDrafts(): void {
  sessionStorage.setItem(DRAFT_NEW, 'half a question');
  sessionStorage.setItem(DRAFT_CONVERSATION, 'another');
  sessionStorage.setItem('unrelated', 'kept');
}

function expectDraftsCleared(): void {
  expect(sessionStorage.getItem(DRAFT_NEW)).toBeNull();
  expect(sessionStorage.getItem(DRAFT_CONVERSATION)).toBeNull();
  expect(sessionStorage.getItem('unrelated')).toBe('kept');
}

describe('App: drafts when a session ends', () => {
  it('keeps the drafts while the person is signed in', async () => {
    // Prepare
    typeDrafts();

    // Act
    await openApp();

    // Assess
    expect(signedIn.onSignOut).toBeDefined();
    expect(sessionStorage.getItem(DRAFT_NEW)).toBe('half a question');
    expect(sessionStorage.getItem(DRAFT_CONVERSATION)).toBe('another');
  });

  it('clears them when the person signs out in this tab', async () => {
    // Prepare
    await openApp();
    typeDrafts();

    // Act
    await act(async () => signedIn.onSignOut?.());

    // Assess
    expect(amplify.signOut).toHaveBeenCalledTimes(1);
    expectDraftsCleared();
  });

  it('clears them when the session is signed out elsewhere (another tab, the idle sign-out there)', async () => {
    // Prepare
    await openApp();
    typeDrafts();

    // Act: as Amplify says it, in this tab or from another
    await act(async () => Hub.dispatch('auth', { event: 'signedOut' }));

    // Assess
    expectDraftsCleared();
  });

  it('clears them when the session expires (the refresh token is refused)', async () => {
    // Prepare
    await openApp();
    typeDrafts();

    // Act
    await act(async () =>
      Hub.dispatch('auth', {
        event: 'tokenRefresh_failure',
        data: {
          error: Object.assign(new Error('Refresh Token has expired'), { name: 'NotAuthorizedException' }),
        },
      }),
    );

    // Assess
    expectDraftsCleared();
  });

  it('clears them when the session ended while the tab was closed (no sign-out event at all)', async () => {
    // Prepare
    typeDrafts();
    amplify.getCurrentUser.mockRejectedValue(new Error('UserUnAuthenticatedException'));

    // Act
    await openApp();

    // Assess
    expect(signedIn.onSignOut).toBeUndefined();
    expectDraftsCleared();
  });
});
