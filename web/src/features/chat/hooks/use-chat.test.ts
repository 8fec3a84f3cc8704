// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Mock } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-client-context';
import type { Message } from '@/features/chat/api/message-schema';
import { useChat } from '@/features/chat/hooks/use-chat';
import type { Chat, ChatOptions } from '@/features/chat/hooks/use-chat';
import { CONVERSATION, FakeServer, QUESTION, REPLY, message } from '@/features/chat/testing/fake-chat-server';
import { CONVERSATION_CHANNEL } from '@/features/chat/utils/conversation-channel';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let server: FakeServer;
let root: Root;
let chat: Chat;
let options: {
  createConversation: Mock<ChatOptions['createConversation']>;
  onConversationCreated: Mock<ChatOptions['onConversationCreated']>;
  onReplyEnded: Mock<ChatOptions['onReplyEnded']>;
  onUnsent: Mock<(content: string) => void>;
};

function Probe({ conversationId }: { conversationId: string | null }): null {
  chat = useChat(conversationId, options);
  return null;
}

async function open(conversationId: string | null) {
  const api = createApiClient({
    baseUrl: '/api',
    origin: 'http://localhost',
    getAccessToken: async () => 'token',
    fetch: server.fetch,
  });
  await act(async () =>
    root.render(
      createElement(ApiClientProvider, { client: api, children: createElement(Probe, { conversationId }) }),
    ),
  );
}

/** Lets the fake server's answers and the hook's effects run. */
async function settle() {
  for (let i = 0; i < 5; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

/** Settles until `done` holds, for at most `ms` of real time (the polls wait a second). */
async function until(done: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) {
    await settle();
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
  }
}

beforeEach(() => {
  server = new FakeServer();
  options = {
    createConversation: vi.fn(async () => CONVERSATION),
    onConversationCreated: vi.fn(),
    onReplyEnded: vi.fn(),
    onUnsent: vi.fn(),
  };
  root = createRoot(document.body.appendChild(document.createElement('div')));
});

afterEach(() => {
  act(() => root.unmount());
  document.body.innerHTML = '';
});

describe('useChat: Stop before the server has the message', () => {
  it('gives the text back and deletes the conversation the send made, which holds nothing', async () => {
    // Prepare: a new chat, its message sent, the server silent so far
    await open(null);
    act(() => chat.send('Never mind'));
    await settle();
    expect(server.requests).toContain(`POST /api/conversations/${CONVERSATION}/messages`);

    // Act
    act(() => chat.stop());
    await settle();

    // Assess: the text is back for the composer; the empty conversation is gone, never shown
    expect(options.onUnsent).toHaveBeenCalledWith('Never mind');
    expect(server.requests).toContain(`DELETE /api/conversations/${CONVERSATION}`);
    expect(options.onConversationCreated).not.toHaveBeenCalled();
    expect(chat.conversationId).toBeNull();
    expect(chat.turn).toBeNull();
    expect(chat.busy).toBe(false);
  });

  it('keeps the conversation the send made when the server has the message after all, and gives nothing back', async () => {
    // Prepare: the server stored the message, but its `message` event has not come yet
    await open(null);
    act(() => chat.send('Stored before the Stop'));
    await settle();
    server.held = [
      message(QUESTION, 'user', 'Stored before the Stop', 'complete'),
      message(REPLY, 'assistant', 'Done', 'complete'),
    ];

    // Act
    act(() => chat.stop());
    await settle();

    // Assess
    expect(options.onUnsent).not.toHaveBeenCalled();
    expect(server.requests).not.toContain(`DELETE /api/conversations/${CONVERSATION}`);
    expect(options.onConversationCreated).toHaveBeenCalledWith(CONVERSATION);
    expect(chat.messages.map((m) => m.id)).toEqual([QUESTION, REPLY]);
  });

  it('gives the text back in a conversation that holds other messages, and deletes nothing', async () => {
    // Prepare
    server.held = [
      message(QUESTION, 'user', 'Earlier', 'complete'),
      message(REPLY, 'assistant', 'Answered', 'complete'),
    ];
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('A second thought'));
    await settle();

    // Act
    act(() => chat.stop());
    await settle();

    // Assess
    expect(options.onUnsent).toHaveBeenCalledWith('A second thought');
    expect(server.requests.filter((r) => r.startsWith('DELETE'))).toEqual([]);
    expect(chat.conversationId).toBe(CONVERSATION);
    expect(chat.messages).toHaveLength(2);
  });

  it('gives nothing back once the server has the message', async () => {
    // Prepare
    server.held = [];
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Arrived'));
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Arrived', 'complete')));
    await settle();

    // Act
    act(() => chat.stop());
    await settle();

    // Assess
    expect(options.onUnsent).not.toHaveBeenCalled();
  });
});

