// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import type { AdminUser } from '@/features/admin/api/admin-user-schema';
import type { FeedbackPage } from '@/features/admin/api/list-feedback';
import { FeedbackPage as FeedbackConsole } from '@/features/admin/components/feedback-page';
import { InviteForm } from '@/features/admin/components/invite-form';
import { UsersPage } from '@/features/admin/components/users-page';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | undefined;

afterEach(() => {
  if (root) act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
});

/** An API that answers every request with `answer(path)`. */
function apiAnswering(answer: (path: string) => unknown): ApiClient {
  return {
    async request<T>(path: string): Promise<T> {
      // The schema's output type, which the test's answer is.
      return answer(path) as T;
    },
    fetch: () => Promise.reject(new Error('not used')),
  };
}

async function render(api: ApiClient, element: ReturnType<typeof createElement>): Promise<HTMLElement> {
  const container = document.body.appendChild(document.createElement('div'));
  root = createRoot(container);
  await act(async () => root?.render(createElement(ApiClientProvider, { client: api, children: element })));
  return container;
}

const invited: AdminUser = {
  id: 'u1',
  email: 'new@example.com',
  displayName: 'new',
  kind: 'user',
  role: 'members',
  status: 'active',
  mfaEnabled: false,
  locked: false,
  lockedUntil: null,
  monthlyTokens: 100_000,
  quotaIsDefault: true,
  usedTokens: 0,
  createdAt: '2026-12-01T09:00:00.000Z',
  disabledAt: null,
  lastSignInAt: null,
};

describe('InviteForm', () => {
  it('says the invitation went out in a live region that was there before the words', async () => {
    // Prepare
    const container = await render(
      apiAnswering(() => invited),
      createElement(InviteForm, { onInvited: () => undefined }),
    );
    const live = container.querySelector('[role="status"], [aria-live="polite"]');

    // Act
    const email = container.querySelector('input[type="email"]') as HTMLInputElement;
    await act(async () => {
      const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setValue?.call(email, 'new@example.com');
      email.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      container
        .querySelector('form')
        ?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    });

    // Assess: a screen reader follows a region only once it is in the page, so the region must
    // exist, empty, before the message is put in it
    expect(live).not.toBeNull();
    expect(live?.isConnected).toBe(true);
    expect(live?.textContent).toBe('Invitation sent to new@example.com.');
  });

  it('ties "already exists" to the e-mail field, so going back to it says what is wrong', async () => {
    // Prepare: the address is someone's already
    const exists = new ApiError({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'A user with this e-mail address already exists.',
    });
    const api: ApiClient = { request: () => Promise.reject(exists), fetch: () => Promise.reject(exists) };
    const container = await render(api, createElement(InviteForm, { onInvited: () => undefined }));
    const email = container.querySelector('input[type="email"]') as HTMLInputElement;
    expect(email.hasAttribute('aria-invalid')).toBe(false);

    // Act
    await act(async () => {
      container
        .querySelector('form')
        ?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    });

    // Assess
    const alert = container.querySelector('[role="alert"]')?.textContent;
    expect(alert).toBe('A user with this e-mail address already exists.');
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(email.getAttribute('aria-describedby') ?? '')?.textContent).toBe(alert);
  });
});

describe('FeedbackPage', () => {
  it('shows a comment in the direction of its own words (dir=auto), as text', async () => {
    // Prepare
    const page: FeedbackPage = {
      items: [
        {
          messageId: 'm1',
          rating: 'down',
          reason: 'inaccurate',
          comment: 'לא נכון <b>bold</b>',
          model: 'gpt-4o-mini',
          userId: 'u1',
          email: 'someone@example.com',
          createdAt: '2026-12-01T09:00:00.000Z',
          updatedAt: '2026-12-01T09:00:00.000Z',
        },
      ],
      nextCursor: null,
      totals: { up: 0, down: 1 },
    };

    // Act
    const container = await render(
      apiAnswering(() => page),
      createElement(FeedbackConsole),
    );

    // Assess
    const comment = container.querySelector('[data-testid="feedback-comment"]');
    expect(comment?.textContent).toBe('לא נכון <b>bold</b>');
    expect(comment?.querySelector('b')).toBeNull();
    expect(comment?.getAttribute('dir')).toBe('auto');
  });
});

describe('UsersPage', () => {
  it('shows a display name in the direction of its own words (dir=auto)', async () => {
    // Prepare: a person whose name is written right to left
    const named: AdminUser = { ...invited, displayName: 'דנה כהן' };

    // Act
    const container = await render(
      apiAnswering(() => ({ items: [named], nextCursor: null })),
      createElement(UsersPage),
    );

    // Assess
    const cell = [...container.querySelectorAll('[data-testid="user-row"] td')].find(
      (td) => td.textContent === 'דנה כהן',
    );
    expect(cell?.getAttribute('dir')).toBe('auto');
  });
});
