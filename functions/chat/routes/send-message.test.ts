import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, metrics } from '#shared/powertools';
import { ServiceUnavailableError, ValidationError } from '#shared/errors';
import type { ApiEvent } from '#shared/http/types';
import { inputSchemas, validation } from '#shared/http/validation';
import { memberAda } from '#test/support/fakes/chat';
import type { Message } from '../domain/message';
import type { SendMessage, TurnResult } from '../use-cases/send-message';
import type { TurnEvent } from '../use-cases/write-reply';
import { sendMessage } from './send-message';

const caller = memberAda;
const conversationId = '00000000-0000-4000-8000-000000000001';
const at = '2026-03-01T10:00:00.000Z';
const message = (role: 'user' | 'assistant', status: Message['status'], content: string): Message => ({
  id: role === 'user' ? '00000000-0000-4000-8000-0000000000a1' : '00000000-0000-4000-8000-0000000000b2',
  conversationId,
  role,
  content,
  status,
  model: role === 'user' ? null : 'gpt-4o-mini',
  usage: { promptTokens: 0, completionTokens: 0 },
  error: null,
  stopped: false,
  truncated: false,
  createdAt: at,
});
const userMessage = message('user', 'complete', 'Hi');

/** A turn that emits `events`, then settles as told: the use case stands in for the route. */
function scriptedTurn(events: TurnEvent[], outcome: { result?: TurnResult; error?: unknown }) {
  const inputs: unknown[] = [];
  const send = (async (_caller, input, onEvent = () => {}) => {
    inputs.push(input);
    for (const event of events) onEvent(event);
    await Promise.resolve();
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.result ?? { userMessage, assistantMessage: message('assistant', 'complete', '') };
  }) as SendMessage;
  return { send, inputs };
}

/** The route's declared headers as the validation middleware parses them (or refuses them). */
async function validatedHeaders(headers: Record<string, string>): Promise<Readonly<Record<string, unknown>>> {
  const event = { headers, parley: {} } as unknown as ApiEvent;
  await validation(inputSchemas({ headers: sendMessage.headers })).before?.({ event } as Parameters<
    NonNullable<ReturnType<typeof validation>['before']>
  >[0]);
  return event.parley.headers ?? {};
}

/** Calls the route as the API middleware would, after validation. */
async function call(send: SendMessage, headers: Record<string, string> = { Accept: 'text/event-stream' }) {
  return sendMessage.handle(
    {
      caller,
      params: { id: conversationId },
      query: undefined,
      body: { content: 'Hi' },
      headers: await validatedHeaders(headers),
      requestId: 'req-1',
      // The route reads only the headers of the API Gateway event.
      event: { headers } as unknown as ApiEvent,
    },
    {
      sendMessage: send,
      regenerateReply: () => Promise.reject(new Error('not this route')),
    },
  );
}

/** The events of a streamed answer, as a client parses them. */
async function streamed(send: SendMessage): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const result = await call(send);
  expect(result.statusCode).toBe(200);
  expect(result.headers?.['Content-Type']).toBe('text/event-stream; charset=utf-8');
  let body = '';
  await result.stream?.(
    (chunk) => {
      body += chunk;
    },
    async () => true,
  );
  return body
    .split('\n\n')
    .filter((frame) => frame.startsWith('event: '))
    .map((frame) => {
      const [eventLine = '', dataLine = ''] = frame.split('\n');
      return {
        event: eventLine.slice('event: '.length),
        data: JSON.parse(dataLine.slice('data: '.length)) as Record<string, unknown>,
      };
    });
}