describe('useChat: Stop during a regeneration', () => {
  it('stops the regenerated reply when Stop came before the server started writing it', async () => {
    // Prepare: a reply being written again, the server silent so far
    server.held = [
      message(QUESTION, 'user', 'Tell me more', 'complete'),
      message(REPLY, 'assistant', 'Short', 'complete'),
    ];
    await open(CONVERSATION);
    await settle();
    act(() => chat.regenerate(REPLY));
    await settle();

    // Act: Stop, then the server starts writing it
    act(() => chat.stop());
    await settle();
    expect(chat.busy).toBe(true);
    server.held = [
      message(QUESTION, 'user', 'Tell me more', 'complete'),
      { ...message(REPLY, 'assistant', '', 'complete'), stopped: true },
    ];
    act(() => server.streams[0]?.send('message', message(REPLY, 'assistant', '', 'streaming')));
    await settle();

    // Assess: the server was asked to stop that reply, and the view shows what it stored
    expect(server.requests).toContain(`POST /api/conversations/${CONVERSATION}/messages/${REPLY}/stop`);
    expect(chat.turn).toBeNull();
    expect(chat.busy).toBe(false);
    expect(chat.messages.at(-1)?.stopped).toBe(true);
  });

  it('stops nothing when the regeneration was refused before it started', async () => {
    // Prepare
    server.held = [
      message(QUESTION, 'user', 'Tell me more', 'complete'),
      message(REPLY, 'assistant', 'Short', 'complete'),
    ];
    await open(CONVERSATION);
    await settle();
    act(() => chat.regenerate(REPLY));
    await settle();

    // Act: Stop, then the stream breaks off before any event
    act(() => chat.stop());
    await settle();
    act(() => server.streams[0]?.send('error', { type: 'about:blank', title: 'Too many', status: 429 }));
    await settle();

    // Assess: no stop asked, the reply as it was, the composer free
    expect(server.requests.filter((r) => r.endsWith('/stop'))).toEqual([]);
    expect(chat.messages.at(-1)?.content).toBe('Short');
    expect(chat.busy).toBe(false);
  });
});

describe('useChat: a reply written elsewhere', () => {
  const whole = `GET /api/conversations/${CONVERSATION}/messages`;

  /** The conversation open, its reply being written by another tab. */
  async function openWrittenElsewhere() {
    server.held = [
      message(QUESTION, 'user', 'Asked elsewhere', 'complete'),
      message(REPLY, 'assistant', 'Half', 'streaming'),
    ];
    await open(CONVERSATION);
    await settle();
  }

  it('reads that reply alone while it is written, and the conversation again once it has ended', async () => {
    // Prepare: another tab's reply, being written when the view opens
    await openWrittenElsewhere();
    const alone = `GET /api/conversations/${CONVERSATION}/messages/${REPLY}`;
    expect(server.requests.filter((r) => r === whole)).toHaveLength(1);

    // Act: the reply grows, then ends
    server.held = [server.held[0] as Message, message(REPLY, 'assistant', 'Half a reply', 'streaming')];
    await until(() => chat.messages.at(-1)?.content === 'Half a reply');
    const readWhileWritten = server.requests.filter((r) => r === whole).length;
    server.held = [
      server.held[0] as Message,
      message(REPLY, 'assistant', 'Half a reply, whole.', 'complete'),
    ];
    await until(() => options.onReplyEnded.mock.calls.length > 0);

    // Assess: the reply alone was read while it was written; the whole conversation once more
    expect(readWhileWritten).toBe(1);
    expect(server.requests.filter((r) => r === alone).length).toBeGreaterThanOrEqual(2);
    expect(server.requests.filter((r) => r === whole)).toHaveLength(2);
    expect(chat.messages.map((m) => [m.content, m.status])).toEqual([
      ['Asked elsewhere', 'complete'],
      ['Half a reply, whole.', 'complete'],
    ]);
    expect(options.onReplyEnded).toHaveBeenCalledTimes(1);
  });

  it('reads the whole conversation again when the reply alone cannot be read', async () => {
    await openWrittenElsewhere();

    // Act: the reply is gone (404 alone), the conversation holds only the question now
    server.held = [server.held[0] as Message];
    await until(() => server.requests.filter((r) => r === whole).length >= 2);

    // Assess
    expect(chat.messages.map((m) => m.id)).toEqual([QUESTION]);
  });
});

