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

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const CONVERSATION = '0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77';
const QUESTION = '1c7a3b63-9f6f-4b62-8e1f-4d9b2a5c3f88';
const REPLY = '2d8b4c74-a07a-4c73-9f2a-5eac3b6d4a99';

function message(id: string, role: Message['role'], content: string, status: Message['status']): Message {
  return {
    id,
    conversationId: CONVERSATION,
    role,
    content,
    status,
    model: role === 'assistant' ? 'offline' : null,
    usage: { promptTokens: 0, completionTokens: 0 },
    error: null,
    stopped: false,
    createdAt: '2026-01-05T10:00:00.000Z',
  };
}

/** A server-sent events stream the test writes to, which errors as fetch's body does on abort. */
function eventStream(signal: AbortSignal | null | undefined) {
  let push: ((text: string) => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder();
      push = (text) => controller.enqueue(encoder.encode(text));
      signal?.addEventListener('abort', () => controller.error(new DOMException('Aborted', 'AbortError')));
    },
  });
  return {
    response: new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    send: (event: string, data: unknown) => push?.(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
  };
}

/** The API, faked at fetch: what was asked of it, the messages it holds, the streams it opened. */
class FakeServer {
  readonly requests: string[] = [];
  held: Message[] = [];
  readonly streams: ReturnType<typeof eventStream>[] = [];

  readonly fetch = vi.fn(async (input: URL | RequestInfo, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}`);
    const one = /\/messages\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && one) {
      const found = this.held.find((m) => m.id === decodeURIComponent(one[1] ?? ''));
      return found
        ? Response.json(found)
        : Response.json({ type: 'about:blank', title: 'Not found', status: 404 }, { status: 404 });
    }
    if (method === 'GET') {
      return Response.json({ items: this.held, nextCursor: null });
    }
    if (method === 'POST' && /\/(messages|regenerate)$/.test(url.pathname)) {
      const stream = eventStream(init?.signal);
      this.streams.push(stream);
      return stream.response;
    }
    return new Response(null, { status: method === 'DELETE' ? 204 : 202 });
  });
}

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

  /** Settles until `done` holds, for at most `ms` of real time (the polls wait a second). */
  async function until(done: () => boolean, ms = 5_000) {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await settle();
      await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    }
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
