import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  expectCleanSession,
  freshTotpCode,
  openApp,
  openSession,
  PASSWORD,
  seriousAxeViolations,
  signIn,
  startStack,
  submitCredentials,
  textOf,
  uniqueEmail,
} from './support';
import type { Stack } from './support';

/**
 * A member's whole first day, in Chromium against the local stack under the production CSP: an
 * admin invites them (and, the e-mail gone astray, sends the invitation again); they sign in with
 * the temporary password, choose their own (the policy shown as they type), set up TOTP from the QR
 * code's key, chat with the reply streaming in, search, export; the admin disables them, and their
 * next action returns them to sign-in, told why.
 */

const SCREENSHOTS = {
  newPassword: join(tmpdir(), 'parley-journey-new-password.png'),
  totpSetup: join(tmpdir(), 'parley-journey-totp-setup.png'),
  chat: join(tmpdir(), 'parley-journey-chat.png'),
  signedOut: join(tmpdir(), 'parley-journey-session-ended.png'),
};
const MEMBER_PASSWORD = 'My-Own-Secret-Phrase-7';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect({ page: what, violations: await seriousAxeViolations(page) }).toEqual({
    page: what,
    violations: [],
  });
}

const unmetRules = (page: Page) =>
  page
    .locator('[data-testid="password-rules"] [data-met="false"]')
    .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-rule')));

/** Lengths the streaming reply went through before the stored reply replaced it. */
function watchStream(page: Page): Promise<number[]> {
  return page.evaluate<number[]>(`
    new Promise((resolve) => {
      const lengths = new Set();
      const tick = () => {
        const live = document.querySelector('[data-testid="streaming-reply"] [data-testid="message-assistant"]');
        if (live?.textContent) lengths.add(live.textContent.length);
        if (document.querySelector('[data-testid="message-assistant"][data-status="complete"]') &&
            !document.querySelector('[data-testid="streaming-reply"]')) resolve([...lengths]);
        else setTimeout(tick, 5);
      };
      tick();
    })
  `);
}

