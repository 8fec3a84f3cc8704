// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import { ChatView, linkedMessageId, replyAnnouncement } from '@/features/chat/components/chat-view';
import { CONVERSATION, FakeServer, QUESTION, REPLY, message } from '@/features/chat/testing/fake-chat-server';
import { readDraft } from '@/features/chat/utils/drafts';

const EARLIER_CONVERSATION = '3e9c5d85-b18b-4d84-8a3b-6fbd4c7e5baa';
const EARLIER_QUESTION = '4fad6e96-c29c-4e95-9b4c-70ce5d8f6cbb';
const EARLIER_REPLY = '5abe7fa7-d3ad-4fa6-8c5d-81df6e907dcc';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('linkedMessageId', () => {
  it('reads the message a link points at from its fragment', () => {
    expect(linkedMessageId('#m-0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77')).toBe(
      '0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77',
    );
    expect(linkedMessageId('#m-a%20b')).toBe('a b');
  });

  it('links to no message when there is no such fragment', () => {
    expect(linkedMessageId('')).toBeNull();
    expect(linkedMessageId('#m-')).toBeNull();
    expect(linkedMessageId('#top')).toBeNull();
  });

  it('links to no message, instead of throwing, when the fragment cannot be decoded', () => {
    expect(linkedMessageId('#m-%')).toBeNull();
    expect(linkedMessageId('#m-%E0%A4%A')).toBeNull();
    expect(linkedMessageId('#m-abc%zz')).toBeNull();
  });
});

describe('replyAnnouncement', () => {
  it('says the reply as plain text, not its Markdown', () => {
    expect(replyAnnouncement('**Note**: see [the guide](https://example.com) and `npm start`.')).toBe(
      'Parley replied: Note: see the guide and npm start.',
    );
  });

  it('reads a long reply to 1,000 characters of its text, never half an emoji', () => {
    const announced = replyAnnouncement(`**${'a'.repeat(999)}🙂${'b'.repeat(100)}**`);
    expect(announced).toBe(`Parley replied: ${'a'.repeat(999)}…`);
    expect(replyAnnouncement(`# ${'c'.repeat(1_000)}`)).toBe(`Parley replied: ${'c'.repeat(1_000)}`);
  });

  it('says a reply was cut short, and that Continue is offered, or that it was stopped', () => {
    expect(replyAnnouncement('Once upon', { truncated: true })).toBe(
      'Parley replied: Once upon Cut short: the model wrote as much as it may in one reply. Continue is offered below it.',
    );
    expect(replyAnnouncement('Here is', { stopped: true })).toBe(
      'Parley replied: Here is Stopped before the end.',
    );
  });
});