describe('POST /api/conversations/{id}/messages as server-sent events', () => {
  it('ends with a 503 error event when the database goes away after the reply streamed', async () => {
    // Prepare: the reply arrived, but storing it failed because PostgreSQL went away.
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const { send } = scriptedTurn(
      [
        { type: 'message', message: userMessage },
        { type: 'delta', text: 'Hello' },
      ],
      { error: lost },
    );

    // Act
    const frames = await streamed(send);

    // Assess
    expect(frames.map((f) => f.event)).toEqual(['message', 'delta', 'error']);
    // With the wait its 503 would have carried as Retry-After.
    expect(frames[2]?.data).toMatchObject({ status: 503, requestId: 'req-1', retryAfter: 5 });
    expect(JSON.stringify(frames)).not.toContain('Connection terminated');
  });

  describe('a failure after the stream began', () => {
    afterEach(() => vi.restoreAllMocks());

    it('is logged with its request id and counted, as a buffered 500 would be', async () => {
      // Prepare: a bug after the 200 went out with the first event.
      const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
      const counted = vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
      const { send } = scriptedTurn([{ type: 'message', message: userMessage }], {
        error: new TypeError('boom'),
      });

      // Act
      await streamed(send);

      // Assess
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged).toHaveBeenCalledWith('Request failed', {
        error: expect.objectContaining({ message: 'boom' }),
        requestId: 'req-1',
      });
      expect(counted).toHaveBeenCalledWith('ServerErrors', 'Count', 1);
    });

    it('is logged as the database being unavailable when it was, also after the turn told the client', async () => {
      const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
      vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
      const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      const failed = message('assistant', 'failed', 'Hel');
      const { send } = scriptedTurn(
        [
          { type: 'message', message: userMessage },
          {
            type: 'error',
            error: new ServiceUnavailableError('The reply could not be saved.', 5),
            message: failed,
          },
        ],
        { error: lost },
      );

      const frames = await streamed(send);

      expect(frames.map((f) => f.event)).toEqual(['message', 'error']);
      expect(logged).toHaveBeenCalledWith(
        'Database unavailable',
        expect.objectContaining({ requestId: 'req-1' }),
      );
    });
  });

  it('ends with a generic 500 error event when the turn breaks after the reply without saying why', async () => {
    const { send } = scriptedTurn([{ type: 'message', message: userMessage }], {
      error: new TypeError("Cannot read properties of undefined (reading 'id')"),
    });

    const frames = await streamed(send);

    expect(frames.map((f) => f.event)).toEqual(['message', 'error']);
    expect(frames[1]?.data).toEqual({
      type: expect.stringMatching(/internal$/),
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side. Quote the request id if you contact support.',
      requestId: 'req-1',
    });
  });

  it('sends one error event, not two, when the turn reported its failure and then threw', async () => {
    // Prepare: an unexpected error is stored and reported as an event, then rethrown.
    const failed = message('assistant', 'failed', '');
    const { send } = scriptedTurn(
      [
        { type: 'message', message: userMessage },
        {
          type: 'error',
          error: new ServiceUnavailableError('The model is unavailable.', 5),
          message: failed,
        },
      ],
      { error: new TypeError('boom') },
    );

    // Act
    const frames = await streamed(send);

    // Assess
    expect(frames.map((f) => f.event)).toEqual(['message', 'error']);
    expect(frames[1]?.data).toMatchObject({ status: 503, retryAfter: 5, message: failed });
  });

  it('sends no retryAfter in an error event whose failure asks for no wait', async () => {
    const failed = message('assistant', 'failed', 'Part');
    const invalid = new ValidationError([{ path: 'body.model', message: 'must be one of: gpt-4o-mini' }]);
    const { send } = scriptedTurn(
      [
        { type: 'message', message: userMessage },
        { type: 'error', error: invalid, message: failed },
      ],
      { result: { userMessage, assistantMessage: failed, error: invalid } },
    );

    const frames = await streamed(send);

    expect(frames.map((f) => f.event)).toEqual(['message', 'error']);
    expect(frames[1]?.data).toMatchObject({ status: 400, message: failed });
    expect(frames[1]?.data).not.toHaveProperty('retryAfter');
  });
});

describe('POST /api/conversations/{id}/messages as JSON', () => {
  it('answers 201 with both messages, passing the model on only when one was asked for, with the deadline of a reply in one piece', async () => {
    const assistant = message('assistant', 'complete', 'Hello');
    const { send, inputs } = scriptedTurn([], { result: { userMessage, assistantMessage: assistant } });

    const result = await call(send, {});

    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body)).toEqual({ userMessage, assistantMessage: assistant });
    expect(inputs).toEqual([{ conversationId, content: 'Hi', buffered: true }]);
  });

  it('throws the stored failure so it is answered as a problem with its status', async () => {
    const failure = new ServiceUnavailableError('The model is unavailable.', 5);
    const failed = message('assistant', 'failed', '');
    const { send } = scriptedTurn([], { result: { userMessage, assistantMessage: failed, error: failure } });

    await expect(call(send, {})).rejects.toBe(failure);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(300)],
    ['a NUL byte', 'key\u0000one'],
  ])('refuses an Idempotency-Key that is %s as a 400 on the header, before any turn', async (_what, key) => {
    const { send, inputs } = scriptedTurn([], {});

    const error = await call(send, { 'Idempotency-Key': key }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.path).toBe('headers.idempotency-key');
    expect(inputs).toEqual([]);
  });

  it('sends a valid Idempotency-Key with a hash of the conversation, content and model', async () => {
    const { send, inputs } = scriptedTurn([], {});

    await call(send, { 'idempotency-key': 'retry-7f3a' });

    expect(inputs).toEqual([
      {
        conversationId,
        content: 'Hi',
        idempotencyKey: 'retry-7f3a',
        requestHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        buffered: true,
      },
    ]);
  });
});
