import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
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
 * A deployment that lets people pick between two models (OPENAI_MODELS), with the faithful
 * OpenAI-compatible server in place of OpenAI: the picker in the composer, the model each request
 * asks the provider for, the model shown on each reply, and the choice kept across visits.
 */

const MODELS = ['gpt-4o-mini', 'gpt-4o'] as const;
const API_KEY = 'sk-e2e-models';

let openai: FakeOpenAI;
let stack: Stack;
let session: Session;
let page: Page;

const picker = (p: Page) => p.getByLabel('Model', { exact: true });
const replies = (p: Page) => p.locator('[data-testid="message-assistant"][data-status="complete"]');

async function send(p: Page, content: string): Promise<void> {
  const before = await replies(p).count();
  await p.getByLabel('Message', { exact: true }).fill(content);
  await p.getByLabel('Message', { exact: true }).press('Enter');
  await replies(p).nth(before).waitFor();
}

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: API_KEY });
  // Read by the handlers' configuration when the dev server starts (this file has its own process).
  Object.assign(process.env, {
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_MODELS: MODELS.join(','),
  });
  stack = await startStack();
  const user = await stack.server.createUser({
    email: uniqueEmail('picker'),
    password: PASSWORD,
    role: 'members',
  });
  session = await openSession(stack.browser);
  page = session.page;
  await signIn(page, stack.server.url, { ...user, password: PASSWORD });
});

afterAll(async () => {
  await session?.context.close();
  await stack?.stop();
  await openai?.close();
});

