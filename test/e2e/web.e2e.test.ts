import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  expectCleanSession,
  expectCloseWaitsForSave,
  freshTotpCode,
  jwtPayload,
  openApp,
  openSession as openBrowserSession,
  PASSWORD,
  seriousAxeViolations,
  signIn,
  startStack,
  submitCredentials as submitAt,
  textOf,
  uniqueEmail,
} from './support';
import type { Session, Stack } from './support';

/**
 * The real web app against the real dev server (HTTP server, PostgreSQL, cognito-local),
 * driven through Debian's Chromium: what a person does, under the production CSP.
 */

const SCREENSHOT = join(tmpdir(), 'parley-signed-in.png');
const PHONE_SCREENSHOT = join(tmpdir(), 'parley-phone-chat.png');
const PHONE_MENU_SCREENSHOT = join(tmpdir(), 'parley-phone-menu.png');

let stack: Stack;

const openSession = (): Promise<Session> => openBrowserSession(stack.browser);
const submitCredentials = (page: Session['page'], email: string, password: string) =>
  submitAt(page, stack.server.url, email, password);

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** How far the page scrolls sideways (0 when everything fits the width). */
const sidewaysOverflow = (page: Session['page']) =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/**
 * Whether an element shows all of its text: not clipped by its own box (scrollWidth) and inside
 * the viewport.
 */
const showsAllText = (page: Session['page'], testId: string) =>
  page.evaluate<boolean>(`(() => {
    const element = document.querySelector('[data-testid="${testId}"]');
    if (!element) return false;
    const box = element.getBoundingClientRect();
    return element.scrollWidth <= element.clientWidth + 1 && box.left >= 0 && box.right <= window.innerWidth;
  })()`);

/** Whether the composer's placeholder fits on its line, measured in the textarea's own font. */
const placeholderFits = (page: Session['page']) =>
  page.evaluate<boolean>(`(() => {
    const box = document.querySelector('textarea[name="content"]');
    const style = getComputedStyle(box);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.font;
    const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return context.measureText(box.placeholder).width <= room && box.getBoundingClientRect().right <= window.innerWidth;
  })()`);