describe("a member's first day", () => {
  it('is invited, sets a password and TOTP, chats, searches, exports, and is signed out when disabled', async () => {
    // Prepare: an admin in the console
    const adminEmail = uniqueEmail('admin');
    const adminUser = await stack.server.createUser({
      email: adminEmail,
      password: PASSWORD,
      role: 'admins',
    });
    const admin = await openSession(stack.browser);
    await signIn(admin.page, stack.server.url, { ...adminUser, password: PASSWORD });
    await admin.page.getByRole('link', { name: 'Users' }).click();
    await admin.page.getByRole('heading', { name: 'Users', exact: true }).waitFor();

    // Act: the admin invites a member
    const email = uniqueEmail('newcomer');
    const invite = admin.page.getByRole('form', { name: 'Invite a user' });
    await invite.getByLabel('Email').fill(email);
    await invite.getByLabel('Role').selectOption('members');
    await invite.getByRole('button', { name: 'Invite' }).click();

    // Assess
    await invite
      .getByRole('status')
      .filter({ hasText: `Invitation sent to ${email}.` })
      .waitFor();

    // Prepare: the invitation e-mail went astray, so the admin sends it again from the console
    // (the local stack keeps what Cognito would e-mail: the temporary password)
    const lost = stack.server.invitationFor(email);
    await admin.page
      .getByTestId('user-row')
      .filter({ hasText: email })
      .getByRole('button', { name: `Manage ${email}` })
      .click();
    const manage = admin.page.getByRole('dialog');
    await manage.getByRole('button', { name: 'Resend invitation' }).click();
    await manage.getByRole('button', { name: 'Send again' }).click();
    await manage.getByRole('status').filter({ hasText: 'Invitation sent again.' }).waitFor();
    await manage.getByRole('button', { name: 'Close' }).click();
    const temporaryPassword = stack.server.invitationFor(email) ?? '';
    expect(lost).toBeTruthy();
    expect(temporaryPassword).not.toBe(lost);

    // Act: the member signs in with it
    const member = await openSession(stack.browser, { acceptDownloads: true });
    const { page } = member;
    await submitCredentials(page, stack.server.url, email, temporaryPassword);

    // Assess: asked for a password of their own, the policy shown and ticked off as they type
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await expectAccessible(page, 'new password');
    const newPassword = page.getByLabel('New password', { exact: true });
    expect(await unmetRules(page)).toEqual(['length', 'lowercase', 'uppercase', 'digit', 'symbol']);
    await newPassword.fill('my-own');
    expect(await unmetRules(page)).toEqual(['length', 'uppercase', 'digit']);
    await newPassword.fill(MEMBER_PASSWORD);
    expect(await unmetRules(page)).toEqual([]);
    await page.getByLabel('Repeat the new password').fill(MEMBER_PASSWORD);
    await page.screenshot({ path: SCREENSHOTS.newPassword });
    await page.getByRole('button', { name: 'Set password and sign in' }).click();

    // Assess: TOTP set-up, with a QR code drawn in the browser and the key in text
    await page.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
    const qr = page.getByRole('img', { name: 'QR code to scan with your authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(
      await qr.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    const key = ((await textOf(page, 'totp-secret')) ?? '').replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await page.getByTestId('totp-uri').textContent()).toContain(`secret=${key}`);
    await expectAccessible(page, 'TOTP set-up');
    await page.screenshot({ path: SCREENSHOTS.totpSetup });

    // Act: the code an authenticator app computes from that key (otpauth, in freshTotpCode)
    await page.getByLabel('Authentication code').fill(await freshTotpCode(key));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();

    // Assess: signed in, as a member
    expect(await textOf(page, 'me-email')).toBe(email);
    expect(await page.getByTestId('me-role').getAttribute('data-role')).toBe('members');

    // Act: the first chat
    const composer = page.getByLabel('Message', { exact: true });
    const streamed = watchStream(page);
    await composer.fill('Draft a packing list for Reykjavik');
    await composer.press('Enter');

    // Assess: the reply streamed in, in several pieces, and was stored
    expect((await streamed).length).toBeGreaterThanOrEqual(2);
    expect(
      await page.locator('[data-testid="message-assistant"][data-status="complete"]').last().textContent(),
    ).toContain('[Offline model]');
    await page.screenshot({ path: SCREENSHOTS.chat });

    // Act: search for it
    await page.getByRole('link', { name: 'Search messages' }).click();
    await page.getByRole('searchbox', { name: 'Search your messages' }).fill('Reykjavik');
    await page.keyboard.press('Enter');
    const hit = page.getByTestId('search-results').getByRole('link').first();
    await hit.waitFor();
    expect(await hit.locator('mark').first().textContent()).toMatch(/reykjavik/i);
    await hit.click();
    await page.locator('.message--highlighted').waitFor();

    // Act: export it
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export Markdown' }).click();
    const download = await downloading;

    // Assess
    expect(await readFile(await download.path(), 'utf8')).toContain('Draft a packing list for Reykjavik');

    // Act: the admin disables the member
    const filters = admin.page.getByRole('search', { name: 'Filter users' });
    await filters.getByLabel('Search').fill(email);
    await filters.getByRole('button', { name: 'Search' }).click();
    const row = admin.page.getByTestId('user-row').filter({ hasText: email });
    await row.getByRole('button', { name: `Manage ${email}` }).click();
    const dialog = admin.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'User disabled.' }).waitFor();
    // Token times are whole seconds (functions/shared/revocation): let the second of the change pass.
    await page.waitForTimeout(1_100);

    // Act: the member's next action
    await composer.fill('Add a raincoat');
    await composer.press('Enter');

    // Assess: back on the sign-in form, told why
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await textOf(page, 'signed-out-notice')).toMatch(/session has ended/i);
    await page.screenshot({ path: SCREENSHOTS.signedOut });

    // Act: they try again with their password
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(MEMBER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Assess: refused (after the TOTP code, which comes before the last check), with a message
    // that says what to do
    const refusal = page.getByRole('alert');
    const codeStep = page.getByRole('heading', { name: 'Two-factor sign-in', exact: true });
    await refusal.or(codeStep).first().waitFor();
    if (await codeStep.isVisible()) {
      await page.getByLabel('Authentication code').fill(await freshTotpCode(key));
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
    }
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/locked.*ask an admin/i);
    expect(await page.getByTestId('me-email').count()).toBe(0);

    await expectCleanSession(member);
    await expectCleanSession(admin);
    await member.context.close();
    await admin.context.close();
  });

  it('says so on the sign-in form after signing out', async () => {
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();

    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await textOf(page, 'signed-out-notice')).toBe('You have signed out.');
    // A fresh visit has nothing to say
    await openApp(page, stack.server.url);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.getByTestId('signed-out-notice').count()).toBe(0);
    await expectCleanSession(session);
    await session.context.close();
  });
});