describe('useChat: Retry after a lost connection', () => {
  const busy = {
    status: 409,
    title: 'Conflict',
    detail: 'A reply is still being written in this conversation; wait for it, then send again.',
  };

  /** A message sent and stored, its reply begun, then the connection lost; the server writes on. */
  async function cutWhileWritten() {
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Q'));
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
  }

  it('follows the reply the server is still writing when it answers the replay 409, and ends with no error', async () => {
    // Prepare
    await cutWhileWritten();
    expect(chat.turn).toMatchObject({ phase: 'failed', userStored: true, error: { status: 0 } });

    // Act: Retry (the same key) while the server writes: it answers the replay 409; then the reply ends
    server.refuseNext = busy;
    act(() => chat.retry());
    await settle();
    expect(server.keys).toHaveLength(2);
    expect(server.keys[1]).toBe(server.keys[0]);
    expect(chat.turn?.error?.status).not.toBe(409);
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Half, whole.', 'complete'),
    ];
    await until(() => chat.messages.at(-1)?.status === 'complete');

    // Assess: the message sent once and answered; nothing left to retry, no "Not sent."
    expect(chat.messages.map((m) => [m.content, m.status])).toEqual([
      ['Q', 'complete'],
      ['Half, whole.', 'complete'],
    ]);
    expect(chat.turn).toBeNull();
  });

  it('keeps the message known as stored while the replay is on its way', async () => {
    // Prepare
    await cutWhileWritten();
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Half', 'complete'),
    ];

    // Act: the replay's stream opens, silent so far
    act(() => chat.retry());
    await settle();

    // Assess: the question is not shown a second time as being sent
    expect(chat.turn).toMatchObject({ phase: 'sending', userStored: true });
  });

  it('keeps the Retry of the lost connection when the server is busy with a message it never said it had', async () => {
    // Prepare: the connection lost before the server said it stored the message
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Q'));
    await settle();
    act(() => server.streams[0]?.cut());
    await settle();

    // Act: Retry meets a reply being written (ours or another tab's)
    server.refuseNext = busy;
    act(() => chat.retry());
    await settle();

    // Assess: not "Not sent": the first failure stands, with its Retry and the same key
    expect(chat.turn).toMatchObject({ phase: 'failed', userStored: false, error: { status: 0 } });
    expect(chat.turn?.retryKey).toBe(server.keys[0]);
  });
});

describe('useChat: a late answer for a conversation left', () => {
  const B = '3e9c5d85-b18b-4d84-a03b-6fbd4c7e5baa';

  /** A reply streaming in the conversation open (A), and Stop pressed there, its answer held. */
  async function stopHeldWhileWriting() {
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Long one'));
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Long one', 'complete')));
    act(() => server.streams[0]?.send('reply', message(REPLY, 'assistant', '', 'streaming')));
    await settle();
    server.holdStop = true;
    act(() => chat.stop());
    await settle();
  }

  it('loads the conversation opened after Stop, when the stop is answered after it', async () => {
    // Prepare: a reply streaming in A; Stop pressed, its answer slow to come
    const inB = message('60cf80b8-e4be-4a07-b36f-9ce01f7a9edd', 'user', 'In B', 'complete');
    await stopHeldWhileWriting();

    // Act: B opened while its read is on its way, then A's stop answered, then B's read
    server.held = [inB];
    server.holdReadsOf = B;
    await open(B);
    await settle();
    act(() => server.releaseStop?.());
    await settle();
    server.holdReadsOf = null;
    act(() => server.releaseRead?.());
    await settle();

    // Assess: B is shown; A was not read again
    expect(chat.conversationId).toBe(B);
    expect(chat.status).toBe('ready');
    expect(chat.messages.map((m) => m.content)).toEqual(['In B']);
    expect(server.requests.at(-1)).toBe(`GET /api/conversations/${B}/messages`);
  });

  it("leaves the other conversation's composer free while the first one's Stop is answered", async () => {
    // Prepare: a reply streaming in A; Stop pressed, its answer slow to come
    await stopHeldWhileWriting();
    expect(chat.busy).toBe(true);

    // Act: B opened before A's Stop is answered
    server.held = [message('60cf80b8-e4be-4a07-b36f-9ce01f7a9edd', 'user', 'In B', 'complete')];
    await open(B);
    await settle();

    // Assess: B may be written to at once; A's Stop still ends as it should
    expect(chat.conversationId).toBe(B);
    expect(chat.busy).toBe(false);
    act(() => server.releaseStop?.());
    await settle();
    expect(chat.busy).toBe(false);
  });
});