describe('the web app', () => {
  it('signs a member in, shows their account and conversations, and signs them out', async () => {
    // Prepare
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;
    const meRequest = page.waitForRequest((request) => new URL(request.url()).pathname === '/api/me');

    // Act
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });

    // Assess: /api/me is called with the access token, never the ID token
    const authorization = (await meRequest).headers()['authorization'] ?? '';
    expect(authorization).toMatch(/^Bearer /);
    expect(jwtPayload(authorization.slice('Bearer '.length))['token_use']).toBe('access');
    expect(await textOf(page, 'me-email')).toBe(email);
    expect(await page.getByTestId('me-role').getAttribute('data-role')).toBe('members');
    await page.getByTestId('conversations-empty').waitFor();

    // Act: start a conversation; its first message titles it
    await page.getByLabel('Message', { exact: true }).fill('Trip to Lisbon');
    await page.keyboard.press('Enter');

    // Assess: listed once the reply is stored, and still there after a reload (so stored, and
    // the session kept)
    const item = page
      .getByTestId('conversation-list')
      .getByRole('listitem')
      .filter({ hasText: 'Trip to Lisbon' });
    await item.waitFor();
    await page.reload();
    await item.waitFor();
    expect(await page.getByTestId('conversation-list').getByRole('listitem').count()).toBe(1);
    // Each entry says when it was used, so two of the same title can be told apart
    const used = item.getByTestId('conversation-date');
    expect(await used.textContent()).toMatch(/\d{2}:\d{2}/);
    expect(Date.parse((await used.getAttribute('datetime')) ?? '')).toBeGreaterThan(Date.now() - 600_000);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Act: sign out
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();

    // Assess: back on the sign-in form, and a reload does not bring the session back
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    await expectCleanSession(session);
    await session.context.close();
  });

  it('fits a 360 px phone: the page, the composer, and the menu with the whole e-mail', async () => {
    // Prepare
    const email = uniqueEmail('a-member-with-a-rather-long-address');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openBrowserSession(stack.browser, { viewport: { width: 360, height: 740 } });
    const { page } = session;

    // Act
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    const composer = page.getByLabel('Message', { exact: true });
    await composer.waitFor();

    // Assess: nothing runs off the side; the placeholder is whole; the sidebar waits behind a menu
    expect(await sidewaysOverflow(page)).toBe(0);
    expect(await placeholderFits(page)).toBe(true);
    expect(await page.getByRole('complementary', { name: 'Sidebar' }).isVisible()).toBe(false);
    await page.screenshot({ path: PHONE_SCREENSHOT });

    // Act: open the menu
    const menu = page.getByRole('button', { name: 'Open the menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();

    // Assess: the account shows the whole address, and still nothing runs off the side
    const accountEmail = page.getByTestId('me-email');
    await accountEmail.waitFor();
    expect(await accountEmail.textContent()).toBe(email);
    expect(await showsAllText(page, 'me-email')).toBe(true);
    expect(await sidewaysOverflow(page)).toBe(0);
    expect(await page.getByRole('button', { name: 'Close the menu' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    await page.screenshot({ path: PHONE_MENU_SCREENSHOT });

    // The keyboard focus went into the menu
    expect(await page.evaluate('document.activeElement?.closest("aside")?.getAttribute("aria-label")')).toBe(
      'Sidebar',
    );

    // Act: Escape closes it, back to its button; a link followed in it closes it too
    await page.keyboard.press('Escape');
    await accountEmail.waitFor({ state: 'hidden' });
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Open the menu');
    await menu.click();
    await page.getByRole('link', { name: 'Search messages' }).click();

    // Assess
    await page.getByRole('searchbox', { name: 'Search your messages' }).waitFor();
    await accountEmail.waitFor({ state: 'hidden' });
    expect(await sidewaysOverflow(page)).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });

  it('shows an error and stays on the form when the password is wrong', async () => {
    // Prepare
    const email = uniqueEmail('member');
    await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;

    // Act
    await submitCredentials(page, email, `${PASSWORD}-wrong`);

    // Assess
    await page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    expect(await page.getByTestId('me-email').count()).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });

  it('resets a forgotten password with the e-mailed code, then signs in with the new one', async () => {
    // Prepare
    const email = uniqueEmail('forgot');
    const member = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    // A browser signed in before the reset (a forgotten laptop, or someone who knew the password).
    const earlier = await openSession();
    const known = await signIn(earlier.page, stack.server.url, {
      email,
      password: PASSWORD,
      totpSecret: member.totpSecret,
    });
    const session = await openSession();
    const { page } = session;
    const newPassword = `${PASSWORD}-renewed`;

    // Act: from the sign-in form to the code, as a person would.
    await openApp(page, stack.server.url);
    await page.getByRole('button', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(email.toUpperCase());
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    const sentTo = await page.getByRole('status').textContent();
    const code = stack.server.resetCodeFor(email) ?? '';
    await page.getByLabel('Code from the email').fill(code === '000000' ? '000001' : '000000');
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Repeat the new password').fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right.' }).waitFor();
    const axe = await seriousAxeViolations(page);
    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByTestId('auth-notice').waitFor();
    const notice = await page.getByTestId('auth-notice').textContent();
    await signIn(page, stack.server.url, { email, password: newPassword, totpSecret: known.totpSecret });
    // The earlier browser is refused at its next request, and its refresh token no longer works.
    await earlier.page.reload();
    await earlier.page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();

    // Assess
    expect(code).toMatch(/^\d{6}$/);
    expect(sentTo).toMatch(/a code is on its way to f\*\*\*@e\*\*\*/);
    expect(axe).toEqual([]);
    expect(notice).toBe('Your password is changed. Sign in with the new one.');
    expect(await textOf(page, 'me-email')).toBe(email);
    await expectCleanSession(session);
    await expectCleanSession(earlier);
    await session.context.close();
    await earlier.context.close();
  });

  it('changes the password of someone signed in: the current one checked, the policy shown, the new one works', async () => {
    // Prepare
    const email = uniqueEmail('change');
    const member = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;
    const known = await signIn(page, stack.server.url, {
      email,
      password: PASSWORD,
      totpSecret: member.totpSecret,
    });
    const newPassword = `${PASSWORD}-changed`;
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });
    const fill = async (current: string, next: string, repeat = next) => {
      await dialog.getByLabel('Current password').fill(current);
      await dialog.getByLabel('New password', { exact: true }).fill(next);
      await dialog.getByLabel('Repeat the new password').fill(repeat);
      await dialog.getByRole('button', { name: 'Change password' }).click();
    };

    // Act and assess: a weak new password is caught before Cognito, a wrong current one by it
    await fill(PASSWORD, 'short');
    expect(await dialog.getByRole('alert').textContent()).toMatch(/^The password needs: /);
    await fill(`${PASSWORD}-wrong`, newPassword);
    await dialog.getByRole('alert').filter({ hasText: 'Your current password is not right.' }).waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Act: the right one
    await fill(PASSWORD, newPassword);
    await dialog.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();

    // Assess: the old password is refused and the new one signs in
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await submitCredentials(page, email, PASSWORD);
    await page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' }).waitFor();
    await signIn(page, stack.server.url, { email, password: newPassword, totpSecret: known.totpSecret });
    expect(await textOf(page, 'me-email')).toBe(email);
    await expectCleanSession(session);
    await session.context.close();
  });

  it('keeps the instructions dialog open while a change is saved: Close waits for the outcome, then closes', async () => {
    // Prepare: a member with their instructions open, the save request held until released
    const email = uniqueEmail('instructions');
    const member = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;
    await signIn(page, stack.server.url, { email, password: PASSWORD, totpSecret: member.totpSecret });
    await page.getByRole('button', { name: 'Your instructions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your instructions' });
    const text = dialog.getByTestId('instructions-text');
    await expect.poll(() => text.isEnabled()).toBe(true);
    await text.fill('Answer briefly.');
    const instructionsRoute = '**/api/me/instructions';

    // Act: save, and click Close while the save runs (the request held until then)
    const close = await expectCloseWaitsForSave(
      page,
      dialog,
      { route: instructionsRoute, method: 'PUT' },
      () => dialog.getByRole('button', { name: 'Save' }).click(),
    );

    // Assess: the outcome is shown, and then Close closes
    await dialog.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.unroute(instructionsRoute);
    expect(await close.getAttribute('aria-disabled')).toBeNull();
    await close.click();
    await dialog.waitFor({ state: 'detached' });
    await session.context.close();
  });

  it('asks an admin for their TOTP code and signs them in with it', async () => {
    // Prepare
    const email = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email, password: PASSWORD, role: 'admins' });
    expect(admin.totpSecret).toBeTruthy();
    const session = await openSession();
    const { page } = session;

    // Act
    await submitCredentials(page, email, PASSWORD);
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await page.getByLabel('Authentication code').fill(await freshTotpCode(admin.totpSecret ?? ''));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    // Assess
    expect(await textOf(page, 'me-email')).toBe(email);
    expect(await page.getByTestId('me-role').getAttribute('data-role')).toBe('admins');
    await page.getByTestId('conversations-empty').waitFor();
    await expectCleanSession(session);
    await session.context.close();
  });

  it('refuses a wrong TOTP code with a clear message', async () => {
    // Prepare
    const email = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email, password: PASSWORD, role: 'admins' });
    const session = await openSession();
    const { page } = session;
    const good = await freshTotpCode(admin.totpSecret ?? '');
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');

    // Act
    await submitCredentials(page, email, PASSWORD);
    await page.getByLabel('Authentication code').fill(wrong);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    // Assess: told so, and still on the code step to try again
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/code/i);
    expect(await page.getByLabel('Authentication code').count()).toBe(1);
    expect(await page.getByTestId('me-email').count()).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });
});
