import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '#shared/errors';
import type { ApiEvent } from '#shared/http/types';
import { memberAda } from '#test/support/fakes/chat';
import type { Message } from '../domain/message';
import type { RegenerateReply } from '../use-cases/regenerate-reply';
import type { TurnEvent, WrittenReply } from '../use-cases/write-reply';
import { regenerateReply } from './regenerate-reply';

const caller = memberAda;
const conversationId = '00000000-0000-4000-8000-000000000001';
const replyId = '00000000-0000-4000-8000-0000000000b2';
const reply = (status: Message['status'], content: string): Message => ({
  id: replyId,
  conversationId,
  role: 'assistant',
  content,
  status,
  model: 'gpt-4o-mini',
  usage: { promptTokens: 0, completionTokens: 0 },
  error: null,
  stopped: false,
  truncated: false,
  createdAt: '2026-03-01T10:00:00.000Z',
});

/** A regeneration that emits `events`, then answers `result`: the use case stands in for the route. */
function scripted(events: TurnEvent[], result: WrittenReply) {
  const inputs: unknown[] = [];
  const regenerate = (async (_caller, input, onEvent = () => {}) => {
    inputs.push(input);
    for (const event of events) onEvent(event);
    await Promise.resolve();
    return result;
  }) as RegenerateReply;
  return { regenerate, inputs };
}

function call(
  regenerate: RegenerateReply,
  headers: Record<string, string>,
  body: { model?: string; content?: string } = {},
) {
  return regenerateReply.handle(
    {
      caller,
      params: { id: conversationId, messageId: replyId },
      query: undefined,
      body,
      headers: {},
      requestId: 'req-1',
      event: { headers } as unknown as ApiEvent,
    },
    {
      sendMessage: () => Promise.reject(new Error('not this route')),
      regenerateReply: regenerate,
    },
  );
}

describe('POST /api/conversations/{id}/messages/{messageId}/regenerate', () => {
  it('streams the emptied reply, its deltas and the stored reply as server-sent events', async () => {
    // Prepare
    const done = reply('complete', 'Again');
    const { regenerate, inputs } = scripted(
      [
        { type: 'message', message: reply('streaming', '') },
        { type: 'delta', text: 'Again' },
        { type: 'done', message: done },
      ],
      { assistantMessage: done },
    );

    // Act
    const result = await call(
      regenerate,
      { accept: 'text/event-stream' },
      { model: 'gpt-4o', content: 'Edited' },
    );
    let body = '';
    await result.stream?.(
      (chunk) => {
        body += chunk;
      },
      async () => true,
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('text/event-stream; charset=utf-8');
    expect(body.split('\n\n').filter(Boolean)).toEqual([
      `event: message\ndata: ${JSON.stringify(reply('streaming', ''))}`,
      'event: delta\ndata: {"text":"Again"}',
      `event: done\ndata: ${JSON.stringify(done)}`,
    ]);
    expect(inputs).toEqual([{ conversationId, replyId, model: 'gpt-4o', content: 'Edited' }]);
  });

  it('answers 200 with the stored reply as JSON, the default model when none was asked for', async () => {
    const done = reply('complete', 'Again');
    const { regenerate, inputs } = scripted([], { assistantMessage: done });

    const result = await call(regenerate, {});

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ assistantMessage: done });
    expect(inputs).toEqual([{ conversationId, replyId, buffered: true }]);
  });

  it('throws the stored failure as JSON, so it is answered as a problem with its status', async () => {
    const failure = new ServiceUnavailableError('The model is unavailable.', 5);
    const { regenerate } = scripted([], { assistantMessage: reply('failed', ''), error: failure });

    await expect(call(regenerate, { Accept: 'application/json' })).rejects.toBe(failure);
  });
});
