import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  expectCleanSession,
  expectCloseWaitsForSave,
  freshTotpCode,
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
 * The admin and auditor console against the real dev server, in Chromium under the production
 * CSP: users and their actions, the audit trail, usage, and who may see which.
 */

const SCREENSHOT = join(tmpdir(), 'parley-admin-users.png');
/** A question whose text must never reach the feedback page. */
const QUESTION = 'Which trains run to Porto on Sunday';
/** A comment that is markup, a formula and CSV punctuation at once: shown and saved as plain text. */
const HOSTILE_COMMENT = '=1+1 left out "Sunday", and <b>not bold</b>';

let stack: Stack;

const openSession = (options: { acceptDownloads?: boolean } = {}): Promise<Session> =>
  openBrowserSession(stack.browser, options);
const submitCredentials = (page: Page, email: string) => submitAt(page, stack.server.url, email, PASSWORD);

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Signs in someone made by createUser (answering or setting up TOTP when the pool asks); resolves
 * to them with the TOTP secret in force.
 */
async function signInMember(
  page: Page,
  user: { email: string; totpSecret?: string },
): Promise<{ email: string; totpSecret?: string }> {
  const signedIn = await signIn(page, stack.server.url, { ...user, password: PASSWORD });
  expect(await textOf(page, 'me-email')).toBe(user.email);
  return signedIn;
}

async function signInAdmin(page: Page, email: string, totpSecret: string): Promise<void> {
  await submitCredentials(page, email);
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  await page.getByLabel('Authentication code').fill(await freshTotpCode(totpSecret));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  expect(await textOf(page, 'me-email')).toBe(email);
}

/**
 * Holds the page's requests of this method to the user routes until released; counts those sent
 * meanwhile (a busy button that still acted would send a second one).
 */
async function holdUserRequests(page: Page, method: string): Promise<{ sent(): number; release(): void }> {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let sent = 0;
  await page.route('**/api/admin/users/**', async (route) => {
    if (route.request().method() !== method) return route.fallback();
    sent += 1;
    await released;
    await route.fallback().catch(() => undefined);
  });
  return { sent: () => sent, release };
}

/** The text (or failing that the test id) of what has the keyboard focus. */
const focused = (page: Page): Promise<string | null> =>
  page.evaluate<string | null>(
    'document.activeElement?.textContent || document.activeElement?.getAttribute("data-testid") || null',
  );

const pathOf = (page: Page): string => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