describe('useChat: a message sent to a conversation deleted elsewhere', () => {
  it('gives the text back and shows the conversation as gone, with no Retry against it', async () => {
    // Prepare: the conversation open here, deleted in another tab
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', 'A', 'complete')];
    await open(CONVERSATION);
    await settle();
    const gone = { status: 404, title: 'Not Found', detail: 'No such conversation.' };
    server.refuseNext = gone;
    server.refuseReads = gone;

    // Act
    act(() => chat.send('A long message typed with care'));
    await settle();

    // Assess
    expect(options.onUnsent).toHaveBeenCalledWith('A long message typed with care');
    expect(chat.turn).toBeNull();
    expect(chat.status).toBe('error');
  });
});

describe('useChat: the view goes away while a message is sent', () => {
  it('neither shows the conversation a new chat made nor reads it once the view has gone', async () => {
    // Prepare: a new chat's first message sent, the server silent so far
    await open(null);
    act(() => chat.send('Hi'));
    await settle();
    expect(server.requests).toContain(`POST /api/conversations/${CONVERSATION}/messages`);
    const asked = server.requests.length;

    // Act: Search (or the console, or sign-out) replaces the view
    act(() => root.unmount());
    await settle();

    // Assess: the person is not taken back to the conversation, and nothing more is asked
    expect(options.onConversationCreated).not.toHaveBeenCalled();
    expect(server.requests.slice(asked)).toEqual([]);
  });
  it('does not take the person back to the conversation when Stop is answered after the view has gone', async () => {
    // Prepare: a new chat's first message sent; Stop pressed, the server stored it after all,
    // and its read (does it hold the message?) is slow to come
    await open(null);
    act(() => chat.send('Hi'));
    await settle();
    server.held = [
      message(QUESTION, 'user', 'Hi', 'complete'),
      message(REPLY, 'assistant', 'Hello', 'complete'),
    ];
    server.holdReadsOf = CONVERSATION;
    act(() => chat.stop());
    await settle();

    // Act: the view goes, then the read is answered
    act(() => root.unmount());
    server.holdReadsOf = null;
    act(() => server.releaseRead?.());
    await settle();

    // Assess
    expect(options.onConversationCreated).not.toHaveBeenCalled();
  });
});

describe('useChat: a failed reply the server did not name', () => {
  it('retries by writing the reply again, not by storing the question twice', async () => {
    // Prepare: the reply named by its `reply` event, then an `error` event without it (the
    // route's fallback when the turn failed outside its own events)
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Asked once'));
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Asked once', 'complete')));
    act(() => server.streams[0]?.send('reply', message(REPLY, 'assistant', '', 'streaming')));
    server.held = [
      message(QUESTION, 'user', 'Asked once', 'complete'),
      { ...message(REPLY, 'assistant', '', 'failed'), error: 'The reply could not be saved.' },
    ];
    act(() =>
      server.streams[0]?.send('error', {
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'Something went wrong.',
      }),
    );
    await settle();

    // Act
    act(() => chat.retry());
    await settle();

    // Assess
    expect(server.requests.filter((r) => r.startsWith('POST'))).toEqual([
      `POST /api/conversations/${CONVERSATION}/messages`,
      `POST /api/conversations/${CONVERSATION}/messages/${REPLY}/regenerate`,
    ]);
  });

  it('retries with the first key when no reply was named, so the server replays instead of storing it again', async () => {
    // Prepare: the message stored, then an error naming no reply, before any `reply` event
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Asked once'));
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Asked once', 'complete')));
    act(() =>
      server.streams[0]?.send('error', { type: 'about:blank', title: 'Internal Server Error', status: 500 }),
    );
    await settle();

    // Act
    act(() => chat.retry());
    await settle();

    // Assess
    expect(server.keys).toHaveLength(2);
    expect(server.keys[1]).toBe(server.keys[0]);
  });
});