describe('picking a model', () => {
  it('offers the allowed models, the default first and chosen, with no offline badge', async () => {
    await picker(page).waitFor();
    expect(await picker(page).inputValue()).toBe('gpt-4o-mini');
    expect(await picker(page).locator('option').allTextContents()).toEqual([
      'gpt-4o-mini (default)',
      'gpt-4o',
    ]);
    expect(await page.getByTestId('offline-badge').count()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('asks the provider for the picked model and shows it on the reply', async () => {
    // Act
    await picker(page).selectOption('gpt-4o');
    await send(page, 'Which model are you?');

    // Assess
    expect(openai.requests.at(-1)?.body?.model).toBe('gpt-4o');
    const reply = replies(page).last();
    expect(await reply.getByTestId('message-model').textContent()).toBe('gpt-4o');
    expect(await reply.textContent()).toContain('Hello from the fake model');
  });

  it('keeps the choice across visits, and each reply names the model that wrote it', async () => {
    // Act: a new visit of the same conversation, then the default again for the next message.
    await page.reload();
    await picker(page).waitFor();
    const kept = await picker(page).inputValue();
    await replies(page).first().waitFor();
    await picker(page).selectOption('gpt-4o-mini');
    await send(page, 'And now?');

    // Assess
    expect(kept).toBe('gpt-4o');
    expect(openai.requests.at(-1)?.body?.model).toBe('gpt-4o-mini');
    expect(await replies(page).getByTestId('message-model').allTextContents()).toEqual([
      'gpt-4o',
      'gpt-4o-mini',
    ]);
    await expectCleanSession(session);
  });

  it('retries a failed reply with the model it asked for, even after the picker changed', async () => {
    // Prepare: the provider fails every attempt of the next message (three, OPENAI_MAX_ATTEMPTS).
    await picker(page).selectOption('gpt-4o');
    const error = { kind: 'server-error', status: 500 } as const;
    openai.queue(error, error, error);
    const before = openai.requests.length;

    // Act
    await page.getByLabel('Message', { exact: true }).fill('Try the big one');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await page.getByTestId('chat-error').waitFor();
    await picker(page).selectOption('gpt-4o-mini');
    const stored = await replies(page).count();
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await replies(page).nth(stored).waitFor();

    // Assess: every attempt, the retry's included, asked for gpt-4o; the reply says so.
    expect(openai.requests.slice(before).map((r) => r.body?.model)).toEqual([
      'gpt-4o',
      'gpt-4o',
      'gpt-4o',
      'gpt-4o',
    ]);
    expect(await replies(page).last().getByTestId('message-model').textContent()).toBe('gpt-4o');
    // Retry wrote the failed reply again: the question is stored once, followed by its reply.
    expect(await page.getByTestId('message-user').filter({ hasText: 'Try the big one' }).count()).toBe(1);
    expect(await page.locator('[data-testid="message-assistant"][data-status="failed"]').count()).toBe(0);
  });

  it('regenerates the latest reply in place with the picked model; its rating goes with it', async () => {
    // Prepare: a reply rated up, and another model picked
    await picker(page).selectOption('gpt-4o-mini');
    await send(page, 'Name a colour');
    const latest = replies(page).last();
    await latest.getByRole('button', { name: 'Good reply' }).click();
    await expect
      .poll(() => latest.getByRole('button', { name: 'Good reply' }).getAttribute('aria-pressed'))
      .toBe('true');
    expect(await page.getByTestId('regenerate-reply').count()).toBe(1);
    const questions = await page.getByTestId('message-user').count();
    const answers = await replies(page).count();
    await picker(page).selectOption('gpt-4o');
    openai.queue({ kind: 'normal', reply: 'Teal, written again.' });
    const before = openai.requests.length;

    // Act
    await latest.getByTestId('regenerate-reply').click();
    await replies(page).last().filter({ hasText: 'Teal, written again.' }).waitFor();

    // Assess: one request, for the picked model, ending with the question; the same places
    const request = openai.requests.slice(before);
    expect(request.map((r) => r.body?.model)).toEqual(['gpt-4o']);
    expect(request[0]?.body?.messages?.at(-1)).toEqual({ role: 'user', content: 'Name a colour' });
    expect(await page.getByTestId('message-user').count()).toBe(questions);
    expect(await replies(page).count()).toBe(answers);
    expect(await replies(page).last().getByTestId('message-model').textContent()).toBe('gpt-4o');
    expect(
      await replies(page).last().getByRole('button', { name: 'Good reply' }).getAttribute('aria-pressed'),
    ).toBe('false');

    // A reload shows the reply written again, unrated, still the latest
    await page.reload();
    await replies(page).last().filter({ hasText: 'Teal, written again.' }).waitFor();
    expect(await page.getByTestId('message-user').count()).toBe(questions);
    expect(
      await replies(page).last().getByRole('button', { name: 'Good reply' }).getAttribute('aria-pressed'),
    ).toBe('false');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await expectCleanSession(session);
  });

  it('edits the latest question in place: the edited text is asked, and its reply written again', async () => {
    // Prepare
    const questions = await page.getByTestId('message-user').count();
    expect(await page.getByTestId('edit-question').count()).toBe(1);
    openai.queue({ kind: 'normal', reply: 'Crimson, for the edited question.' });
    const before = openai.requests.length;

    // Act: Edit, change the text, Send
    await page.getByTestId('edit-question').click();
    const box = page.getByLabel('Edit your message', { exact: true });
    expect(await box.inputValue()).toBe('Name a colour');
    await box.fill('Name a <b>warm</b> colour');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'parley-edit-question.png') });
    await page.getByRole('button', { name: 'Send edited message', exact: true }).click();
    await replies(page).last().filter({ hasText: 'Crimson, for the edited question.' }).waitFor();

    // Assess: the provider got the edited question last; it replaced the old one, shown as text
    expect(openai.requests.slice(before).at(-1)?.body?.messages?.at(-1)).toEqual({
      role: 'user',
      content: 'Name a <b>warm</b> colour',
    });
    expect(await page.getByTestId('message-user').count()).toBe(questions);
    expect(await page.getByTestId('message-user').last().textContent()).toContain(
      'Name a <b>warm</b> colour',
    );
    await page.reload();
    await replies(page).last().filter({ hasText: 'Crimson' }).waitFor();
    expect(await page.getByTestId('message-user').last().textContent()).toContain(
      'Name a <b>warm</b> colour',
    );
    expect(await page.getByText('Name a colour', { exact: true }).count()).toBe(0);
    await expectCleanSession(session);
  });

  it('says under a reply the model cut at its length limit that it was cut short, and asks it to go on', async () => {
    // Prepare: the provider ends the next reply, written by the default model, with finish_reason `length`
    await picker(page).selectOption('gpt-4o-mini');
    openai.queue({ kind: 'normal', reply: 'The first chapter, and then', finishReason: 'length' });

    // Act
    await send(page, 'Tell me the whole story');

    // Assess: the reply as it came, with the note and Continue; the earlier replies have none
    const cut = replies(page).last();
    await cut.filter({ hasText: 'The first chapter, and then' }).waitFor();
    const note = cut.getByTestId('reply-truncated');
    expect(await note.textContent()).toBe(
      'Cut short: the model wrote as much as it may in one reply. Continue',
    );
    expect(await cut.getByTestId('reply-stopped').count()).toBe(0);
    expect(await page.getByTestId('reply-truncated').count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'parley-reply-cut-short.png') });
    // Read from the server too, not only from the stream's end
    await page.reload();
    await replies(page).last().getByTestId('continue-reply').waitFor();

    // Continue, the other model picked: it is asked to go on, with the cut reply in the history
    await picker(page).selectOption('gpt-4o');
    openai.queue({ kind: 'normal', reply: 'And they lived happily.' });
    const before = openai.requests.length;
    await replies(page).last().getByTestId('continue-reply').click();
    await replies(page).last().filter({ hasText: 'And they lived happily.' }).waitFor();
    expect(openai.requests.slice(before).map((r) => r.body?.model)).toEqual(['gpt-4o']);
    expect(openai.requests.slice(before).at(-1)?.body?.messages?.slice(-2)).toEqual([
      { role: 'assistant', content: 'The first chapter, and then' },
      { role: 'user', content: 'Continue from where you stopped.' },
    ]);
    expect(await page.getByTestId('message-user').last().textContent()).toContain(
      'Continue from where you stopped.',
    );
    // The cut reply keeps its note, without Continue (it is no longer the latest)
    expect(await page.getByTestId('reply-truncated').count()).toBe(1);
    expect(await page.getByTestId('continue-reply').count()).toBe(0);

    // A cut reply written again whole says nothing of a cut
    openai.queue({ kind: 'normal', reply: 'Short again', finishReason: 'length' });
    await send(page, 'And the next one?');
    await replies(page).last().getByTestId('reply-truncated').waitFor();
    expect(await page.getByTestId('reply-truncated').count()).toBe(2);
    openai.queue({ kind: 'normal', reply: 'The next one, whole.' });
    await replies(page).last().getByTestId('regenerate-reply').click();
    await replies(page).last().filter({ hasText: 'The next one, whole.' }).waitFor();
    expect(await page.getByTestId('reply-truncated').count()).toBe(1);
    await expectCleanSession(session);
  });
});

