import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import type { Locator, Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  expectCleanSession,
  freshTotpCode,
  openSession,
  PASSWORD,
  seriousAxeViolations,
  signIn,
  startStack,
  submitCredentials,
  textOf,
  uniqueEmail,
} from './support';
import type { Session, Stack } from './support';

/**
 * Every page of the web app checked by axe-core in Chromium, under the production CSP: no serious
 * or critical violation, in the light and the dark colour scheme and on a phone.
 */

const SCREENSHOT = join(tmpdir(), 'parley-a11y-console.png');

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

describe('accessibility (axe-core: no serious or critical violation)', () => {
  it('on the sign-in steps', async () => {
    const email = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email, password: PASSWORD, role: 'admins' });
    const session = await openSession(stack.browser);
    const { page } = session;

    await submitCredentials(page, stack.server.url, email, `${PASSWORD}-wrong`);
    await page.getByRole('alert').waitFor();
    await expectAccessible(page, 'sign-in, with an error');
    expect(await page.title()).toBe('Sign in – Parley');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await expectAccessible(page, 'two-factor code');
    expect(await page.title()).toBe('Two-factor sign-in – Parley');

    await page.getByLabel('Authentication code').fill(await freshTotpCode(admin.totpSecret ?? ''));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    expect(await textOf(page, 'me-email')).toBe(email);
    await expectCleanSession(session);
    await session.context.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`on the chat, search and account of a member (${colorScheme})`, async () => {
      const email = uniqueEmail('member');
      const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
      const session: Session = await openSession(stack.browser);
      const { page } = session;
      await page.emulateMedia({ colorScheme });
      await signIn(page, stack.server.url, { ...user, password: PASSWORD });
      await page.getByTestId('conversations-empty').waitFor();
      await expectAccessible(page, 'new chat');
      expect(await page.title()).toBe('New chat – Parley');

      await page.getByLabel('Message', { exact: true }).fill('Show me `code` and a list:\n\n- one\n- two');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="message-assistant"][data-status="complete"]').waitFor();
      await page.getByTestId('conversation-list').getByRole('listitem').first().waitFor();
      await expectAccessible(page, 'a conversation');

      // The rating thumbs, and the form a thumbs down opens
      await page.getByTestId('feedback-down').click();
      await page.getByTestId('feedback-comment').waitFor();
      await expectAccessible(page, 'feedback on a reply');

      await page.getByRole('link', { name: 'Search messages' }).click();
      // The page's title is what a screen reader says of a link followed in a single-page app
      await expect.poll(() => page.title()).toBe('Search your messages – Parley');
      await page.getByRole('searchbox', { name: 'Search your messages' }).fill('list');
      await page.keyboard.press('Enter');
      await page.getByTestId('search-results').getByRole('link').first().waitFor();
      await expectAccessible(page, 'search results');

      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByRole('dialog').waitFor();
      await expectAccessible(page, 'sign out everywhere dialog');
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

      await expectCleanSession(session);
      await session.context.close();
    });
  }

  it('on a phone, with the menu open', async () => {
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession(stack.browser, { viewport: { width: 360, height: 740 } });
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    await page.getByLabel('Message', { exact: true }).waitFor();
    await expectAccessible(page, 'phone chat');
    await page.getByRole('button', { name: 'Open the menu' }).click();
    await page.getByTestId('me-email').waitFor();
    await expectAccessible(page, 'phone menu');
    await expectCleanSession(session);
    await session.context.close();
  });

  it('on the admin console: users, a user, usage, the audit log and feedback', async () => {
    const email = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email, password: PASSWORD, role: 'admins' });
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...admin, password: PASSWORD });
    expect(await textOf(page, 'me-email')).toBe(email);

    await page.goto(`${stack.server.url}/admin/users`);
    await page.getByTestId('user-row').first().waitFor();
    await expectAccessible(page, 'users');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.getByTestId('user-row').first().getByRole('button').first().click();
    await page.getByRole('dialog').waitFor();
    await expectAccessible(page, 'manage a user');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByTestId('usage-totals').waitFor();
    await expectAccessible(page, 'usage');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-table').waitFor();
    await expectAccessible(page, 'audit log');

    await page.getByRole('link', { name: 'Feedback' }).click();
    await page.getByTestId('feedback-privacy').waitFor();
    await page.getByTestId('feedback-totals').waitFor();
    await expectAccessible(page, 'feedback');

    await expectCleanSession(session);
    await session.context.close();
  });
});

describe('reflow (WCAG 1.4.10: no sideways scrolling of the page at 320 CSS px)', () => {
  it('on the admin Users page, whose table scrolls inside its own region', async () => {
    // Prepare: an admin on a 320 px screen (a phone, or a 1280 px window at 400 %)
    const email = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email, password: PASSWORD, role: 'admins' });
    const session = await openSession(stack.browser, { viewport: { width: 320, height: 640 } });
    const { page } = session;
    await signIn(page, stack.server.url, { ...admin, password: PASSWORD });
    await page.getByRole('button', { name: 'Open the menu' }).waitFor();

    // Act
    await page.goto(`${stack.server.url}/admin/users`);
    await page.getByTestId('user-row').first().waitFor();

    // Assess: the page is as wide as the screen (the table's region scrolls, not the page)
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);

    await expectCleanSession(session);
    await session.context.close();
  });
});

