import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  expectCleanSession,
  freshTotpCode,
  openApp,
  openSession,
  PASSWORD,
  signIn,
  startStack,
  uniqueEmail,
} from './support';
import type { Stack } from './support';

/**
 * One browser passed from one person to the next: what the first leaves in the address bar, and
 * what the next is shown of a conversation that is not theirs. The dev server's offline model,
 * under the production CSP.
 */

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Signs in on the form the page shows now, without opening the app anew (which would go to `/`):
 * the password, then TOTP set-up from the key the page shows (a new member has none yet).
 */
async function signInHere(page: Page, email: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s+/g, '');
  await page.getByLabel('Authentication code').fill(await freshTotpCode(secret));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await page.locator('.layout').waitFor();
}

async function newMember(prefix: string): Promise<string> {
  const email = uniqueEmail(prefix);
  await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
  return email;
}

describe('one browser, one person after another', () => {
  it("signs out to the app's root, so whoever signs in next starts on a new chat", async () => {
    // Prepare: Ada in one of her conversations
    const ada = await newMember('ada');
    const ben = await newMember('ben');
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { email: ada, password: PASSWORD });
    await page.getByLabel('Message', { exact: true }).fill('A question of my own');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/c\/[^/]+$/);
    await page.locator('[data-testid="message-assistant"][data-status="complete"]').waitFor();

    const cognitoKeys = () =>
      page.evaluate<string[]>(
        "Object.keys(localStorage).filter((k) => k.startsWith('CognitoIdentityServiceProvider.'))",
      );
    // Her session lives in localStorage, shared by her tabs (docs/security.md)
    expect((await cognitoKeys()).some((k) => k.endsWith('.refreshToken'))).toBe(true);

    // Act
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();

    // Assess: the sign-in form, at the root: nothing of Ada's in the address bar, and no token of
    // hers left in the browser's storage
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await cognitoKeys()).toEqual([]);

    // Act: Ben signs in on the same page
    await signInHere(page, ben);

    // Assess: a new chat, no error
    await page.getByTestId('chat-title').filter({ hasText: 'New chat' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('alert').count()).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });

  it("says a conversation that is not found (another person's) is not there, and offers a new chat", async () => {
    // Prepare: a conversation of Ada's, and Ben, signed in, given its address
    const ada = await newMember('ada');
    const ben = await newMember('ben');
    const adas = await openSession(stack.browser);
    await signIn(adas.page, stack.server.url, { email: ada, password: PASSWORD });
    await adas.page.getByLabel('Message', { exact: true }).fill('Not for Ben');
    await adas.page.keyboard.press('Enter');
    await adas.page.waitForURL(/\/c\/[^/]+$/);
    const address = new URL(adas.page.url()).pathname;
    await adas.page.locator('[data-testid="message-assistant"][data-status="complete"]').waitFor();
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { email: ben, password: PASSWORD });

    // Act
    await openApp(page, new URL(address, stack.server.url).href);

    // Assess: said plainly, with no Try again (it cannot help) but a way on
    const notFound = page.getByTestId('conversation-not-found');
    await notFound.waitFor();
    expect(await notFound.getAttribute('role')).toBe('alert');
    expect(await notFound.textContent()).toContain('This conversation was not found');
    expect(await notFound.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    expect(await page.getByText('Not for Ben').count()).toBe(0);
    // Nothing to write into or export: a message or a download could only be refused the same way
    expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);
    expect(await page.getByRole('group', { name: 'Export this conversation' }).count()).toBe(0);
    expect(await page.getByTestId('chat-title').textContent()).toBe('Conversation not found');

    // Act: the way on
    await notFound.getByRole('link', { name: 'Start a new chat' }).click();

    // Assess
    await page.getByTestId('chat-title').filter({ hasText: 'New chat' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await notFound.count()).toBe(0);
    await expectCleanSession(adas);
    await expectCleanSession(session);
    await adas.context.close();
    await session.context.close();
  });
});
