// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import type { AdminUser } from '@/features/admin/api/admin-user-schema';
import { ManageUserDialog } from '@/features/admin/components/manage-user-dialog';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** jsdom has no modal dialogs: enough of showModal() and close() for the dialog to open. */
beforeAll(() => {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
});

let root: Root | undefined;

afterEach(() => {
  if (root) act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
});

/** Disabled two hours ago: erasable since an hour ago. */
const leaver: AdminUser = {
  id: 'u1',
  email: 'leaver@example.com',
  displayName: 'leaver',
  kind: 'user',
  role: 'members',
  status: 'disabled',
  mfaEnabled: false,
  locked: false,
  lockedUntil: null,
  monthlyTokens: 100_000,
  quotaIsDefault: true,
  usedTokens: 0,
  createdAt: '2026-12-01T09:00:00.000Z',
  disabledAt: new Date(Date.now() - 2 * 3_600_000).toISOString(),
  lastSignInAt: '2026-12-01T10:00:00.000Z',
};

/** The dialog for `user`, answering every request with 204 (no body); `changed` gets what it reports. */
async function open(user: AdminUser, changed: AdminUser[] = []): Promise<HTMLElement> {
  const api: ApiClient = {
    async request<T>(): Promise<T> {
      // A command's answer: 204, nothing to read.
      return undefined as T;
    },
    fetch: () => Promise.reject(new Error('not used')),
  };
  const container = document.body.appendChild(document.createElement('div'));
  root = createRoot(container);
  const element = createElement(ManageUserDialog, {
    user,
    onChanged: (next: AdminUser) => changed.push(next),
    onErased: () => undefined,
    onClose: () => undefined,
  });
  await act(async () => root?.render(createElement(ApiClientProvider, { client: api, children: element })));
  return container;
}

const button = (container: HTMLElement, text: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === text);

async function click(element: HTMLElement | undefined) {
  expect(element).toBeDefined();
  await act(async () => element?.click());
}

describe('ManageUserDialog', () => {
  it("says before an erase that the person's usage stays in the reports, as the API keeps it", async () => {
    // Prepare
    const container = await open(leaver);

    // Act
    await click(button(container, 'Erase…'));

    // Assess: the question names what goes and what stays
    const consequence = container.querySelector('.confirm .muted')?.textContent ?? '';
    expect(consequence).toContain('conversations, messages and feedback');
    expect(consequence).toContain('usage stays in the usage reports');
    expect(consequence).not.toMatch(/usage (are|is) deleted/);
  });

  it('moves the time from which a disabled person can be erased when they are signed out everywhere', async () => {
    // Prepare: the API refuses their tokens from the sign-out on, and erases only an hour after
    const changed: AdminUser[] = [];
    const container = await open(leaver, changed);
    const before = Date.now();

    // Act
    await click(button(container, 'Sign out everywhere'));
    const consequence = container.querySelector('.confirm .muted')?.textContent ?? '';
    await click(button(container, 'Sign out everywhere'));

    // Assess: the question said so, and the user the dialog reports is disabled from the sign-out,
    // not from the disable
    expect(consequence).toContain('erasing them then waits 60 minutes from now');
    expect(changed).toHaveLength(1);
    const disabledAt = Date.parse(changed[0]?.disabledAt ?? '');
    expect(disabledAt).toBeGreaterThanOrEqual(before);
    expect(disabledAt).toBeLessThanOrEqual(Date.now());
  });

  it('shows the first whole minute from which the person can be erased, not the minute before it', async () => {
    // Prepare: disabled at 10:20:30, so erasable at 11:20:30; the hint shows minutes
    const disabledAt = new Date(2026, 11, 5, 10, 20, 30);
    const container = await open({ ...leaver, disabledAt: disabledAt.toISOString() });

    // Assess: "from 11:21", as from 11:20 erasing is still refused
    const hint = container.querySelector('[data-testid="erasable-from"]')?.textContent ?? '';
    const shown = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    expect(hint).toContain(`can be erased from ${shown.format(new Date(2026, 11, 5, 11, 21))}`);
  });

  it('leaves an active person active with no disabledAt when they are signed out everywhere', async () => {
    const changed: AdminUser[] = [];
    const container = await open({ ...leaver, status: 'active', disabledAt: null }, changed);

    await click(button(container, 'Sign out everywhere'));
    await click(button(container, 'Sign out everywhere'));

    expect(changed).toEqual([{ ...leaver, status: 'active', disabledAt: null }]);
  });
});