/** What has the keyboard focus: its test id, else its accessible label, else its text (null: none). */
function focused(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    return element.getAttribute('data-testid') ?? element.getAttribute('aria-label') ?? element.textContent.trim();
  })()`);
}

/**
 * Answers to GET `pathname` as the API gives them, but saying there is another page; that next page
 * (a request with a cursor) is held until `release()`, then empty: the app seen while it loads.
 */
async function holdNextPage(page: Page, pathname: string): Promise<{ release(): void }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname === pathname,
    async (route: Route) => {
      if (route.request().method() !== 'GET') return route.continue();
      if (new URL(route.request().url()).searchParams.has('cursor')) {
        await held;
        return route.fulfill({ json: { items: [], nextCursor: null } });
      }
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      return route.fulfill({ response, json: { ...body, nextCursor: 'more' } });
    },
  );
  return { release: () => release() };
}

/**
 * Answers to GET `pathname` as the API gives them, cut after the first `shown` items and saying there
 * is another page; that page (a request with a cursor) is held until `release()`, then answers the
 * items cut, and no more: the last page, seen while it loads and once it is in.
 */
async function holdLastPage(page: Page, pathname: string, shown: number): Promise<{ release(): void }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let rest: unknown[] = [];
  await page.route(
    (url) => url.pathname === pathname,
    async (route: Route) => {
      if (route.request().method() !== 'GET') return route.continue();
      if (new URL(route.request().url()).searchParams.has('cursor')) {
        await held;
        return route.fulfill({ json: { items: rest, nextCursor: null } });
      }
      const response = await route.fetch();
      const body = (await response.json()) as { items: unknown[] };
      rest = body.items.slice(shown);
      return route.fulfill({
        response,
        json: { ...body, items: body.items.slice(0, shown), nextCursor: 'more' },
      });
    },
  );
  return { release: () => release() };
}

/**
 * Holds the requests `which` picks (its path ends with that string, or the function says yes) until
 * `release()`, then lets them through.
 */
async function holdRequests(
  page: Page,
  which: string | ((request: Request) => boolean),
): Promise<{ release(): void }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => typeof which !== 'string' || url.pathname.endsWith(which),
    async (route: Route) => {
      if (typeof which !== 'string' && !which(route.request())) return route.fallback();
      await held;
      await route.continue();
    },
  );
  return { release: () => release() };
}

/** Where the focus is among the elements `selector` finds: its index, -1 if on none of them. */
function focusedAmong(page: Page, selector: string): Promise<number> {
  return page.evaluate<number>(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].indexOf(document.activeElement)`,
  );
}