describe('useChat: the same conversation open in two tabs', () => {
  /** The other tab's end of the channel the tabs tell each other on. */
  let otherTab: BroadcastChannel;
  beforeEach(() => {
    otherTab = new BroadcastChannel(CONVERSATION_CHANNEL);
  });
  afterEach(() => otherTab.close());

  it("shows the turn another tab added once that tab's reply has ended, before this one sends", async () => {
    // Prepare: this tab shows one turn; the other tab asks and is answered meanwhile
    const fromOtherTab = [
      message('71d0a1c9-1111-4a07-b36f-9ce01f7a9e01', 'user', 'From the other tab', 'complete'),
      message('71d0a1c9-2222-4a07-b36f-9ce01f7a9e02', 'assistant', 'Two', 'complete'),
    ];
    server.held = [
      message(QUESTION, 'user', 'First', 'complete'),
      message(REPLY, 'assistant', 'One', 'complete'),
    ];
    await open(CONVERSATION);
    await settle();
    server.held = [...server.held, ...fromOtherTab];

    // Act: the other tab says its reply ended here; then says so of another conversation
    otherTab.postMessage({ conversationId: CONVERSATION });
    await until(() => chat.messages.length === 4);
    const asked = server.requests.length;
    otherTab.postMessage({ conversationId: '0b5d0c1e-9999-4a07-b36f-9ce01f7a9e09' });
    await settle();

    // Assess: read again once, for the conversation shown only
    expect(chat.messages.map((m) => m.content)).toEqual(['First', 'One', 'From the other tab', 'Two']);
    expect(server.requests).toHaveLength(asked);
  });

  it('tells the other tabs when a reply of its own has ended, by the conversation alone', async () => {
    // Prepare
    const told: unknown[] = [];
    otherTab.onmessage = (event: MessageEvent<unknown>) => told.push(event.data);
    server.held = [
      message(QUESTION, 'user', 'First', 'complete'),
      message(REPLY, 'assistant', 'One', 'complete'),
    ];
    await open(CONVERSATION);
    await settle();

    // Act
    act(() => chat.send('Second'));
    await settle();
    const second = message('71d0a1c9-3333-4a07-b36f-9ce01f7a9e03', 'user', 'Second', 'complete');
    act(() => server.streams[0]?.send('message', second));
    act(() =>
      server.streams[0]?.send(
        'done',
        message('71d0a1c9-4444-4a07-b36f-9ce01f7a9e04', 'assistant', 'Two', 'complete'),
      ),
    );
    await until(() => told.length > 0);

    // Assess
    expect(told).toEqual([{ conversationId: CONVERSATION }]);
  });
});