describe('your own instructions', () => {
  it('sets them in the account dialog, sends them after the organisation’s with the next message, and removes them', async () => {
    // Act: write them in the dialog
    await page.getByRole('button', { name: 'Your instructions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your instructions' });
    const text = dialog.getByTestId('instructions-text');
    await expect.poll(() => text.isEnabled()).toBe(true);
    expect(await text.inputValue()).toBe('');
    await text.fill('Answer in French.\nKeep it <b>short</b>.');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Assess: the next message carries them, after the organisation's prompt, as the person's
    const before = openai.requests.length;
    await send(page, 'Bonjour');
    const system = openai.requests.slice(before).at(-1)?.body?.messages?.[0];
    expect(system?.role).toBe('system');
    expect(system?.content).toMatch(/^You are Parley/);
    expect(system?.content).toContain(
      '<user-instructions>\nAnswer in French.\nKeep it <b>short</b>.\n</user-instructions>',
    );

    // A reload shows them; Remove takes them away from the next message
    await page.reload();
    await page.getByRole('button', { name: 'Your instructions' }).click();
    await expect.poll(() => text.inputValue()).toBe('Answer in French.\nKeep it <b>short</b>.');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Removed.' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const after = openai.requests.length;
    await send(page, 'Hello');
    expect(openai.requests.slice(after).at(-1)?.body?.messages?.[0]?.content).not.toContain(
      'user-instructions',
    );
    await expectCleanSession(session);
  });
});
