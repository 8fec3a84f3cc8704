import { createHash } from 'node:crypto';
import { CHAT_ROLES } from '#shared/domain/roles';
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
    headers: {
      'idempotency-key': {
        schema: idempotencyKey,
        description:
          'Makes a retry safe: a repeat with the same key and body, once the first has ended, answers what it did without a second message or model call; with another body, 409',
      },
    },
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
  async ({ caller, params, body, headers, event, requestId }, { sendMessage: send }) => {
    // Parsed by `idempotencyKey` (the validation middleware), so a string when present.
    const key = headers['idempotency-key'] as string | undefined;
    const input = {
      conversationId: params.id,
      content: body.content,
      ...(body.model ? { model: body.model } : {}),
      ...(key
        ? {
            idempotencyKey: key,
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