describe('useChat: an event the app cannot read', () => {
  /** A message as a newer server might word it: a status this app does not know. */
  const unreadable = (id: string, role: Message['role']) => ({
    ...message(id, role, '', 'streaming'),
    status: 'archived',
  });

  it('ends the turn as a lost connection and shows the stored reply, which Stop can then stop, when the reply event cannot be read', async () => {
    // Prepare: a message sent and stored
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Q'));
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Q', 'complete')));
    await settle();
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Ha', 'streaming'),
    ];

    // Act: the reply's event, which names the reply Stop targets, cannot be read
    act(() => server.streams[0]?.send('reply', unreadable(REPLY, 'assistant')));
    await settle();

    // Assess: said, not silently dropped; the conversation read again shows the reply being
    // written, and Stop stops that reply
    expect(chat.turn).toMatchObject({ phase: 'failed', error: { status: 0 } });
    expect(chat.messages.map((m) => [m.id, m.status])).toEqual([
      [QUESTION, 'complete'],
      [REPLY, 'streaming'],
    ]);
    expect(chat.stoppable).toBe(true);
    act(() => chat.stop());
    await settle();
    expect(server.requests).toContain(`POST /api/conversations/${CONVERSATION}/messages/${REPLY}/stop`);
  });

  it('ends the turn as a lost connection and shows the stored message when the message event cannot be read', async () => {
    // Prepare
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Q'));
    await settle();
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', '', 'streaming')];

    // Act: the event confirming the message was stored cannot be read
    act(() => server.streams[0]?.send('message', unreadable(QUESTION, 'user')));
    await settle();

    // Assess: the failure is shown, with what the server stored
    expect(chat.turn).toMatchObject({ phase: 'failed', error: { status: 0 } });
    expect(chat.messages.map((m) => m.id)).toEqual([QUESTION, REPLY]);
  });

  it('ends a regeneration as a lost connection and follows the stored reply, which Stop can stop, when its message event cannot be read', async () => {
    // Prepare: a conversation with a reply, written again
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', 'A', 'complete')];
    await open(CONVERSATION);
    await settle();
    act(() => chat.regenerate(REPLY));
    await settle();
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', '', 'streaming')];

    // Act
    act(() => server.streams[0]?.send('message', unreadable(REPLY, 'assistant')));
    await settle();

    // Assess: as after a lost connection, the reply the server goes on writing is followed in the
    // history (nothing left to retry), and Stop stops it
    expect(chat.turn).toBeNull();
    expect(chat.messages.map((m) => [m.id, m.status])).toEqual([
      [QUESTION, 'complete'],
      [REPLY, 'streaming'],
    ]);
    act(() => chat.stop());
    await settle();
    expect(server.requests).toContain(`POST /api/conversations/${CONVERSATION}/messages/${REPLY}/stop`);
  });
});

describe('useChat: a piece of the reply the app cannot read', () => {
  it('ends the turn as a lost connection, with Retry on the same key, and shows the stored text instead of one with a hole', async () => {
    // Prepare: a message sent and stored, its reply begun
    await open(CONVERSATION);
    await settle();
    act(() => chat.send('Q'));
    await settle();
    act(() => server.streams[0]?.send('message', message(QUESTION, 'user', 'Q', 'complete')));
    act(() => server.streams[0]?.send('reply', message(REPLY, 'assistant', '', 'streaming')));
    act(() => server.streams[0]?.send('delta', { text: 'Hel' }));
    await settle();
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Hello, there', 'streaming'),
    ];

    // Act: a piece of the reply as a newer server might word it; the next piece is readable
    act(() => server.streams[0]?.send('delta', { content: 'lo' }));
    act(() => server.streams[0]?.send('delta', { text: ', there' }));
    await settle();

    // Assess: said, not silently dropped; the conversation read again shows the whole stored text
    // (never 'Hel, there'); Retry repeats the first key, so the server replays
    expect(chat.turn).toMatchObject({ phase: 'failed', userStored: true, error: { status: 0 } });
    expect(chat.turn?.reply).not.toBe('Hel, there');
    expect(chat.turn?.retryKey).toBe(server.keys[0]);
    expect(chat.messages.map((m) => [m.id, m.content, m.status])).toEqual([
      [QUESTION, 'Q', 'complete'],
      [REPLY, 'Hello, there', 'streaming'],
    ]);
    act(() => chat.retry());
    await settle();
    expect(server.keys).toHaveLength(2);
    expect(server.keys[1]).toBe(server.keys[0]);
  });

  it('ends a regeneration as a lost connection and follows the stored reply when a piece of it cannot be read', async () => {
    // Prepare: a conversation with a reply, written again
    server.held = [message(QUESTION, 'user', 'Q', 'complete'), message(REPLY, 'assistant', 'A', 'complete')];
    await open(CONVERSATION);
    await settle();
    act(() => chat.regenerate(REPLY));
    await settle();
    act(() => server.streams[0]?.send('message', message(REPLY, 'assistant', '', 'streaming')));
    act(() => server.streams[0]?.send('delta', { text: 'Ag' }));
    await settle();
    server.held = [
      message(QUESTION, 'user', 'Q', 'complete'),
      message(REPLY, 'assistant', 'Again', 'streaming'),
    ];

    // Act
    act(() => server.streams[0]?.send('delta', { text: 7 }));
    await settle();

    // Assess: as after a lost connection, the reply the server goes on writing is followed in the
    // history, with its stored text
    expect(chat.turn).toBeNull();
    expect(chat.messages.map((m) => [m.id, m.content, m.status])).toEqual([
      [QUESTION, 'Q', 'complete'],
      [REPLY, 'Again', 'streaming'],
    ]);
  });
});