describe('keyboard focus and what is announced', () => {
  /** A member signed in, in a conversation with one question and its reply. */
  async function inConversation(viewport?: {
    width: number;
    height: number;
  }): Promise<{ session: Session; page: Page; reply: Locator }> {
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession(stack.browser, viewport ? { viewport } : {});
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    await page.getByLabel('Message', { exact: true }).fill('Name a colour');
    await page.keyboard.press('Enter');
    const reply = page.locator('[data-testid="message-assistant"][data-status="complete"]').last();
    await reply.waitFor();
    return { session, page, reply };
  }

  it('on a phone: Tab stays in the open menu, never behind it, and Escape goes back to the menu button', async () => {
    // Prepare: a conversation (Export, Edit, Copy, the thumbs: all behind the menu), the menu opened
    const { session, page } = await inConversation({ width: 320, height: 640 });
    await page.getByRole('button', { name: 'Open the menu' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('me-email').waitFor();

    // Act: Tab, round the menu and more
    const stops: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      stops.push(
        await page.evaluate<string>(`(() => {
          const element = document.activeElement;
          if (!element || element === document.body) return 'none';
          return element.closest('main') ? 'behind the menu' : element.closest('aside, .mobile-bar') ? 'menu' : 'elsewhere';
        })()`),
      );
    }

    // Assess: the menu only (and out of the page, to the browser, past its end)
    expect(stops).toContain('menu');
    expect(stops.filter((stop) => stop !== 'menu' && stop !== 'none')).toEqual([]);

    // Act and assess: Escape closes it and goes back to its button; the page is usable again
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('Open the menu');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<boolean>(`Boolean(document.activeElement?.closest('main'))`)).toBe(true);

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the console: the first Tab is "Skip to content", shown when focused, and Enter takes the keyboard past the sidebar', async () => {
    for (const role of ['admins', 'auditors'] as const) {
      // Prepare: an admin on Users, an auditor on their home (Usage)
      const user = await stack.server.createUser({ email: uniqueEmail(role), password: PASSWORD, role });
      const session = await openSession(stack.browser);
      const { page } = session;
      await signIn(page, stack.server.url, { ...user, password: PASSWORD });
      if (role === 'admins') await page.goto(`${stack.server.url}/admin/users`);
      await page.getByRole('heading', { level: 1, name: role === 'admins' ? 'Users' : 'Usage' }).waitFor();
      const skip = page.getByRole('link', { name: 'Skip to content' });
      expect(await skip.boundingBox().then((box) => (box ? box.y + box.height : 0))).toBeLessThanOrEqual(0);

      // Act: the first Tab
      await page.keyboard.press('Tab');

      // Assess: the skip link, in view
      expect({ role, focused: await focused(page) }).toEqual({ role, focused: 'Skip to content' });
      await expect.poll(() => skip.boundingBox().then((box) => box?.y ?? -1)).toBeGreaterThanOrEqual(0);

      // Act and assess: Enter, then Tab, lands in the page, the URL unchanged
      const url = page.url();
      await page.keyboard.press('Enter');
      expect(await page.evaluate<string | undefined>(`document.activeElement?.tagName`)).toBe('MAIN');
      await page.keyboard.press('Tab');
      expect(await page.evaluate<boolean>(`Boolean(document.activeElement?.closest('main'))`)).toBe(true);
      expect(page.url()).toBe(url);

      if (role === 'admins') {
        // ...and a chat page, whose keyboard starts in the composer, has none
        await page.getByRole('link', { name: 'New chat' }).click();
        await page.getByLabel('Message', { exact: true }).waitFor();
        expect(await skip.count()).toBe(0);
      }

      await expectCleanSession(session);
      await session.context.close();
    }
  });

  it('in a conversation: each message has a heading of its own, an h2 under the h1, to move by heading', async () => {
    // Prepare and act: a question and its reply
    const { session, page } = await inConversation();

    // Assess: the page's headings, in order, with their levels (none skipped)
    const headings = () =>
      page.evaluate<string[]>(
        `[...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')].map((h) => h.tagName + ' ' + h.textContent)`,
      );
    await expect.poll(headings).toEqual(['H1 Name a colour', 'H2 You said', 'H2 Parley replied']);
    expect(await page.getByRole('heading', { level: 2, name: 'Parley replied' }).count()).toBe(1);

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in a conversation: Escape or Cancel of an edit goes back to Edit, and a long text pasted in stays whole', async () => {
    // Prepare
    const { session, page } = await inConversation();
    const edit = page.getByTestId('edit-question');
    const box = page.getByLabel('Edit your message', { exact: true });

    // Act and assess: Edit, then Escape or Cancel: back on Edit, not at the top of the page
    await edit.click();
    await box.press('Escape');
    await expect.poll(() => focused(page)).toBe('edit-question');
    await edit.click();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => focused(page)).toBe('edit-question');

    // Act and assess: a text pasted past the limit stays whole and says it is too long (the
    // browser's maxLength cut it without a word)
    await edit.click();
    await box.press('Control+A');
    await page.keyboard.insertText('a'.repeat(61_000));
    expect((await box.inputValue()).length).toBe(61_000);
    await page.getByText(/^Too long to send/).waitFor();
    expect(await page.getByRole('button', { name: 'Send edited message' }).isDisabled()).toBe(true);

    await expectCleanSession(session);
    await session.context.close();
  });

  it("in a conversation: the rating form's Close goes back to the thumbs down, and a rating being saved keeps the focus", async () => {
    // Prepare
    const { session, page, reply } = await inConversation();

    // Act and assess: Close, back on the thumbs down that opened the form
    await reply.getByTestId('feedback-down').click();
    const form = page.getByRole('form', { name: 'What was wrong with this reply?' });
    await form.getByRole('button', { name: 'Close' }).click();
    await form.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe('feedback-down');

    // Act and assess: a rating being saved: its button says it is busy and keeps the focus
    const feedback = await holdRequests(page, '/feedback');
    const up = reply.getByTestId('feedback-up');
    await up.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => up.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('feedback-up');
    feedback.release();
    await expect.poll(() => up.getAttribute('aria-pressed')).toBe('true');
    expect(await focused(page)).toBe('feedback-up');

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in a conversation: an export being made keeps the focus on its button', async () => {
    // Prepare
    const { session, page } = await inConversation();
    const exporting = await holdRequests(page, '/export');

    // Act
    await page.getByRole('button', { name: 'Export Markdown' }).focus();
    await page.keyboard.press('Enter');

    // Assess: busy, and still focused, while it is made and after
    const busy = page.getByRole('button', { name: 'Exporting…' });
    await busy.waitFor();
    expect(await busy.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Exporting…');
    exporting.release();
    await page.getByRole('button', { name: 'Export Markdown' }).waitFor();
    expect(await focused(page)).toBe('Export Markdown');

    await expectCleanSession(session);
    await session.context.close();
  });

  it("in a conversation: a code block's Copy says how it went, though its name stays the same", async () => {
    // Prepare: a stored reply with a code block
    const { session, page } = await inConversation();
    const conversationId = new URL(page.url()).pathname.split('/').at(-1);
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `insert into messages (conversation_id, owner_id, role, content, status, model)
         select id, owner_id, 'assistant', $2, 'complete', 'offline' from conversations where id = $1`,
        // A line too long for the page: the block scrolls sideways, which the keyboard must reach
        [conversationId, `Here:\n\n\`\`\`ts\nconst answer = '${'forty-two '.repeat(20)}';\n\`\`\`\n`],
      );
    } finally {
      await db.end();
    }
    await page.reload();
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(stack.server.url).origin,
    });
    const codeBlock = page.locator('.code-block');
    await codeBlock.waitFor();
    await expectAccessible(page, 'a reply with a long line of code');

    // Act
    await codeBlock.getByRole('button', { name: 'Copy ts code' }).click();

    // Assess
    await expect.poll(() => codeBlock.getByRole('status').textContent()).toBe('Copied');

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in search: the live region says how many results (not the results), and More results keeps the focus', async () => {
    // Prepare: a member with a message to find, and a search that has another page
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    await page.getByLabel('Message', { exact: true }).fill('A list of green teas');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="message-assistant"][data-status="complete"]').waitFor();
    const more = await holdNextPage(page, '/api/search');

    // Act
    await page.getByRole('link', { name: 'Search messages' }).click();
    await page.getByRole('searchbox', { name: 'Search your messages' }).fill('teas');
    await page.keyboard.press('Enter');
    await page.getByTestId('search-results').getByRole('link').first().waitFor();

    // Assess: a short line is announced; the results are outside the live region
    const live = page.locator('.search [aria-live="polite"]');
    await expect.poll(() => live.textContent()).toMatch(/^\d+ results? for “teas”, more to load\.$/);
    expect(await live.getByRole('link').count()).toBe(0);

    // More results, while the page loads: busy, and still focused
    await page.getByRole('button', { name: 'More results' }).focus();
    await page.keyboard.press('Enter');
    const loading = page.getByRole('button', { name: 'Loading…' });
    await loading.waitFor();
    expect(await loading.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Loading…');
    more.release();
    await loading.waitFor({ state: 'detached' });

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the sidebar: a rename the server refuses keeps the focus in the title box, to correct it', async () => {
    // Prepare: a conversation, none open; its rename refused once (the service busy)
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(`insert into conversations (owner_id, title) values ($1, 'Alpha')`, [user.id]);
    } finally {
      await db.end();
    }
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    await page.route('**/api/conversations/*', (route) =>
      route.request().method() === 'PATCH'
        ? route.fulfill({
            status: 429,
            headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '5' },
            body: JSON.stringify({ type: 'about:blank', title: 'Too many requests', status: 429 }),
          })
        : route.fallback(),
    );
    const list = page.getByTestId('conversation-list');
    const inTitleBox = () =>
      page.evaluate<boolean>('document.activeElement?.id?.startsWith("rename-") ?? false');

    // Act: rename Alpha from the keyboard
    await list.getByRole('listitem').filter({ hasText: 'Alpha' }).hover();
    await page.getByRole('button', { name: 'Rename Alpha' }).click();
    await expect.poll(inTitleBox).toBe(true);
    await page.keyboard.type('Beta');
    await page.keyboard.press('Enter');

    // Assess: refused, said so, and the focus still in the box with the title typed
    await list.getByRole('alert').waitFor();
    await expect.poll(inTitleBox).toBe(true);
    expect(await page.getByLabel('New title for Alpha').inputValue()).toBe('Beta');

    // Act and assess: Enter again, once the server takes it: renamed, back on its Rename button
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('Rename Beta');

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the sidebar: after a delete or an Undo the focus stays in the list, and Load more keeps it', async () => {
    // Prepare: three conversations, newest first Charlie, Bravo, Alpha; none open
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `insert into conversations (owner_id, title, updated_at) values
           ($1, 'Alpha', now() - interval '3 hours'),
           ($1, 'Bravo', now() - interval '2 hours'),
           ($1, 'Charlie', now() - interval '1 hour')`,
        [user.id],
      );
    } finally {
      await db.end();
    }
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    const list = page.getByTestId('conversation-list');
    const focusedTitle = () =>
      page.evaluate<string | null>('document.activeElement?.getAttribute("title") ?? null');

    // Act: delete Bravo, which is not open
    await list.getByRole('listitem').filter({ hasText: 'Bravo' }).hover();
    await page.getByRole('button', { name: 'Delete Bravo' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await list.getByRole('listitem').filter({ hasText: 'Bravo' }).waitFor({ state: 'detached' });

    // Assess: on the next conversation, not the top of the page
    await expect.poll(focusedTitle).toBe('Alpha');

    // Act and assess: Undo brings Bravo back, and the focus to it
    await page.getByTestId('deleted-notice').getByRole('button', { name: 'Undo' }).click();
    await expect.poll(focusedTitle).toBe('Bravo');

    // Load more, while the next page loads (the end of the list is in view, so it starts at once):
    // busy, and it can keep the focus
    const more = await holdNextPage(page, '/api/conversations');
    await page.reload();
    const loading = page
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: 'Loading…' });
    await loading.waitFor();
    expect(await loading.getAttribute('aria-disabled')).toBe('true');
    await loading.focus();
    expect(await focused(page)).toBe('Loading…');
    more.release();
    await loading.waitFor({ state: 'detached' });

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the sidebar: a conversation moving to the top, or deleted elsewhere, leaves the keyboard where it was', async () => {
    // Prepare: three conversations, newest first Charlie, Bravo, Alpha; none open
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `insert into conversations (owner_id, title, updated_at) values
           ($1, 'Alpha', now() - interval '3 hours'),
           ($1, 'Bravo', now() - interval '2 hours'),
           ($1, 'Charlie', now() - interval '1 hour')`,
        [user.id],
      );
      const session = await openSession(stack.browser);
      const { page } = session;
      await signIn(page, stack.server.url, { ...user, password: PASSWORD });
      const list = page.getByTestId('conversation-list');
      await list.getByRole('link', { name: /Alpha/ }).waitFor();
      const titles = () => list.locator(':scope > li a').evaluateAll((links) => links.map((a) => a.title));
      /** Written to elsewhere (another tab or device), at the top once the sidebar reads its page 1 again. */
      const writtenElsewhere = (title: string) =>
        db.query(`update conversations set updated_at = now() where owner_id = $1 and title = $2`, [
          user.id,
          title,
        ]);
      /** Back to the tab, again until the sidebar reads page 1 (at most every 10 s) and shows `order`. */
      const comeBackUntil = (order: string[]) =>
        expect
          .poll(
            () =>
              page.evaluate<string[]>(`(() => {
                document.dispatchEvent(new Event('visibilitychange'));
                const shown = document.querySelectorAll('[data-testid="conversation-list"] > li a');
                return [...shown].map((a) => a.getAttribute('title'));
              })()`),
            { timeout: 30_000, interval: 250 },
          )
          .toEqual(order);

      // Act: the keyboard on Charlie's link; Alpha, below it, is written to elsewhere and moves to
      // the top, past Charlie and Bravo, whose rows React moves
      await list.getByRole('link', { name: /Charlie/ }).focus();
      await writtenElsewhere('Alpha');
      await comeBackUntil(['Alpha', 'Charlie', 'Bravo']);

      // Assess: still on Charlie's link, not the top of the page
      expect(await titles()).toEqual(['Alpha', 'Charlie', 'Bravo']);
      expect(
        await page.evaluate<string | null>('document.activeElement?.getAttribute("title") ?? null'),
      ).toBe('Charlie');

      // Act and assess: the same on a row's Delete button, Bravo moving past it
      await page.getByRole('button', { name: 'Delete Charlie' }).focus();
      await writtenElsewhere('Bravo');
      await comeBackUntil(['Bravo', 'Alpha', 'Charlie']);
      expect(await focused(page)).toBe('Delete Charlie');

      // Act: Alpha, the focused conversation, deleted elsewhere
      await list.getByRole('link', { name: /Alpha/ }).focus();
      await db.query(`update conversations set deleted_at = now() where owner_id = $1 and title = 'Alpha'`, [
        user.id,
      ]);
      await comeBackUntil(['Bravo', 'Charlie']);

      // Assess: on Charlie, which took its place, not the top of the page
      expect(
        await page.evaluate<string | null>('document.activeElement?.getAttribute("title") ?? null'),
      ).toBe('Charlie');

      await expectCleanSession(session);
      await session.context.close();
    } finally {
      await db.end();
    }
  });

  it('in the console: Load more keeps the focus while loading, and after an erase the focus goes to the next person', async () => {
    // Prepare: an admin, and two people who left (their addresses share a tag to filter by)
    const adminEmail = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email: adminEmail, password: PASSWORD, role: 'admins' });
    const tag = uniqueEmail('leaver').split('@')[0] ?? 'leaver';
    const first = await stack.server.createUser({
      email: `${tag}-1@example.com`,
      password: PASSWORD,
      role: 'members',
    });
    const second = await stack.server.createUser({
      email: `${tag}-2@example.com`,
      password: PASSWORD,
      role: 'members',
    });
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...admin, password: PASSWORD });
    expect(await textOf(page, 'me-email')).toBe(adminEmail);

    // Load more, while the next page loads: busy, and still focused
    const more = await holdNextPage(page, '/api/admin/users');
    await page.goto(`${stack.server.url}/admin/users?q=${encodeURIComponent(tag)}`);
    await page.getByRole('button', { name: 'Load more' }).focus();
    await page.keyboard.press('Enter');
    const loading = page.getByRole('button', { name: 'Loading…' });
    await loading.waitFor();
    expect(await loading.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Loading…');
    more.release();
    await loading.waitFor({ state: 'detached' });
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Prepare: the first one disabled over an hour ago, so they can be erased
    await page.reload();
    const rows = page.getByTestId('user-row');
    await expect.poll(() => rows.count()).toBe(2);
    const erased = (await rows.first().getAttribute('data-user-id')) === first.id ? first : second;
    const kept = erased === first ? second : first;
    await page.getByRole('button', { name: `Manage ${erased.email}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'User disabled.' }).waitFor();
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(`update users set tokens_valid_after = now() - interval '61 minutes' where id = $1`, [
        erased.id,
      ]);
    } finally {
      await db.end();
    }

    // Act: erase them
    await dialog.getByRole('button', { name: 'Erase…' }).click();
    await dialog.getByTestId('confirm-typed').fill(erased.email);
    await dialog.getByRole('button', { name: 'Erase for good' }).click();
    await page
      .getByTestId('users-notice')
      .filter({ hasText: `${erased.email} was erased.` })
      .waitFor();

    // Assess: on the next person's Manage, not the top of the page
    await expect.poll(() => focused(page)).toBe(`Manage ${kept.email}`);

    await expectCleanSession(session);
    await session.context.close();
  });

  it("in the console: the manage-user dialog's confirm takes the focus, its end gives it back to the action's button, and Close to the opener", async () => {
    // Prepare: an admin, and a member locked out of signing in
    const adminEmail = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email: adminEmail, password: PASSWORD, role: 'admins' });
    const memberEmail = uniqueEmail('member');
    await stack.server.createUser({ email: memberEmail, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `insert into sign_in_attempts (username, failed_count, last_failed_at, locked_until)
         values ($1, 5, now(), now() + interval '1 hour')`,
        [memberEmail.toLowerCase()],
      );
    } finally {
      await db.end();
    }
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...admin, password: PASSWORD });
    expect(await textOf(page, 'me-email')).toBe(adminEmail);
    await page.goto(`${stack.server.url}/admin/users?q=${encodeURIComponent(memberEmail)}`);
    await page.getByRole('button', { name: `Manage ${memberEmail}` }).click();
    const dialog = page.getByRole('dialog');
    const press = async (name: string) => {
      await dialog.getByRole('button', { name, exact: true }).focus();
      await page.keyboard.press('Enter');
    };

    // Act and assess: Disable asks first, the focus on the question's Cancel; Cancel goes back to Disable
    await press('Disable');
    await dialog.getByText(`Disable ${memberEmail}?`).waitFor();
    await expect.poll(() => focused(page)).toBe('Cancel');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('Disable');

    // Act and assess: Disable confirmed: the focus on Enable, which took its place
    await page.keyboard.press('Enter');
    await press('Disable');
    await dialog.getByRole('status').filter({ hasText: 'User disabled.' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Enable');

    // Act and assess: Enable (no question) keeps it, on Disable
    await page.keyboard.press('Enter');
    await dialog.getByRole('status').filter({ hasText: 'User enabled.' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Disable');

    // Act and assess: Unlock, whose button is gone once done: the focus on the next action
    await press('Unlock');
    await dialog.getByRole('status').filter({ hasText: 'User unlocked.' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Sign out everywhere');

    // Act and assess: Sign out everywhere confirmed: back on its button
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('Cancel');
    await press('Sign out everywhere');
    await dialog.getByRole('status').filter({ hasText: 'Signed out everywhere.' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Sign out everywhere');

    // Act and assess: a role change confirmed: back on Change role
    await dialog.getByLabel('Role', { exact: true }).selectOption('auditors');
    await press('Change role');
    await expect.poll(() => focused(page)).toBe('Cancel');
    await press('Change role');
    await dialog.getByRole('status').filter({ hasText: 'Role changed to' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Change role');

    // Act and assess: Close gives the focus back to the Manage button that opened the dialog, as
    // the instructions dialog's Close does to its own
    await press('Close');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focused(page)).toBe(`Manage ${memberEmail}`);
    await page.getByRole('button', { name: 'Your instructions' }).focus();
    await page.keyboard.press('Enter');
    // Once its instructions are in, the dialog moves the keyboard to its text box (a4e5689): wait
    // for that, or it could take the focus from Close between the focus and the Enter.
    await expect.poll(() => focused(page)).toBe('instructions-text');
    await press('Close');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focused(page)).toBe('Your instructions');

    await expectCleanSession(session);
    await session.context.close();
  });

  it('on the sign-in steps and in the console: Sign in, Verify, Invite and Download CSV keep the focus through their work', async () => {
    // Prepare: an admin
    const email = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email, password: PASSWORD, role: 'admins' });
    const session = await openSession(stack.browser);
    const { page } = session;
    const pressOn = async (name: string) => {
      await page.getByRole('button', { name, exact: true }).focus();
      await page.keyboard.press('Enter');
    };

    // Act and assess: Sign in with a wrong password, from the keyboard: refused, still on Sign in
    await submitCredentials(page, stack.server.url, email, `${PASSWORD}-wrong`);
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(`${PASSWORD}-wrong`);
    await pressOn('Sign in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await expect.poll(() => focused(page)).toBe('Sign in');

    // Act and assess: a wrong TOTP code: refused, still on Verify
    await page.getByLabel('Password').fill(PASSWORD);
    await pressOn('Sign in');
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await page.getByLabel('Authentication code').fill('000000');
    await pressOn('Verify');
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Verify', exact: true }).waitFor();
    await expect.poll(() => focused(page)).toBe('Verify');

    // Act and assess: inviting someone already there: refused, still on Invite
    await signIn(page, stack.server.url, { ...admin, password: PASSWORD });
    await page.goto(`${stack.server.url}/admin/users`);
    const invite = page.getByRole('form', { name: 'Invite a user' });
    await invite.getByLabel('Email').fill(email);
    await pressOn('Invite');
    await invite.getByRole('alert').waitFor();
    await expect.poll(() => focused(page)).toBe('Invite');

    // Act and assess: inviting several, all of them: the box empties, the focus stays on Invite
    await page.getByText('Invite several people').click();
    const several = page.getByRole('form', { name: 'Invite several users' });
    await several.getByLabel('Email addresses').fill(uniqueEmail('invited'));
    await pressOn('Invite 1');
    await page.getByRole('status').filter({ hasText: 'Invited 1 of 1.' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Invite');

    // Act and assess: Download CSV keeps the focus while it reads, and after
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-table').waitFor();
    const reading = await holdRequests(page, '/api/admin/audit');
    await pressOn('Download CSV');
    const busy = page.getByRole('button', { name: /^Downloading…/ });
    await busy.waitFor();
    expect(await busy.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toMatch(/^Downloading…/);
    reading.release();
    await page.getByRole('button', { name: 'Download CSV' }).waitFor();
    await expect.poll(() => focused(page)).toBe('Download CSV');
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the instructions dialog: the keyboard goes to the text box once the instructions are in', async () => {
    // Prepare: a member; reading their instructions held
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    const reading = await holdRequests(
      page,
      (request) => request.method() === 'GET' && new URL(request.url()).pathname === '/api/me/instructions',
    );

    // Act: open it from the keyboard
    await page.getByRole('button', { name: 'Your instructions' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Your instructions' });
    await dialog.waitFor();
    const whileLoading = await focused(page);
    reading.release();

    // Assess: on Close while the box is disabled, then in the box, where the person came to write
    expect(whileLoading).toBe('Close');
    await expect.poll(() => focused(page)).toBe('instructions-text');
    await page.keyboard.type('Answer briefly.');
    expect(await dialog.getByTestId('instructions-text').inputValue()).toBe('Answer briefly.');
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the dialogs: Save, Remove, Change password, Delete and Sign out everywhere keep the focus while they work', async () => {
    // Prepare: a member with a conversation, none open
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(`insert into conversations (owner_id, title) values ($1, 'Alpha')`, [user.id]);
    } finally {
      await db.end();
    }
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });
    const dialog = page.getByRole('dialog');
    const putInstructions = (request: Request) =>
      request.method() === 'PUT' && new URL(request.url()).pathname === '/api/me/instructions';

    // Act and assess: Save, while it saves and after (nothing left to save), keeps the focus
    await page.getByRole('button', { name: 'Your instructions' }).click();
    const text = dialog.getByTestId('instructions-text');
    await expect.poll(() => text.isEnabled()).toBe(true);
    await text.fill('Answer briefly.');
    let saving = await holdRequests(page, putInstructions);
    await dialog.getByRole('button', { name: 'Save' }).focus();
    await page.keyboard.press('Enter');
    const busySave = dialog.getByRole('button', { name: 'Saving…' });
    await busySave.waitFor();
    expect(await busySave.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Saving…');
    saving.release();
    await dialog.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await focused(page)).toBe('Save');
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Act and assess: Remove keeps the focus while it works, then hands it to the emptied box
    saving = await holdRequests(page, putInstructions);
    const remove = dialog.getByRole('button', { name: 'Remove' });
    await remove.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => remove.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Remove');
    saving.release();
    await dialog.getByRole('status').filter({ hasText: 'Removed.' }).waitFor();
    await expect.poll(() => focused(page)).toBe('instructions-text');
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Act and assess: Change password, while Cognito answers
    const changing = await holdRequests(
      page,
      (request) => request.headers()['x-amz-target']?.endsWith('.ChangePassword') ?? false,
    );
    await page.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('New password', { exact: true }).fill(`${PASSWORD}-changed`);
    await dialog.getByLabel('Repeat the new password').fill(`${PASSWORD}-changed`);
    await dialog.getByRole('button', { name: 'Change password' }).focus();
    await page.keyboard.press('Enter');
    const busyChange = dialog.getByRole('button', { name: 'Changing…' });
    await busyChange.waitFor();
    expect(await busyChange.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Changing…');
    changing.release();
    await dialog.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    // The form gone, Done has the focus
    await expect.poll(() => focused(page)).toBe('Done');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Act and assess: Delete, while the conversation is deleted; Cancel does nothing meanwhile
    const deleting = await holdRequests(page, (request) => request.method() === 'DELETE');
    const list = page.getByTestId('conversation-list');
    await list.getByRole('listitem').filter({ hasText: 'Alpha' }).hover();
    await page.getByRole('button', { name: 'Delete Alpha' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).focus();
    await page.keyboard.press('Enter');
    const busyDelete = dialog.getByRole('button', { name: 'Deleting…' });
    await busyDelete.waitFor();
    expect(await busyDelete.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Deleting…');
    await dialog.getByRole('button', { name: 'Cancel' }).focus();
    await page.keyboard.press('Enter');
    expect(await dialog.isVisible()).toBe(true);
    deleting.release();
    await page.getByTestId('conversations-empty').waitFor();
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Act and assess: Sign out everywhere, while the sessions are ended
    const signingOut = await holdRequests(page, '/api/me/sign-out');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).focus();
    await page.keyboard.press('Enter');
    const busySignOut = dialog.getByRole('button', { name: 'Signing out…' });
    await busySignOut.waitFor();
    expect(await busySignOut.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('Signing out…');
    signingOut.release();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the sidebar and in search: the last page moves the focus from Load more or More results to the first item it brought', async () => {
    // Prepare: three conversations, newest first Charlie, Bravo, Alpha; none open; each with a
    // message about tea
    const email = uniqueEmail('member');
    const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
    const db = new pg.Client({ connectionString: stack.server.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `with added as (
           insert into conversations (owner_id, title, updated_at) values
             ($1, 'Alpha', now() - interval '3 hours'),
             ($1, 'Bravo', now() - interval '2 hours'),
             ($1, 'Charlie', now() - interval '1 hour')
           returning id, owner_id, title)
         insert into messages (conversation_id, owner_id, role, content, status)
         select id, owner_id, 'user', 'Which green tea for ' || title || '?', 'complete' from added`,
        [user.id],
      );
    } finally {
      await db.end();
    }
    const session = await openSession(stack.browser);
    const { page } = session;
    const conversationsPage = await holdLastPage(page, '/api/conversations', 1);
    await signIn(page, stack.server.url, { ...user, password: PASSWORD });

    // Act: the sidebar shows Charlie and loads the rest at once (its end is in view); Load more has
    // the focus when they come
    const nav = page.getByRole('navigation', { name: 'Conversations' });
    const loading = nav.getByRole('button', { name: 'Loading…' });
    await loading.waitFor();
    await loading.focus();
    conversationsPage.release();
    await loading.waitFor({ state: 'detached' });

    // Assess: on Bravo, the first conversation of the last page, not the top of the page
    await expect
      .poll(() => page.evaluate<string | null>('document.activeElement?.getAttribute("title") ?? null'))
      .toBe('Bravo');
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Act: in search, More results with the last page to come
    const searchPage = await holdLastPage(page, '/api/search', 1);
    await page.getByRole('link', { name: 'Search messages' }).click();
    await page.getByRole('searchbox', { name: 'Search your messages' }).fill('tea');
    await page.keyboard.press('Enter');
    const hits = '[data-testid="search-results"] > li a';
    await expect.poll(() => page.locator(hits).count()).toBe(1);
    await page.getByRole('button', { name: 'More results' }).focus();
    await page.keyboard.press('Enter');
    const loadingResults = page.getByRole('button', { name: 'Loading…' });
    await loadingResults.waitFor();
    searchPage.release();
    await loadingResults.waitFor({ state: 'detached' });

    // Assess: on the second result, the first of the last page
    await expect.poll(() => page.locator(hits).count()).toBe(3);
    await expect.poll(() => focusedAmong(page, hits)).toBe(1);

    await expectCleanSession(session);
    await session.context.close();
  });

  it('in the console: the last page moves the focus from Load more to the first row it brought', async () => {
    // Prepare: an admin, and two people whose addresses share a tag to filter by
    const adminEmail = uniqueEmail('admin');
    const admin = await stack.server.createUser({ email: adminEmail, password: PASSWORD, role: 'admins' });
    const tag = uniqueEmail('pair').split('@')[0] ?? 'pair';
    for (const n of [1, 2]) {
      await stack.server.createUser({
        email: `${tag}-${n}@example.com`,
        password: PASSWORD,
        role: 'members',
      });
    }
    const session = await openSession(stack.browser);
    const { page } = session;
    await signIn(page, stack.server.url, { ...admin, password: PASSWORD });
    expect(await textOf(page, 'me-email')).toBe(adminEmail);

    // Act: the users, one shown, Load more focused when the other comes
    let more = await holdLastPage(page, '/api/admin/users', 1);
    await page.goto(`${stack.server.url}/admin/users?q=${encodeURIComponent(tag)}`);
    await page.getByRole('button', { name: 'Load more' }).focus();
    await page.keyboard.press('Enter');
    let loading = page.getByRole('button', { name: 'Loading…' });
    await loading.waitFor();
    more.release();
    await loading.waitFor({ state: 'detached' });

    // Assess: on the second person's Manage
    const rows = page.getByTestId('user-row');
    await expect.poll(() => rows.count()).toBe(2);
    const second = await rows.nth(1).getByRole('button').getAttribute('aria-label');
    await expect.poll(() => focused(page)).toBe(second);
    await page.unrouteAll({ behavior: 'ignoreErrors' });

    // Act: the audit log, whose rows have nothing to press
    more = await holdLastPage(page, '/api/admin/audit', 1);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('button', { name: 'Load more' }).focus();
    await page.keyboard.press('Enter');
    loading = page.getByRole('button', { name: 'Loading…' });
    await loading.waitFor();
    more.release();
    await loading.waitFor({ state: 'detached' });

    // Assess: on the second row itself
    await expect.poll(() => focusedAmong(page, '[data-testid="audit-row"]')).toBe(1);

    await expectCleanSession(session);
    await session.context.close();
  });
});
