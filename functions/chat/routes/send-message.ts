import { createHash } from 'node:crypto';
import { CHAT_ROLES } from '#shared/domain/roles';
import { ValidationError } from '#shared/errors';
import { requestHeader } from '#shared/http/request-header';
import { created } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { idempotencyKey, messageContent, messageSchema, turnEvents } from './schemas';
import { streamTurn, wantsEventStream } from './stream-turn';

export const sendMessage = defineRoute(
  {
    id: 'messages.send',
    method: 'POST',
    path: '/api/conversations/{id}/messages',
    summary:
      'Send a message and get the reply: server-sent events with Accept: text/event-stream (message, reply, delta, done, error), otherwise 201 with both messages',
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
          'Server-sent events: `message` (the stored user message), `reply` (the assistant message as it starts: the one to stop), `delta` {text}, `done` (the stored assistant message with usage) or `error` (a problem, with the failed assistant message)',
        contentType: 'text/event-stream',
        events: turnEvents,
      },
      201: {
        description: 'Both stored messages (without Accept: text/event-stream)',
        schema: z.object({ userMessage: messageSchema, assistantMessage: messageSchema }),
      },
    },
    problems: {
      404: 'No such conversation, or not yours',
      409: 'A reply is still streaming here, or the Idempotency-Key was used with another body',
      429: 'Rate limit, monthly token quota or replies being written at once (CHAT_MAX_REPLIES_IN_FLIGHT) reached (Retry-After)',
      503: 'The model is unavailable or its circuit is open (Retry-After); the user message is stored. Without server-sent events, also a reply that outlasts BUFFERED_REPLY_TIMEOUT_MS (50 s): what it wrote is kept; and an empty or filtered reply',
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
    if (wantsEventStream(event.headers)) {
      return streamTurn((onEvent) => send(caller, input, onEvent), requestId);
    }
    const result = await send(caller, { ...input, buffered: true });
    if (result.error) throw result.error;
    return created({ userMessage: result.userMessage, assistantMessage: result.assistantMessage });
  },
);