describe('ChatView', () => {
  let server: FakeServer;
  let root: Root;

  beforeEach(() => {
    sessionStorage.clear();
    localStorage.clear();
    server = new FakeServer();
    root = createRoot(document.body.appendChild(document.createElement('div')));
  });

  afterEach(() => {
    act(() => root.unmount());
    document.body.innerHTML = '';
  });

  async function openView(conversationId: string | null, models?: readonly string[]) {
    const api = createApiClient({
      baseUrl: '/api',
      origin: 'http://localhost',
      getAccessToken: async () => 'token',
      fetch: server.fetch,
    });
    const view = createElement(ChatView, {
      conversationId,
      title: 'A conversation',
      createConversation: async () => CONVERSATION,
      onConversationCreated: () => undefined,
      onReplyEnded: () => undefined,
      ...(models === undefined ? {} : { models }),
    });
    await act(async () => root.render(createElement(ApiClientProvider, { client: api, children: view })));
  }

  /** Lets the fake server's answers and the view's effects run. */
  async function settle() {
    for (let i = 0; i < 8; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  async function until(done: () => boolean, ms = 5_000) {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await settle();
      await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    }
  }

  const pageText = () => (document.body.textContent ?? '').replace(/\s+/g, ' ');
  const composerBox = () => document.querySelector<HTMLTextAreaElement>('textarea[name=content]');
  /** The status of each of the person's messages shown, oldest first. */
  const userBubbles = () =>
    [...document.querySelectorAll('[data-testid=message-user]')].map((bubble) =>
      bubble.getAttribute('data-status'),
    );

  function type(value: string) {
    const box = composerBox();
    if (!box) throw new Error('no composer');
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
    act(() => {
      setValue?.call(box, value);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  function press(name: string) {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
    if (!button) throw new Error(`no button ${name}: ${pageText()}`);
    act(() => button.click());
  }

  /** A reply the model ended at its length limit (the server marks it truncated). */
  const cutShort = (id: string, content: string) => ({
    ...message(id, 'assistant', content, 'complete'),
    truncated: true,
  });

  it('shows the question once and no error when Retry after a lost connection meets the reply still being written', async () => {
    // Prepare: a message sent and stored, its reply begun, the connection lost; the server writes on
    await openView(CONVERSATION);
    await settle();
    type('Q');
    press('Send');
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Q', 'complete')));
    act(() => server.streams[0]?.send('delta', { text: 'Half' }));
    await settle();
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Half', 'streaming'),
    ];
    act(() => server.streams[0]?.cut());
    await settle();

    // Act: Retry, answered 409 while the reply is written; then the reply ends
    server.refuseNext = {
      status: 409,
      title: 'Conflict',
      detail: 'A reply is still being written in this conversation; wait for it, then send again.',
    };
    press('Retry');
    await settle();
    expect(pageText()).not.toContain('Not sent.');
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Half, whole.', 'complete'),
    ];
    await until(() => pageText().includes('Half, whole.'));

    // Assess
    expect(userBubbles()).toEqual(['complete']);
    expect(document.querySelector('[data-testid=chat-error]')).toBeNull();
  });

  it('keeps a message sent to a conversation deleted in another tab for the new chat', async () => {
    // Prepare: the conversation open here; another tab deletes it
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', 'A', 'complete')];
    await openView(CONVERSATION);
    await settle();
    type('A long message typed with care');
    const gone = { status: 404, title: 'Not Found', detail: 'No such conversation.' };
    server.refuseNext = gone;
    server.refuseReads = gone;

    // Act
    press('Send');
    await settle();

    // Assess: the page says it is gone and where the text is; no Retry against it
    expect(pageText()).toContain('Conversation not found');
    expect(pageText()).toContain('What you wrote for it is kept in the new chat.');
    expect(document.querySelector('[data-testid=chat-error]')).toBeNull();
    expect(readDraft(sessionStorage, CONVERSATION)).toBe('');
    expect(readDraft(sessionStorage, null)).toBe('A long message typed with care');

    // ...and the new chat's composer holds it
    server.refuseReads = null;
    await openView(null);
    await settle();
    expect(composerBox()?.value).toBe('A long message typed with care');
  });

  it('keeps an edited question the server refused in its edit box, to send again', async () => {
    // Prepare: a question and its answer; the quota is used up
    server.held = [
      message(QUESTION, 'user', 'Original', 'complete'),
      message(REPLY, 'assistant', 'Answer', 'complete'),
    ];
    await openView(CONVERSATION);
    await settle();
    act(() => document.querySelector<HTMLButtonElement>('[data-testid=edit-question]')?.click());
    const editBox = () => document.querySelector<HTMLTextAreaElement>('.message__edit-input');
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
    act(() => {
      setValue?.call(editBox(), 'Edited at length');
      editBox()?.dispatchEvent(new Event('input', { bubbles: true }));
    });
    server.refuseNext = { status: 429, title: 'Too Many Requests', detail: 'Monthly token quota used up.' };

    // Act
    act(() => document.querySelector<HTMLButtonElement>('[aria-label="Send edited message"]')?.click());
    await settle();

    // Assess: the refusal said, and the edit still there, in its box, beside Retry
    expect(document.querySelector('[data-testid=chat-error]')?.textContent).toContain('Limit reached.');
    expect(editBox()?.value).toBe('Edited at length');
    expect(server.keys).toHaveLength(1);
  });

  it('keeps the Retry countdown out of the alert, so the error is said once, not every second', async () => {
    // Prepare: the model's rate limit, with Retry-After
    await openView(CONVERSATION);
    await settle();
    type('Q');
    server.refuseNext = {
      status: 429,
      title: 'Too Many Requests',
      detail: 'Too many messages; wait a moment.',
      retryAfter: 5,
    };

    // Act: sent, refused; a second and more of the countdown passes
    press('Send');
    await settle();
    const alert = () => document.querySelector('[role=alert]');
    const before = alert()?.textContent;
    await act(() => new Promise((resolve) => setTimeout(resolve, 1_300)));

    // Assess: the alert says the same as before, and the counting button is beside it, not in it
    expect(before).toContain('Limit reached.');
    expect(document.querySelector('[data-testid=chat-error]')?.textContent).toContain('Retry in 4 s');
    expect(alert()?.textContent).toBe(before);
    expect(alert()?.querySelector('button')).toBeNull();
  });

  it('continues a cut-short reply with the model chosen in the picker, not the default', async () => {
    // Prepare: two models offered; the latest reply cut short; the second model picked
    server.held = [message(QUESTION, 'user', 'A long story', 'complete'), cutShort(REPLY, 'Once upon')];
    await openView(CONVERSATION, ['model-default', 'model-chosen']);
    await settle();
    const picker = document.querySelector<HTMLSelectElement>('[data-testid=model-picker]');
    const setValue = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')?.set;
    act(() => {
      setValue?.call(picker, 'model-chosen');
      picker?.dispatchEvent(new Event('change', { bubbles: true }));
    });

    // Act
    press('Continue');
    await settle();

    // Assess: the message asking it to go on, to the model picked
    expect(server.bodies).toEqual([{ content: 'Continue from where you stopped.', model: 'model-chosen' }]);
  });

  it('announces a reply cut short at the length limit as cut short, not as a whole answer', async () => {
    // Prepare: a question sent, its reply being written
    await openView(CONVERSATION);
    await settle();
    type('A long story');
    press('Send');
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'A long story', 'complete')));
    act(() => server.streams[0]?.send('delta', { text: 'Once upon' }));
    await settle();

    // Act: the model stops at its limit; the server stores the reply as cut short
    server.held = [message(QUESTION, 'user', 'A long story', 'complete'), cutShort(REPLY, 'Once upon')];
    act(() => server.streams[0]?.send('done', cutShort(REPLY, 'Once upon')));
    await until(() => document.querySelector('[data-testid=reply-truncated]') !== null);

    // Assess
    const said = () => document.querySelector('[data-testid=reply-announcement]')?.textContent ?? '';
    await until(() => said().startsWith('Parley replied'));
    expect(said()).toContain('Parley replied: Once upon');
    expect(said()).toContain('Cut short');
  });

  it('offers Continue on the latest cut-short reply only', async () => {
    // Prepare: an earlier reply cut short too
    server.held = [
      message(EARLIER_QUESTION, 'user', 'First', 'complete'),
      cutShort(EARLIER_REPLY, 'First answer'),
      message(QUESTION, 'user', 'Second', 'complete'),
      cutShort(REPLY, 'Second answer'),
    ];

    // Act
    await openView(CONVERSATION);
    await settle();

    // Assess: both say they were cut short; only the latest can be continued
    expect(document.querySelectorAll('[data-testid=reply-truncated]')).toHaveLength(2);
    const continues = [...document.querySelectorAll('[data-testid=continue-reply]')];
    expect(continues.map((button) => button.closest('article')?.id)).toEqual([`m-${REPLY}`]);
  });

  it("names the browser tab after the page: the conversation's title, a new chat, or one not found", async () => {
    // Act and assess: a new chat
    await openView(null);
    await settle();
    expect(document.title).toBe('New chat – Parley');

    // Act and assess: a conversation
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', 'A', 'complete')];
    await openView(CONVERSATION);
    await settle();
    expect(document.title).toBe('A conversation – Parley');

    // Act and assess: one deleted, or another person's
    server.refuseReads = { status: 404, title: 'Not Found', detail: 'No such conversation.' };
    await openView(EARLIER_CONVERSATION);
    await settle();
    expect(document.title).toBe('Conversation not found – Parley');
  });

  it('offers no export of a conversation that was not found', async () => {
    // Prepare: a conversation that opens offers its export
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', 'A', 'complete')];
    await openView(CONVERSATION);
    await settle();
    const exportGroup = () => document.querySelector('[aria-label="Export this conversation"]');
    expect(exportGroup()).not.toBeNull();

    // Act: one deleted, or another person's, is opened
    server.refuseReads = { status: 404, title: 'Not Found', detail: 'No such conversation.' };
    await openView(EARLIER_CONVERSATION);
    await settle();

    // Assess: nothing that could only be refused the same way
    expect(document.querySelector('[data-testid=conversation-not-found]')).not.toBeNull();
    expect(exportGroup()).toBeNull();
  });
});