describe('the admin console', () => {
  it('lets an admin find a member, change their quota, disable them, and see it in the audit log and usage', async () => {
    // Prepare: a member with an open session, and an admin
    const memberEmail = uniqueEmail('member');
    const adminEmail = uniqueEmail('admin');
    const memberUser = await stack.server.createUser({
      email: memberEmail,
      password: PASSWORD,
      role: 'members',
    });
    const admin = await stack.server.createUser({ email: adminEmail, password: PASSWORD, role: 'admins' });
    const member = await openSession();
    await signInMember(member.page, memberUser);
    const session = await openSession();
    const { page } = session;
    await signInAdmin(page, adminEmail, admin.totpSecret ?? '');

    // Act: open Users from the sidebar and search for the member
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Users' })
      .click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    const filters = page.getByRole('search', { name: 'Filter users' });
    await filters.getByLabel('Search').fill(memberEmail);
    await filters.getByRole('button', { name: 'Search' }).click();

    // Assess: the URL keeps the search, and only the member is listed
    const rows = page.getByTestId('user-row');
    await page.waitForURL((url) => url.searchParams.get('q') === memberEmail);
    await rows.filter({ hasText: memberEmail }).waitFor();
    expect(await rows.count()).toBe(1);
    const row = rows.first();
    expect(await row.getByTestId('user-role').textContent()).toBe('Member');
    // The member signed in a moment ago: the table says when; the dormant filter leaves them out
    expect(await row.getByTestId('user-last-sign-in').locator('time').count()).toBe(1);
    await filters.getByLabel('Last sign-in').selectOption('30');
    await page.waitForURL((url) => url.searchParams.get('inactiveDays') === '30');
    await page.getByTestId('users-empty').waitFor();
    await filters.getByLabel('Last sign-in').selectOption('');
    await page.waitForURL((url) => !url.searchParams.has('inactiveDays'));
    await rows.filter({ hasText: memberEmail }).waitFor();
    // Two-factor and lockout filters: kept in the URL beside the search, the member listed under
    // their own two-factor state and not under the other one or "locked out now", which the
    // empty list names
    const enrolled = (await row.getByTestId('user-mfa').textContent()) === 'On';
    const twoFactor = filters.getByLabel('Two-factor');
    await twoFactor.selectOption(enrolled ? 'off' : 'on');
    await page.waitForURL((url) => url.searchParams.get('mfa') === (enrolled ? 'off' : 'on'));
    expect(await page.getByTestId('users-empty').textContent()).toBe(
      `No users match these filters: matching “${memberEmail}”, ${enrolled ? 'two-factor not set up' : 'two-factor set up'}.`,
    );
    await twoFactor.selectOption(enrolled ? 'on' : 'off');
    await rows.filter({ hasText: memberEmail }).waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe(memberEmail);
    await filters.getByLabel('Sign-in lockout').selectOption('Locked out now');
    await page.waitForURL((url) => url.searchParams.get('locked') === 'true');
    expect(await page.getByTestId('users-empty').textContent()).toContain('locked out now.');
    await page.reload();
    expect(await filters.getByLabel('Two-factor').inputValue()).toBe(enrolled ? 'on' : 'off');
    expect(await filters.getByLabel('Sign-in lockout').inputValue()).toBe('true');
    await page.getByTestId('users-empty').waitFor();
    await filters.getByLabel('Sign-in lockout').selectOption('');
    await filters.getByLabel('Two-factor').selectOption('');
    await page.waitForURL((url) => !url.searchParams.has('mfa') && !url.searchParams.has('locked'));
    await rows.filter({ hasText: memberEmail }).waitFor();
    expect(await row.getByTestId('user-locked').textContent()).toBe('No');

    // Assess: with no quota of their own the member has the role's default, shown as such, and
    // the untouched form has nothing to save (saving it would make the default their own quota)
    const usage = row.getByTestId('user-usage');
    const defaultUsage = await usage.textContent();
    expect(defaultUsage).toMatch(/^0 \/ [\d,.\s]+ \(role default\)$/);
    await row.getByRole('button', { name: `Manage ${memberEmail}` }).click();
    const dialog = page.getByRole('dialog');
    const useDefault = dialog.getByLabel("Use the role's default");
    const quotaField = dialog.getByLabel('Monthly token quota');
    const saveQuota = dialog.getByRole('button', { name: 'Save quota' });
    expect(await useDefault.isChecked()).toBe(true);
    expect(await quotaField.isDisabled()).toBe(true);
    expect(await dialog.getByTestId('quota-hint').textContent()).toContain('(role default)');
    expect(await saveQuota.isDisabled()).toBe(true);

    // Act: set the member's quota, the request held a while, and click Close while it runs
    const userRoute = '**/api/admin/users/*';
    const close = await expectCloseWaitsForSave(
      page,
      dialog,
      { route: userRoute, method: 'PATCH' },
      async () => {
        await useDefault.uncheck();
        await quotaField.fill('12345');
        await saveQuota.click();
      },
    );

    // Assess: saved, and the table shows the new quota, their own
    await dialog.getByRole('status').filter({ hasText: 'Quota saved.' }).waitFor();
    await page.unroute(userRoute);
    await page.screenshot({ path: join(tmpdir(), 'parley-admin-manage.png') });
    await usage.filter({ hasText: '0 / 12,345' }).waitFor();
    expect(await usage.textContent()).toBe('0 / 12,345');
    expect(await useDefault.isChecked()).toBe(false);
    expect(await saveQuota.isDisabled()).toBe(true);

    // Act: the save has ended: Close closes; open the dialog again
    expect(await close.getAttribute('aria-disabled')).toBeNull();
    await close.click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: `Manage ${memberEmail}` }).click();
    await dialog.waitFor();

    // Act: put them back on the role's default, from the keyboard, the request held a while
    await useDefault.check();
    let saving = await holdUserRequests(page, 'PATCH');
    await saveQuota.focus();
    await page.keyboard.press('Enter');

    // Assess: while it runs, Save quota is busy (aria-disabled) and keeps the focus, as does the
    // dialog's every action; Enter again, a click on Enable or Disable, send nothing more
    await expect.poll(() => saving.sent()).toBe(1);
    expect(await saveQuota.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Save quota');
    const disable = dialog.getByRole('button', { name: 'Disable', exact: true });
    expect(await disable.getAttribute('aria-disabled')).toBe('true');
    expect(await dialog.getByRole('button', { name: 'Change role' }).getAttribute('aria-disabled')).toBe(
      'true',
    );
    await page.keyboard.press('Enter');
    await disable.click({ force: true });
    expect(await dialog.getByText(`Disable ${memberEmail}?`).count()).toBe(0);
    expect(await focused(page)).toBe('Disable');
    await saveQuota.focus();
    saving.release();

    // Assess: the API sent null, so the role's default applies again; the focus is still on Save
    // quota, which has nothing left to save
    await dialog.getByRole('status').filter({ hasText: "Quota set to the role's default." }).waitFor();
    await usage.filter({ hasText: '(role default)' }).waitFor();
    expect(await usage.textContent()).toBe(defaultUsage);
    expect(saving.sent()).toBe(1);
    expect(await saveQuota.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Save quota');
    await page.unroute('**/api/admin/users/**');

    // Act: disable them, confirming first, the request held a while
    await disable.click();
    await dialog.getByText(`Disable ${memberEmail}?`).waitFor();
    saving = await holdUserRequests(page, 'PATCH');
    await disable.focus();
    await page.keyboard.press('Enter');

    // Assess: the confirm button says it works, busy, and keeps the focus
    await expect.poll(() => saving.sent()).toBe(1);
    const working = dialog.getByRole('button', { name: 'Working…' });
    expect(await working.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Working…');
    await page.keyboard.press('Enter');
    saving.release();

    // Assess: the table updates at once, and after a reload (stored, and the view kept)
    await dialog.getByRole('status').filter({ hasText: 'User disabled.' }).waitFor();
    expect(saving.sent()).toBe(1);
    await page.unroute('**/api/admin/users/**');
    expect(await row.getByTestId('user-status').textContent()).toBe('Disabled');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.reload();
    await rows.first().getByTestId('user-status').filter({ hasText: 'Disabled' }).waitFor();
    expect(pathOf(page)).toBe(`/admin/users?q=${encodeURIComponent(memberEmail).replace(/%20/g, '+')}`);

    // Act: the member, still on the page, tries to chat
    await member.page.getByLabel('Message', { exact: true }).fill('Anyone there?');
    await member.page.keyboard.press('Enter');

    // Assess: the API answers 401, so the app drops the session and shows the sign-in form
    await member.page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await member.page.getByTestId('me-email').count()).toBe(0);

    // Act: the admin tries to demote themselves
    await filters.getByLabel('Search').fill(adminEmail);
    await filters.getByRole('button', { name: 'Search' }).click();
    await rows.filter({ hasText: adminEmail }).waitFor();
    await rows
      .first()
      .getByRole('button', { name: `Manage ${adminEmail}` })
      .click();
    await dialog.getByLabel('Role', { exact: true }).selectOption('members');
    await dialog.getByRole('button', { name: 'Change role' }).click();
    await dialog.getByRole('button', { name: 'Change role' }).click();

    // Assess: refused, with the API's reason, and nothing changed
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/cannot demote yourself/i);
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await rows.first().getByTestId('user-role').textContent()).toBe('Admin');

    // Assess: a tidy table (looked at by a person; see the report)
    await filters.getByLabel('Search').fill('');
    await filters.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => !url.searchParams.has('q'));
    await rows.filter({ hasText: memberEmail }).waitFor();
    await page.screenshot({ path: SCREENSHOT });

    // Act: the audit log
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-table').waitFor();

    // Assess: newest first, the disable and the quota change by this admin, naming the member
    const events = page.getByTestId('audit-row');
    await page.locator('[data-testid="audit-row"][data-action="user.disable"]').first().waitFor();
    const actions = await events.evaluateAll((nodes) =>
      nodes.map((node) => node.getAttribute('data-action')),
    );
    expect(actions.indexOf('user.disable')).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf('user.disable')).toBeLessThan(actions.indexOf('user.quota-change'));
    const disableRow = page.locator('[data-testid="audit-row"][data-action="user.disable"]').first();
    expect(await disableRow.getByTestId('audit-actor').getAttribute('data-actor-id')).toBe(admin.id);
    expect(await disableRow.getByTestId('audit-actor').textContent()).toContain('(you)');

    // Act: filter by action, kept in the URL
    const auditFilters = page.getByRole('search', { name: 'Filter the audit log' });
    await auditFilters.getByLabel('Action').fill('user.quota-change');
    await auditFilters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'user.quota-change');
    await expect
      .poll(() => events.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-action'))))
      .toEqual(expect.arrayContaining(['user.quota-change']));
    expect(
      new Set(await events.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-action')))),
    ).toEqual(new Set(['user.quota-change']));
    expect(await events.count()).toBeGreaterThanOrEqual(1);

    // Act: usage
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByTestId('usage-totals').waitFor();
    await page.getByLabel('Group by').selectOption('day');

    // Assess: this month by default, the grouping kept in the URL
    await page.waitForURL((url) => url.searchParams.get('groupBy') === 'day');
    await page.getByTestId('usage-totals').waitFor();
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.getByLabel('To (UTC)', { exact: true }).inputValue()).toBe(today);
    expect(await page.getByLabel('From (UTC)', { exact: true }).inputValue()).toBe(`${today.slice(0, 8)}01`);

    await expectCleanSession(session);
    await expectCleanSession(member);
    await session.context.close();
    await member.context.close();
  });

  it('gives an auditor usage as their home, the audit log and feedback, with no users and no chat', async () => {
    // Prepare: some usage to report
    const memberEmail = uniqueEmail('member');
    const memberUser = await stack.server.createUser({
      email: memberEmail,
      password: PASSWORD,
      role: 'members',
    });
    const member = await openSession();
    await signInMember(member.page, memberUser);
    await member.page.getByLabel('Message', { exact: true }).fill('Count my tokens');
    await member.page.keyboard.press('Enter');
    await member.page
      .getByTestId('conversation-list')
      .getByRole('listitem')
      .filter({ hasText: 'Count my tokens' })
      .waitFor();
    const auditorEmail = uniqueEmail('auditor');
    const auditor = await stack.server.createUser({
      email: auditorEmail,
      password: PASSWORD,
      role: 'auditors',
    });
    const session = await openSession({ acceptDownloads: true });
    const { page } = session;

    // Act
    await signInMember(page, auditor);

    // Assess: the console is home; usage shows the member's tokens, as a chart and a table
    await page.waitForURL((url) => url.pathname === '/admin/usage');
    const usageRow = page.getByTestId('usage-row').filter({ hasText: memberEmail });
    await usageRow.waitFor();
    expect(await page.locator('[data-testid="usage-chart"] rect.usage-chart__bar').count()).toBeGreaterThan(
      0,
    );
    await page.screenshot({ path: join(tmpdir(), 'parley-admin-usage.png'), fullPage: true });
    // The report as a CSV file: the member's row and the totals
    const usageDownloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const usageFile = await usageDownloading;
    expect(usageFile.suggestedFilename()).toMatch(
      /^parley-usage-\d{4}-\d{2}-01-to-\d{4}-\d{2}-\d{2}-by-user\.csv$/,
    );
    const usageLines = (await readFile(await usageFile.path(), 'utf8'))
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(usageLines[0]).toBe('userId,email,requests,promptTokens,completionTokens,totalTokens,costUsd');
    expect(usageLines.find((line) => line.includes(`,${memberEmail},`))).toMatch(
      new RegExp(`^${memberUser.id},`),
    );
    expect(usageLines.at(-1)).toMatch(/^total,,\d+,/);
    const nav = page.getByRole('navigation', { name: 'Administration' });
    expect((await nav.getByRole('link').allTextContents()).map((text) => text.trim())).toEqual([
      'Usage',
      'Audit log',
      'Feedback',
    ]);
    expect(await page.getByTestId('new-chat').count()).toBe(0);
    expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);

    // Act: the audit log
    await nav.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-table').waitFor();

    // Assess: where each event came from; the auditor's own sign-in names this browser
    const ownSignIn = page
      .locator('[data-testid="audit-row"][data-action="auth.sign-in"]')
      .filter({ has: page.locator(`[data-actor-id="${auditor.id}"]`) })
      .first();
    await ownSignIn.waitFor();
    const source = ownSignIn.getByTestId('audit-source');
    expect(await source.textContent()).toMatch(/^127\.0\.0\.1/);
    const userAgent = await page.evaluate<string>('navigator.userAgent');
    expect(await source.locator('.table__agent').getAttribute('title')).toBe(userAgent);

    // Act: the whole trail as a CSV file
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const download = await downloading;
    const csv = await readFile(await download.path(), 'utf8');

    // Assess: named by the days it covers; a header, then every event (at least the rows on
    // screen), the auditor's sign-in among them with its address and this browser
    const today = new Date().toISOString().slice(0, 10);
    expect(download.suggestedFilename()).toBe(`parley-audit-start-to-${today}.csv`);
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(
      'occurredAt,actorEmail,actorId,action,targetType,targetId,targetEmail,requestId,sourceIp,userAgent,details',
    );
    const shown = await page.getByTestId('audit-row').count();
    expect(lines.length - 1).toBeGreaterThanOrEqual(shown);
    const status = page.getByTestId('audit-download-status');
    expect(await status.textContent()).toContain(`Downloaded ${lines.length - 1} events`);
    const signInLine = lines.find((line) => line.includes(`,${auditor.id},auth.sign-in,`));
    expect(signInLine).toContain(',127.0.0.1,');
    expect(signInLine).toContain(userAgent.includes(',') ? `"${userAgent}"` : userAgent);

    // Act: users, by URL, and the chat's home
    await page.goto(`${stack.server.url}/admin/users`);
    await page.getByTestId('not-allowed').waitFor();
    await page.goto(`${stack.server.url}/`);
    await page.waitForURL((url) => url.pathname === '/admin/usage');

    await expectCleanSession(session);
    await expectCleanSession(member);
    await session.context.close();
    await member.context.close();
  });

  it('shows an auditor the feedback on replies, filtered by rating, comments as text, and downloads it as CSV', async () => {
    // Prepare: an auditor on the Feedback page, reading the totals before anything is given (with
    // DATABASE_URL set, the database is shared with earlier runs: the test counts from here)
    const auditorEmail = uniqueEmail('auditor');
    const auditor = await stack.server.createUser({
      email: auditorEmail,
      password: PASSWORD,
      role: 'auditors',
    });
    const session = await openSession({ acceptDownloads: true });
    const { page } = session;
    await signInMember(page, auditor);
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Feedback' })
      .click();
    await page.getByRole('heading', { name: 'Feedback', exact: true }).waitFor();
    const totalsShown = page.getByTestId('feedback-totals');
    const totalsOf = async () => {
      const match = /^(\d+) up · (\d+) down$/.exec((await totalsShown.textContent()) ?? '');
      if (!match) throw new Error(`no totals: ${await totalsShown.textContent()}`);
      return { up: Number(match[1]), down: Number(match[2]) };
    };
    await totalsShown.waitFor();
    const before = await totalsOf();
    if (before.up + before.down === 0) await page.getByTestId('feedback-empty').waitFor();

    // Prepare: a member chats, two replies from the offline model, and rates them through the API
    const memberEmail = uniqueEmail('member');
    const memberUser = await stack.server.createUser({
      email: memberEmail,
      password: PASSWORD,
      role: 'members',
    });
    const member = await openSession();
    await signInMember(member.page, memberUser);
    const replies = member.page.locator('[data-testid="message-assistant"][data-status="complete"]');
    // The app's own requests carry the member's access token: the ratings go through the API with
    // it, as the thumbs under a reply send them.
    const sending = member.page.waitForRequest(
      (request) =>
        request.method() === 'POST' && /\/api\/conversations\/[^/]+\/messages$/.test(request.url()),
    );
    for (const [index, question] of [QUESTION, `${QUESTION}, again`].entries()) {
      await member.page.getByLabel('Message', { exact: true }).fill(question);
      await member.page.keyboard.press('Enter');
      await replies.nth(index).waitFor();
    }
    const authorization = (await (await sending).headerValue('authorization')) ?? '';
    expect(authorization).toMatch(/^Bearer /);
    const conversationId = new URL(member.page.url()).pathname.split('/').at(-1) ?? '';
    const asMember = (path: string, init: RequestInit = {}) =>
      fetch(`${stack.server.url}/api/conversations/${conversationId}${path}`, {
        ...init,
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
      });
    const messages = (await (await asMember('/messages')).json()) as {
      items: { id: string; role: string; model: string | null }[];
    };
    const [liked, disliked] = messages.items.filter((message) => message.role === 'assistant');
    if (!liked || !disliked?.model) throw new Error('the conversation has no two replies with a model');
    const up = await asMember(`/messages/${liked.id}/feedback`, {
      method: 'PUT',
      body: JSON.stringify({ rating: 'up' }),
    });
    expect(up.status).toBe(200);
    const down = await asMember(`/messages/${disliked.id}/feedback`, {
      method: 'PUT',
      body: JSON.stringify({ rating: 'down', reason: 'incomplete', comment: HOSTILE_COMMENT }),
    });
    expect(down.status).toBe(200);

    // Act: the auditor looks again
    await page.reload();
    await page.getByTestId('feedback-table').waitFor();

    // Assess: the member's two ratings, newest first; one more of each in the totals; the note
    // that replies are never shown, and indeed neither question shows
    const rows = page.locator(`[data-testid="feedback-row"][data-user-id="${memberUser.id}"]`);
    await rows.nth(1).waitFor();
    expect(await rows.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-rating')))).toEqual([
      'down',
      'up',
    ]);
    const after = await totalsOf();
    expect(after).toEqual({ up: before.up + 1, down: before.down + 1 });
    expect(await page.getByTestId('feedback-privacy').textContent()).toContain(
      'The reply and the conversation are never shown here.',
    );
    expect(await page.locator('main').textContent()).not.toContain(QUESTION);
    await page.screenshot({ path: join(tmpdir(), 'parley-admin-feedback.png'), fullPage: true });
    expect({ page: 'feedback', violations: await seriousAxeViolations(page) }).toEqual({
      page: 'feedback',
      violations: [],
    });

    // Act: only the thumbs down, kept in the URL
    const filters = page.getByRole('search', { name: 'Filter the feedback' });
    await filters.getByLabel('Rating').selectOption('down');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('rating') === 'down');

    // Assess: every row a thumbs down, the member's one with its comment shown verbatim as text
    // (no element made of its markup) and its reason in words; the totals count the filters
    await totalsShown.filter({ hasText: `0 up · ${after.down} down` }).waitFor();
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(
      new Set(
        await page
          .getByTestId('feedback-row')
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-rating'))),
      ),
    ).toEqual(new Set(['down']));
    const row = rows.first();
    expect(await row.getByTestId('feedback-comment').textContent()).toBe(HOSTILE_COMMENT);
    expect(await row.getByTestId('feedback-comment').locator('b').count()).toBe(0);
    expect(await row.getByTestId('feedback-reason').textContent()).toBe('Incomplete');
    expect(await row.getByTestId('feedback-rating').textContent()).toContain('Thumbs down');
    expect(await row.textContent()).toContain(memberEmail);
    expect(await row.textContent()).toContain(disliked.model);

    // Act: everything the filters match as a CSV file
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const download = await downloading;
    const csv = await readFile(await download.path(), 'utf8');

    // Assess: named by the days it covers; the header, then every thumbs down, the member's with
    // every field in place, the comment quoted and its formula defused with an apostrophe
    const today = new Date().toISOString().slice(0, 10);
    expect(download.suggestedFilename()).toBe(`parley-feedback-start-to-${today}.csv`);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('updatedAt,createdAt,userId,email,model,rating,reason,comment,messageId');
    expect(lines).toHaveLength(after.down + 1);
    expect(lines.slice(1).every((line) => line.split(',')[5] === 'down')).toBe(true);
    const own = lines.filter((line) => line.includes(`,${memberUser.id},`));
    expect(own).toHaveLength(1);
    const stamp = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z`;
    expect(own[0]).toMatch(new RegExp(`^${stamp},${stamp},`));
    expect(own[0]?.split(',').slice(2, 7)).toEqual([
      memberUser.id,
      memberEmail,
      disliked.model,
      'down',
      'incomplete',
    ]);
    const quoted = `"'${HOSTILE_COMMENT.replaceAll('"', '""')}"`;
    expect(own[0]?.endsWith(`,${quoted},${disliked.id}`)).toBe(true);
    expect(await page.getByTestId('feedback-download-status').textContent()).toMatch(
      new RegExp(`^Downloaded ${after.down} (entry|entries) \\(the filters above apply\\)\\.$`),
    );

    await expectCleanSession(session);
    await expectCleanSession(member);
    await session.context.close();
    await member.context.close();
  });

  it('erases a person who left: refused until an hour after the disable, then gone with their data and from Cognito', async () => {
    // Prepare: an admin, and a member with a conversation
    const adminEmail = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email: adminEmail, password: PASSWORD, role: 'admins' });
    const leaverEmail = uniqueEmail('leaver');
    const leaver = await stack.server.createUser({ email: leaverEmail, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(`insert into conversations (owner_id, title) values ($1, 'Notes')`, [leaver.id]);
      const session = await openSession();
      const { page } = session;
      await signInAdmin(page, adminEmail, admin.totpSecret ?? '');
      await page.goto(`${stack.server.url}/admin/users?q=${encodeURIComponent(leaverEmail)}`);
      const row = page.getByTestId('user-row').filter({ hasText: leaverEmail });
      await row.getByRole('button', { name: `Manage ${leaverEmail}` }).click();
      const dialog = page.getByRole('dialog');

      // An active person has no Erase: disable them first
      expect(await dialog.getByRole('button', { name: 'Erase…' }).count()).toBe(0);
      await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
      await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
      await dialog.getByRole('status').filter({ hasText: 'User disabled.' }).waitFor();
      expect(await dialog.getByTestId('erasable-from').textContent()).toMatch(
        /^Disabled since .+; can be erased from .+/,
      );

      // Act: erase at once; the address must be typed before the button works
      await dialog.getByRole('button', { name: 'Erase…' }).click();
      const confirm = dialog.getByRole('button', { name: 'Erase for good' });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByTestId('confirm-typed').fill(leaverEmail);
      await confirm.click();

      // Assess: refused with the time from which it works, and nothing erased
      const refusal = dialog.getByRole('alert');
      await refusal.waitFor();
      expect(await refusal.textContent()).toMatch(
        /less than an hour ago.*Erase them from \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
      );
      expect((await db.query('select 1 from users where id = $1', [leaver.id])).rowCount).toBe(1);

      // Act: an hour later (the disable moved back in time), erase again
      await db.query(`update users set tokens_valid_after = now() - interval '61 minutes' where id = $1`, [
        leaver.id,
      ]);
      await dialog.getByRole('button', { name: 'Erase…' }).click();
      await dialog.getByTestId('confirm-typed').fill(leaverEmail);
      await dialog.getByRole('button', { name: 'Erase for good' }).click();

      // Assess: the dialog closes, the row is gone, and so are their data and Cognito user
      await page
        .getByTestId('users-notice')
        .filter({ hasText: `${leaverEmail} was erased.` })
        .waitFor();
      expect(await dialog.count()).toBe(0);
      expect(await row.count()).toBe(0);
      expect((await db.query('select 1 from users where id = $1', [leaver.id])).rowCount).toBe(0);
      expect((await db.query('select 1 from conversations where owner_id = $1', [leaver.id])).rowCount).toBe(
        0,
      );
      const erase = await db.query<{ details: unknown }>(
        `select details from audit_events where action = 'user.erase' and target_id = $1`,
        [leaver.id],
      );
      // The usage kept, pseudonymised, once the person is gone (migration 0020): none here.
      expect(erase.rows).toEqual([
        {
          details: {
            conversations: 1,
            messages: 0,
            usageKept: { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 },
          },
        },
      ]);
      await expect(
        stack.server.cognitoAdmin.send(
          new AdminGetUserCommand({ UserPoolId: stack.server.userPoolId, Username: leaverEmail }),
        ),
      ).rejects.toMatchObject({ name: 'UserNotFoundException' });

      await expectCleanSession(session);
      await session.context.close();
    } finally {
      await db.end();
    }
  });

  it('invites several people at once, shows each outcome, and keeps what was not invited', async () => {
    // Prepare: an admin, one address already in use, one new, one repeated, one typo
    const adminEmail = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email: adminEmail, password: PASSWORD, role: 'admins' });
    const taken = uniqueEmail('taken');
    await stack.server.createUser({ email: taken, password: PASSWORD, role: 'members' });
    const fresh = [uniqueEmail('new-a'), uniqueEmail('new-b')];
    const session = await openSession();
    const { page } = session;
    await signInAdmin(page, adminEmail, admin.totpSecret ?? '');
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Users' })
      .click();
    const bulk = page.locator('details.invite');
    await bulk.getByText('Invite several people').click();
    const form = page.getByRole('form', { name: 'Invite several users' });
    const box = form.getByLabel('Email addresses');

    // Act: a typo is caught before anything is sent
    await box.fill(`${fresh[0]}
not-an-address`);

    // Assess
    expect(await form.getByRole('alert').textContent()).toBe('Not e-mail addresses: not-an-address');
    expect(await form.getByRole('button', { name: /^Invite/ }).isDisabled()).toBe(true);

    // Act: the list as pasted from a mail client, in the auditors role
    await box.fill(`Someone <${fresh[0]?.toUpperCase()}>, ${taken}
${fresh[1]}; ${fresh[0]}`);
    await form.getByLabel('Role').selectOption('auditors');
    await form.getByRole('button', { name: 'Invite 3' }).click();

    // Assess: each outcome, the summary, the taken address left in the box, the new ones listed
    await bulk.getByRole('status').filter({ hasText: 'Invited 2 of 3.' }).waitFor();
    const outcomes = bulk.getByTestId('invite-outcomes').getByRole('listitem');
    expect(
      await outcomes.evaluateAll((items) => items.map((item) => item.getAttribute('data-status'))),
    ).toEqual(['invited', 'failed', 'invited']);
    expect(await outcomes.nth(1).textContent()).toContain('already exists');
    expect(await box.inputValue()).toBe(taken);
    const rows = page.getByTestId('user-row');
    for (const email of fresh) {
      const row = rows.filter({ hasText: email });
      await row.waitFor();
      expect(await row.getByTestId('user-role').textContent()).toBe('Auditor');
      expect(stack.server.invitationFor(email)).toBeDefined();
    }
    await expectCleanSession(session);
    await session.context.close();
  });

  it('offers to read the audit log again after a page of it failed, and keeps what it had', async () => {
    // Prepare: an auditor, and the audit list's first read failing
    const auditor = await stack.server.createUser({
      email: uniqueEmail('auditor'),
      password: PASSWORD,
      role: 'auditors',
    });
    const session = await openSession();
    const { page } = session;
    await signInMember(page, auditor);
    await page.waitForURL((url) => url.pathname === '/admin/usage');
    let reads = 0;
    await page.route('**/api/admin/audit*', async (intercepted) => {
      reads += 1;
      if (reads === 1) return intercepted.abort('connectionreset');
      return intercepted.fallback();
    });

    // Act
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    const failed = page.getByRole('alert').filter({ hasText: 'could not be loaded' });
    await failed.waitFor();
    await failed.getByRole('button', { name: 'Try again' }).click();

    // Assess: read again, listed, the alert gone; the day filters say they are UTC days
    await page.getByTestId('audit-row').first().waitFor();
    expect(await failed.count()).toBe(0);
    expect(reads).toBe(2);
    await page.getByLabel('From (UTC)', { exact: true }).waitFor();
    expect(await page.getByTestId('audit-row').first().locator('time').textContent()).toMatch(/ UTC$/);
    await page.unroute('**/api/admin/audit*');
    await expectCleanSession(session);
    await session.context.close();
  });

  it('shows a member no console, and "not allowed" at its addresses', async () => {
    // Prepare
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession();
    const { page } = session;

    // Act
    await signInMember(page, user);

    // Assess
    await page.getByTestId('conversations-empty').waitFor();
    expect(await page.getByRole('navigation', { name: 'Administration' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    for (const path of ['/admin/users', '/admin/usage', '/admin/audit', '/admin/feedback']) {
      await page.goto(`${stack.server.url}${path}`);
      await page.getByTestId('not-allowed').waitFor();
    }
    await expectCleanSession(session);
    await session.context.close();
  });

  it('signs someone out everywhere: here at once, and on their other device at its next request', async () => {
    // Prepare: one member, two browsers
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const here = await openSession();
    const elsewhere = await openSession();
    const enrolled = await signInMember(here.page, user);
    // The second device answers with the TOTP set up on the first (each code is accepted once).
    await signInMember(elsewhere.page, enrolled);
    // Token times are whole seconds and a token issued in the second of the sign-out still counts
    // (functions/shared/revocation): let that second pass, as it would between two devices.
    await elsewhere.page.waitForTimeout(1_100);

    // Act
    await here.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await here.page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();

    // Assess: signed out here; the other browser is refused at its next request
    await here.page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await textOf(here.page, 'signed-out-notice')).toBe('You have signed out on every device.');
    await elsewhere.page.reload();
    await elsewhere.page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();

    await expectCleanSession(here);
    await expectCleanSession(elsewhere);
    await here.context.close();
    await elsewhere.context.close();
  });
});
