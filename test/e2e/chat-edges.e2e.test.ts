import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectCleanSession, openSession, PASSWORD, signIn, startStack, uniqueEmail } from './support';
import type { Session, Stack } from './support';

/**
 * The chat at its edges, as a hurried person or a hostile model would meet it: a rate limit's
 * Retry-After, a conversation left while its reply streams, Enter pressed twice, and text with no
 * place to break or with direction overrides. The dev server's offline model, under the
 * production CSP.
 */

let stack: Stack;
let memberId: string;
let session: Session;
let page: Page;

const SEND_ROUTE = '**/api/conversations/*/messages';

function composer(p: Page) {
  return p.getByLabel('Message', { exact: true });
}

function storedReplies(p: Page) {
  return p.locator('[data-testid="message-assistant"][data-status="complete"]');
}

function isSend(method: string, url: string): boolean {
  return method === 'POST' && /\/api\/conversations\/[^/]+\/messages$/.test(url);
}

/** A conversation of this member holding one question and `reply`, stored as the model's. */
async function seedConversation(title: string, question: string, reply: string): Promise<string> {
  const db = new pg.Client({ connectionString: stack.server.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>(
      `with c as (
         insert into conversations (owner_id, title, message_count) values ($1, $2, 2) returning id
       ),
       q as (
         insert into messages (conversation_id, owner_id, role, content, status, created_at)
         select id, $1, 'user', $3, 'complete', now() - interval '1 second' from c
       )
       insert into messages (conversation_id, owner_id, role, content, status, model)
       select id, $1, 'assistant', $4, 'complete', 'offline' from c
       returning conversation_id as id`,
      [memberId, title, question, reply],
    );
    return rows[0]?.id ?? '';
  } finally {
    await db.end();
  }
}

beforeAll(async () => {
  // The offline model's reply takes about 2 s: long enough to leave the conversation mid-stream.
  process.env.OFFLINE_MODEL_DELAY_MS = '50';
  stack = await startStack();
  const email = uniqueEmail('edges');
  const user = await stack.server.createUser({ email, password: PASSWORD, role: 'members' });
  memberId = user.id;
  session = await openSession(stack.browser);
  page = session.page;
  await signIn(page, stack.server.url, { ...user, password: PASSWORD });
  await composer(page).waitFor();
});

afterAll(async () => {
  await session?.context.close();
  await stack?.stop();
});

describe('the chat at its edges', () => {
  it("holds Retry until a rate limit's Retry-After has passed, counting it down, then sends", async () => {
    // Prepare: a new chat, and the server refusing the first send as its rate limit does
    await page.getByTestId('new-chat').click();
    await page.getByTestId('chat-title').filter({ hasText: 'New chat' }).waitFor();
    let sends = 0;
    await page.route(SEND_ROUTE, async (intercepted) => {
      if (!isSend(intercepted.request().method(), intercepted.request().url())) return intercepted.fallback();
      sends += 1;
      if (sends > 1) return intercepted.fallback();
      await intercepted.fulfill({
        status: 429,
        headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '3' },
        body: JSON.stringify({
          type: 'https://parley.example/problems/rate-limited',
          title: 'Too many requests',
          status: 429,
          detail: 'You can send at most 20 messages a minute.',
        }),
      });
    });

    // Act
    await composer(page).fill('Sent too soon, then in time');
    await composer(page).press('Enter');

    // Assess: the wait is said, and Retry counts it down, held (aria-disabled, still focusable)
    const failure = page.getByTestId('chat-error');
    await failure.filter({ hasText: 'Try again in 3 seconds.' }).waitFor();
    const retry = failure.getByRole('button', { name: /^Retry/ });
    expect(await retry.textContent()).toMatch(/^Retry in [1-3] s$/);
    expect(await retry.getAttribute('aria-disabled')).toBe('true');

    // Act and assess: pressed during the wait, it sends nothing (force: Playwright itself waits
    // for an aria-disabled button to be enabled)
    await retry.click({ force: true });
    await page.waitForTimeout(300);
    expect(sends).toBe(1);

    // Act and assess: once the wait is over it is Retry again, and sends the message
    await expect.poll(() => retry.textContent(), { timeout: 6_000 }).toBe('Retry');
    expect(await retry.getAttribute('aria-disabled')).toBeNull();
    await retry.click();
    await failure.waitFor({ state: 'detached' });
    await storedReplies(page).last().waitFor();
    expect(sends).toBe(2);
    expect(
      await page.getByTestId('message-user').filter({ hasText: 'Sent too soon, then in time' }).count(),
    ).toBe(1);
    await page.unroute(SEND_ROUTE);
  });

  it('keeps the words of a reply in its own conversation when another is opened mid-stream', async () => {
    // Prepare: two conversations, the first open
    const first = await seedConversation('Streams here', 'Earlier question', 'Earlier answer');
    const second = await seedConversation('Opened meanwhile', 'Another question', 'Another answer');
    await page.goto(`${stack.server.url}/c/${first}`);
    await storedReplies(page).first().waitFor();

    // Act: send, and open the second conversation once the reply has begun to stream
    await composer(page).fill('Write slowly, I am leaving');
    await composer(page).press('Enter');
    await page.locator('[data-testid="streaming-reply"] [data-testid="message-assistant"]').waitFor();
    await page
      .getByTestId('conversation-list')
      .getByRole('link', { name: /Opened meanwhile/ })
      .click();
    await page.waitForURL((url) => url.pathname === `/c/${second}`);

    // Assess: for longer than the reply takes, the second shows only its own messages
    for (let look = 0; look < 12; look += 1) {
      await page.waitForTimeout(250);
      const text = await page.locator('.chat__messages').textContent();
      expect(text).not.toContain('Write slowly');
      expect(text).not.toContain('[Offline model]');
      expect(await page.getByTestId('streaming-reply').count()).toBe(0);
    }
    expect(await page.getByTestId('chat-title').textContent()).toBe('Opened meanwhile');

    // Assess: back in the first, the question and its reply (finished by the server) once each
    await page
      .getByTestId('conversation-list')
      .getByRole('link', { name: /Streams here/ })
      .click();
    await page.waitForURL((url) => url.pathname === `/c/${first}`);
    await expect.poll(() => storedReplies(page).count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByTestId('message-user').filter({ hasText: 'Write slowly' }).count()).toBe(1);
  });

  it('sends a message once when Enter is pressed twice', async () => {
    // Prepare
    await page.getByTestId('new-chat').click();
    await page.getByTestId('chat-title').filter({ hasText: 'New chat' }).waitFor();
    const sent: string[] = [];
    page.on('request', (request) => {
      if (isSend(request.method(), request.url())) sent.push(request.url());
    });

    // Act
    await composer(page).fill('Only once, please');
    await composer(page).press('Enter');
    await composer(page).press('Enter');

    // Assess
    await storedReplies(page).last().waitFor();
    await page.reload();
    await storedReplies(page).last().waitFor();
    expect(await page.getByTestId('message-user').filter({ hasText: 'Only once, please' }).count()).toBe(1);
    expect(sent).toHaveLength(1);
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 360, height: 740 },
  ]) {
    it(`breaks text with no place to break inside its message, never widening the page (${viewport.width} px)`, async () => {
      // Prepare: a question and a reply of long unbroken strings, in each place Markdown puts one
      const word = 'x'.repeat(600);
      const url = `https://example.com/${'a'.repeat(400)}`;
      const reply = [
        word,
        '',
        `\`${word}\``,
        '',
        `[${word}](${url}) ${url}`,
        '',
        `| ${word} | b |`,
        '|---|---|',
        `| ${word} | d |`,
        '',
        `- ${word}`,
        '',
        `> ${word}`,
        '',
        '```',
        word,
        '```',
      ].join('\n');
      const id = await seedConversation(word.slice(0, 200), word, reply);
      await page.setViewportSize(viewport);

      // Act
      await page.goto(`${stack.server.url}/c/${id}`);
      await storedReplies(page).first().waitFor();

      // Assess: nothing is wider than the window, and the messages do not scroll sideways (a code
      // block and a table may scroll inside themselves)
      const widths = await page.evaluate<{
        page: number;
        window: number;
        messages: number;
        scroller: number;
      }>(`({
        page: document.documentElement.scrollWidth,
        window: document.documentElement.clientWidth,
        messages: document.querySelector('.chat__messages').scrollWidth,
        scroller: document.querySelector('[data-testid="chat-scroller"]').clientWidth,
      })`);
      expect(widths.page).toBeLessThanOrEqual(widths.window);
      expect(widths.messages).toBeLessThanOrEqual(widths.scroller);
      await page.setViewportSize({ width: 1280, height: 800 });
    });
  }

  it('keeps a direction override inside the link, message or title that holds it', async () => {
    // Prepare: text carrying RIGHT-TO-LEFT OVERRIDE (U+202E) with no end to it, in a title, a
    // question and a reply's link; each followed by words that must still read left to right
    const rlo = '\u202E';
    const id = await seedConversation(
      `Invoice ${rlo}fdp.exe`,
      `See ${rlo}gnp.exe`,
      `Open [the ${rlo}gnp.exe](https://example.com/x) and then read on.`,
    );

    // Act
    await page.goto(`${stack.server.url}/c/${id}`);
    await storedReplies(page).first().waitFor();

    // Assess: the text after the link keeps its order. Chromium lays out characters in visual
    // order: the word 'read' after an unended override in the link would be drawn reversed.
    const readsInOrder = await page.evaluate<boolean>(`(() => {
      const reply = document.querySelector('[data-testid="message-assistant"] .markdown');
      const walker = document.createTreeWalker(reply, NodeFilter.SHOW_TEXT);
      let node;
      while ((node = walker.nextNode())) {
        const at = node.data.indexOf('read on');
        if (at < 0) continue;
        const range = document.createRange();
        const xs = [];
        for (let i = at; i < at + 4; i += 1) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          xs.push(range.getBoundingClientRect().left);
        }
        return xs.every((x, i) => i === 0 || x > xs[i - 1]);
      }
      return false;
    })()`);
    expect(readsInOrder).toBe(true);
  });

  it('names a conversation being deleted in its own direction, and says it was deleted in a region there before', async () => {
    // Prepare: a conversation titled right to left, not the open one
    const title = 'תוכנית לסוף השבוע';
    await seedConversation(title, 'שאלה', 'תשובה');
    await page.goto(stack.server.url);
    const list = page.getByTestId('conversation-list');
    const item = list.getByRole('listitem').filter({ hasText: title });
    await item.waitFor();
    // A live region is read out when what it holds changes, so it must be there before
    const regionsBefore = await page.locator('nav [role="status"], nav [aria-live="polite"]').count();

    // Act
    await item.hover();
    await page.getByRole('button', { name: `Delete ${title}` }).click();
    const dialog = page.getByRole('dialog');

    // Assess: the dialog names it in its own direction
    expect(await dialog.locator('.dialog__subject').getAttribute('dir')).toBe('auto');

    // Act
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await item.waitFor({ state: 'detached' });

    // Assess: said in the region that was there, the title in its own direction
    expect(regionsBefore).toBeGreaterThan(0);
    const said = page.locator('nav [role="status"]').filter({ hasText: `Deleted “${title}”.` });
    expect(await said.count()).toBe(1);
    const notice = page.getByTestId('deleted-notice');
    expect(await notice.locator('[dir="auto"]').textContent()).toBe(title);
  });

  it('says the password is changed to whoever the Done button takes the keyboard to', async () => {
    // Prepare
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('New password', { exact: true }).fill(`${PASSWORD}-changed`);
    await dialog.getByLabel('Repeat the new password').fill(`${PASSWORD}-changed`);

    // Act
    await dialog.getByRole('button', { name: 'Change password' }).press('Enter');

    // Assess: the keyboard is on Done, which a screen reader reads with what happened (the
    // outcome appeared with the focus move, so no live region is read out before it)
    await dialog.getByRole('button', { name: 'Done' }).waitFor();
    const focused = await page.evaluate<{ name: string; description: string }>(`(() => {
      const active = document.activeElement;
      const ids = (active?.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
      return {
        name: active?.textContent ?? '',
        description: ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
      };
    })()`);
    expect(focused.name).toBe('Done');
    expect(focused.description).toMatch(/^Your password is changed\./);
    await dialog.getByRole('button', { name: 'Done' }).click();
  });

  it('saw no CSP violation and no page error throughout', async () => {
    await expectCleanSession(session);
  });
});
