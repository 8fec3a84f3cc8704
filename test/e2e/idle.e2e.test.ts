import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  expectCleanSession,
  openSession,
  PASSWORD,
  seriousAxeViolations,
  signIn,
  startStack,
  uniqueEmail,
} from './support';
import type { Session, Stack } from './support';

/**
 * The idle sign-out (the stage's web.idleSignOutMinutes), shortened to 12 seconds: the warning
 * half-way, "Stay signed in", activity in one tab keeping another signed in, and the sign-out of
 * every tab once nobody is there, with the reason said above the sign-in form.
 */

const IDLE_SECONDS = 12;

let stack: Stack;
let session: Session;

beforeAll(async () => {
  stack = await startStack({ idleSignOutMinutes: IDLE_SECONDS / 60 });
  session = await openSession(stack.browser);
});

afterAll(async () => {
  await session?.context.close();
  await stack?.stop();
});

describe('signing out after a while without activity', () => {
  it('warns, stays signed in when asked, shares activity between tabs, then signs every tab out', async () => {
    // Prepare
    const { page } = session;
    const user = await stack.server.createUser({
      email: uniqueEmail('idle'),
      password: PASSWORD,
      role: 'members',
    });
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    const warning = page.getByTestId('idle-warning');

    // Assess: the warning half-way, counting down, accessible
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.textContent()).toMatch(/signed out in \d+ seconds? without activity/);
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Act: stay signed in
    await warning.getByRole('button', { name: 'Stay signed in' }).click();
    await expect.poll(() => warning.count()).toBe(0);

    // Act: a second tab, used every 2 s for longer than the timeout, while the first is left alone
    const other = await session.context.newPage();
    await other.goto(stack.server.url);
    await other.getByLabel('Message', { exact: true }).waitFor();
    for (let i = 0; i < 8; i += 1) {
      await other.getByLabel('Message', { exact: true }).press('a');
      await other.waitForTimeout(2_000);
    }

    // Assess: the first tab is still signed in
    expect(await page.getByTestId('signed-out-notice').count()).toBe(0);
    expect(await page.getByLabel('Message', { exact: true }).count()).toBe(1);

    // Act: nobody does anything. Assess: both tabs end on the sign-in form, saying why
    for (const tab of [page, other]) {
      const notice = tab.getByTestId('signed-out-notice');
      await notice.waitFor({ timeout: (IDLE_SECONDS + 8) * 1000 });
      expect(await notice.textContent()).toMatch(/signed out after a while without activity/);
    }
    await expectCleanSession(session);
  });
});
