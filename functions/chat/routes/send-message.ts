import { createHash } from 'node:crypto';
import { CHAT_ROLES } from '#shared/domain/roles';
import { ValidationError } from '#shared/errors';
import { problemFor } from '#shared/http/problem';
import { requestHeader } from '#shared/http/request-header';
import { created } from '#shared/http/responses';
import type { RouteResult } from '#shared/http/route';
import * as z from '#shared/zod';
import type { TurnEvent, TurnResult } from '../use-cases/send-message';
import { defineRoute } from './define';
import { idempotencyKey, messageContent, messageSchema } from './schemas';

const SSE_KEEPALIVE_MS = 10_000;

/** One server-sent event. JSON never holds a raw newline, so `data:` is a single line. */
const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function problemOf(event: Extract<TurnEvent, { type: 'error' }>, requestId: string) {
  const problem = JSON.parse(problemFor(event.error, requestId).body) as Record<string, unknown>;
  return {
    ...problem,
    ...(event.error.retryAfterSeconds ? { retryAfter: Math.ceil(event.error.retryAfterSeconds) } : {}),
    message: event.message,
  };
}

/**
 * Runs the turn and answers with server-sent events. Errors before the first event (not found,
 * busy, quota, rate) are thrown so they become ordinary problem responses with their status;
 * once the user's message is stored, the answer is 200 and the rest arrives as events.
 */
async function streamTurn(
  run: (onEvent: (event: TurnEvent) => void) => Promise<TurnResult>,
  requestId: string,
): Promise<RouteResult> {
  const queue: TurnEvent[] = [];
  let wake: (() => void) | undefined;
  let firstEvent!: () => void;
  const first = new Promise<void>((resolve) => (firstEvent = resolve));
  const turn = run((event) => {
    queue.push(event);
    firstEvent();
    wake?.();
  });
  await Promise.race([first, turn]);
  let settled = false;
  const ended = turn.then(
    () => undefined,
    (error: unknown) => error,
  );
  void ended.then(() => {
    settled = true;
    wake?.();
  });
  return {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // Proxies must pass each event on at once.
      'X-Accel-Buffering': 'no',
    },
    body: '',
    stream: async (write) => {
      let last: TurnEvent['type'] | undefined;
      const keepalive = setInterval(() => write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
      try {
        for (;;) {
          for (let event = queue.shift(); event; event = queue.shift()) {
            last = event.type;
            if (event.type === 'message') write(frame('message', event.message));
            else if (event.type === 'delta') write(frame('delta', { text: event.text }));
            else if (event.type === 'done') write(frame('done', event.message));
            else write(frame('error', problemOf(event, requestId)));
          }
          if (settled) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
        const failure = await ended;
        if (failure !== undefined && last !== 'error' && last !== 'done') {
          write(frame('error', JSON.parse(problemFor(failure, requestId).body)));
        }
      } finally {
        clearInterval(keepalive);
      }
    },
  };
}

export const sendMessage = defineRoute(
  {
    id: 'messages.send',
    method: 'POST',
    path: '/api/conversations/{id}/messages',
    summary:
      'Send a message and get the reply: server-sent events with Accept: text/event-stream (message, delta, done, error), otherwise 201 with both messages',
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    streaming: true,
    params: z.strictObject({ id: z.uuid({ message: 'expected a conversation id (UUID)' }) }),
    body: z.strictObject({
      content: messageContent,
      model: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
    }),
    responses: {
      200: {
        description:
          'Server-sent events: `message` (the stored user message), `delta` {text}, `done` (the stored assistant message with usage) or `error` (a problem, with the failed assistant message)',
        contentType: 'text/event-stream',
        schema: z.string(),
      },
      201: {
        description: 'Both stored messages (without Accept: text/event-stream)',
        schema: z.object({ userMessage: messageSchema, assistantMessage: messageSchema }),
      },
    },
    problems: {
      404: 'No such conversation, or not yours',
      409: 'A reply is still streaming here, or the Idempotency-Key was used with another body',
      429: 'Rate limit or monthly token quota reached (Retry-After)',
      503: 'The model is unavailable or its circuit is open (Retry-After); the user message is stored',
    },
  },
  async ({ caller, params, body, event, requestId }, { sendMessage: send }) => {
    const rawKey = requestHeader(event.headers, 'idempotency-key');
    const key = rawKey === undefined ? undefined : z.safeParse(idempotencyKey, rawKey);
    if (key && !key.success) {
      throw new ValidationError(
        key.error.issues.map((issue) => ({ path: 'headers.idempotency-key', message: issue.message })),
      );
    }
    const input = {
      conversationId: params.id,
      content: body.content,
      ...(body.model ? { model: body.model } : {}),
      ...(key?.success
        ? {
            idempotencyKey: key.data,
            requestHash: createHash('sha256')
              .update(JSON.stringify([params.id, body.content, body.model ?? null]))
              .digest('base64url'),
          }
        : {}),
    };
    const accept = requestHeader(event.headers, 'accept') ?? '';
    if (/\btext\/event-stream\b/i.test(accept)) {
      return streamTurn((onEvent) => send(caller, input, onEvent), requestId);
    }
    const result = await send(caller, input);
    if (result.error) throw result.error;
    return created({ userMessage: result.userMessage, assistantMessage: result.assistantMessage });
  },
);
