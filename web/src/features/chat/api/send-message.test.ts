import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import { regenerateReply, sendMessage } from '@/features/chat/api/send-message';
import type { SendMessageEvent } from '@/features/chat/api/send-message';

const message = (role: 'user' | 'assistant', content: string, status = 'complete') => ({
  id: `${role}-1`,
  conversationId: 'c1',
  role,
  content,
  status,
  model: role === 'assistant' ? 'offline' : null,
  usage: { promptTokens: 0, completionTokens: 0 },
  error: null,
  createdAt: '2026-01-01T00:00:00.000Z',
});

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function apiStreaming(chunks: readonly string[], options: { cut?: boolean } = {}): ApiClient {
  const encoder = new TextEncoder();
  const queue = [...chunks];
  // One chunk per read, so a cut comes after the chunks were read (an error drops queued ones).
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = queue.shift();
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
      else if (options.cut) controller.error(new TypeError('network error'));
      else controller.close();
    },
  });
  return {
    fetch: vi.fn(async () => new Response(body, { headers: { 'Content-Type': 'text/event-stream' } })),
    request: vi.fn(),
  };
}

async function collect(api: ApiClient): Promise<{ events: SendMessageEvent[]; error: unknown }> {
  const events: SendMessageEvent[] = [];
  try {
    for await (const event of sendMessage(api, 'c1', 'Hi')) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

describe('sendMessage', () => {
  it('yields the stored user message, the deltas and the stored reply', async () => {
    const api = apiStreaming([
      frame('message', message('user', 'Hi')) + ': keep-alive\n\n',
      frame('delta', { text: 'Hel' }),
      frame('delta', { text: 'lo' }) + frame('done', message('assistant', 'Hello')),
    ]);

    const { events, error } = await collect(api);

    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['message', 'delta', 'delta', 'done']);
    expect(events[1]).toEqual({ type: 'delta', text: 'Hel' });
    expect(api.fetch).toHaveBeenCalledWith(
      '/conversations/c1/messages',
      expect.objectContaining({ method: 'POST', body: { content: 'Hi' } }),
    );
  });

  it('yields the reply being written as it starts, so that Stop can name it', async () => {
    const api = apiStreaming([
      frame('message', message('user', 'Hi')) + frame('reply', message('assistant', '', 'streaming')),
      frame('done', message('assistant', 'Hello')),
    ]);

    const { events } = await collect(api);

    expect(events.map((e) => e.type)).toEqual(['message', 'reply', 'done']);
    expect(events[1]).toMatchObject({ type: 'reply', message: { id: 'assistant-1', status: 'streaming' } });
  });

  it('asks for the model it is given, and leaves the choice to the server without one', async () => {
    const picked = apiStreaming([frame('done', message('assistant', 'Hello'))]);
    const plain = apiStreaming([frame('done', message('assistant', 'Hello'))]);

    for await (const _event of sendMessage(picked, 'c1', 'Hi', { model: 'gpt-4o' })) void _event;
    for await (const _event of sendMessage(plain, 'c1', 'Hi')) void _event;

    expect(vi.mocked(picked.fetch).mock.calls[0]?.[1]).toMatchObject({
      body: { content: 'Hi', model: 'gpt-4o' },
    });
    expect(vi.mocked(plain.fetch).mock.calls[0]?.[1]?.body).toEqual({ content: 'Hi' });
  });

  it('sends the Idempotency-Key it is given, and none without one', async () => {
    const keyed = apiStreaming([frame('done', message('assistant', 'Hello'))]);
    const plain = apiStreaming([frame('done', message('assistant', 'Hello'))]);

    for await (const _event of sendMessage(keyed, 'c1', 'Hi', { idempotencyKey: 'turn-1' })) void _event;
    for await (const _event of sendMessage(plain, 'c1', 'Hi')) void _event;

    expect(keyed.fetch).toHaveBeenCalledWith(
      '/conversations/c1/messages',
      expect.objectContaining({ headers: { 'Idempotency-Key': 'turn-1' } }),
    );
    expect(vi.mocked(plain.fetch).mock.calls[0]?.[1]).not.toHaveProperty('headers');
  });

  it('turns an error event into an ApiError with the wait and the stored failed reply', async () => {
    const { events } = await collect(
      apiStreaming([
        frame('message', message('user', 'Hi')),
        frame('error', {
          type: 'urn:parley:problem:model-unavailable',
          title: 'Model unavailable',
          status: 503,
          detail: 'The model is not answering',
          retryAfter: 20,
          message: message('assistant', 'Hal', 'failed'),
        }),
      ]),
    );

    const last = events.at(-1);
    expect(last?.type).toBe('error');
    if (last?.type !== 'error') return;
    expect(last.error).toBeInstanceOf(ApiError);
    expect(last.error.status).toBe(503);
    expect(last.error.retryAfter).toBe(20);
    expect(last.message?.content).toBe('Hal');
  });

  it('reports a stream cut mid-reply as a network error, after the events that arrived', async () => {
    const { events, error } = await collect(
      apiStreaming([frame('message', message('user', 'Hi')), frame('delta', { text: 'Hel' })], { cut: true }),
    );

    expect(events.map((e) => e.type)).toEqual(['message', 'delta']);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(0);
  });

  it('reports a stream that ends without done or error as cut', async () => {
    const { error } = await collect(apiStreaming([frame('message', message('user', 'Hi'))]));
    expect((error as ApiError).status).toBe(0);
  });

  it('reports a done it cannot read as cut, so that the app reads the stored reply instead of waiting', async () => {
    // A reply as a newer server might word it (a status this app does not know), or a garbled frame
    const unknown = { ...message('assistant', 'Hello'), status: 'archived' };
    for (const done of [frame('done', unknown), 'event: done\ndata: {"id":\n\n']) {
      const { events, error } = await collect(
        apiStreaming([frame('message', message('user', 'Hi')), frame('delta', { text: 'Hello' }), done]),
      );

      expect(events.map((e) => e.type)).toEqual(['message', 'delta']);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(0);
    }
  });

  it('reports a message or reply event it cannot read as cut, and reads no further, so that the app reads what was stored', async () => {
    // A message as a newer server might word it, or a garbled frame: the reply's id, which Stop
    // needs, or the confirmation that the message was stored, would be lost without a word
    const unknown = (role: 'user' | 'assistant') => ({ ...message(role, ''), status: 'archived' });
    const unreadable = [
      [frame('message', unknown('user'))],
      ['event: message\ndata: {"id":\n\n'],
      [frame('message', message('user', 'Hi')), frame('reply', unknown('assistant'))],
      [frame('message', message('user', 'Hi')), 'event: reply\ndata: not json\n\n'],
    ];
    for (const frames of unreadable) {
      const { events, error } = await collect(
        apiStreaming([
          ...frames,
          frame('delta', { text: 'Hello' }),
          frame('done', message('assistant', 'Hello')),
        ]),
      );

      expect(events.every((e) => e.type === 'message')).toBe(true);
      expect(events).toHaveLength(frames.length - 1);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(0);
    }
  });

  it('reports a delta it cannot read as cut, and reads no further, so that the app reads the stored text instead of showing it with a hole', async () => {
    // A piece of the reply as a newer server might word it, or a garbled frame: dropped, the text
    // shown would lack it until the stored reply replaced it at the end
    for (const delta of [frame('delta', { content: 'lo' }), 'event: delta\ndata: {"text":\n\n']) {
      const { events, error } = await collect(
        apiStreaming([
          frame('message', message('user', 'Hi')),
          frame('delta', { text: 'Hel' }),
          delta,
          frame('delta', { text: ', there' }),
          frame('done', message('assistant', 'Hello, there')),
        ]),
      );

      expect(events.map((e) => e.type)).toEqual(['message', 'delta']);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(0);
    }
  });
});

describe('regenerateReply', () => {
  it("posts to the reply's regenerate path with the model, and yields the emptied reply, deltas and the stored one", async () => {
    const api = apiStreaming([
      frame('message', message('assistant', '', 'streaming')),
      frame('delta', { text: 'Again' }) + frame('done', message('assistant', 'Again')),
    ]);

    const events: SendMessageEvent[] = [];
    for await (const event of regenerateReply(api, 'c/1', 'r 1', { model: 'gpt-4o' })) events.push(event);

    expect(api.fetch).toHaveBeenCalledWith('/conversations/c%2F1/messages/r%201/regenerate', {
      method: 'POST',
      body: { model: 'gpt-4o' },
      accept: 'text/event-stream, application/problem+json',
      signal: undefined,
    });
    expect(events.map((e) => e.type)).toEqual(['message', 'delta', 'done']);
    expect(events[0]?.type === 'message' && events[0].message.status).toBe('streaming');
  });

  it('sends an empty body without a model, and reports a cut stream as a network error', async () => {
    const api = apiStreaming([frame('message', message('assistant', '', 'streaming'))], { cut: true });

    const error = await (async () => {
      for await (const _ of regenerateReply(api, 'c1', 'r1'));
    })().catch((e: unknown) => e);

    expect(vi.mocked(api.fetch).mock.calls[0]?.[1]?.body).toEqual({});
    expect((error as ApiError).status).toBe(0);
  });
});
