import { replyParams } from '#conversations/routes/schemas';
import { CHAT_ROLES } from '#shared/domain/roles';
import { ok } from '#shared/http/responses';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { messageContent, messageSchema, replyEvents } from './schemas';
import { streamTurn, wantsEventStream } from './stream-turn';

export const regenerateReply = defineRoute(
  {
    id: 'messages.regenerate',
    method: 'POST',
    path: '/api/conversations/{id}/messages/{messageId}/regenerate',
    summary:
      "Write the conversation's latest reply again, for the same question (after a failure, or for another answer, with the same or another model) or for the question edited (content); its text and feedback are replaced. Server-sent events with Accept: text/event-stream (message: the emptied reply, then delta, done, error), otherwise 200 with the reply",
    access: CHAT_ROLES,
    scopes: ['parley/chat.write'],
    streaming: true,
    params: replyParams,
    // The body is optional: none writes the reply again with the default model.
    body: z._default(
      z.strictObject({
        model: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
        content: z.optional(messageContent),
      }),
      {},
    ),
    responses: {
      200: {
        description:
          'Server-sent events (`message`: the emptied reply, `delta` {text}, `done` or `error` as for a new message) with Accept: text/event-stream; otherwise `{assistantMessage}`, the reply as stored',
        contentType: 'text/event-stream',
        events: replyEvents,
        alternative: {
          contentType: 'application/json',
          schema: z.object({ assistantMessage: messageSchema }),
        },
      },
    },
    problems: {
      404: 'No reply of yours by this id in this conversation (a user message, another owner’s, or a deleted conversation)',
      409: 'Not the latest message of the conversation, or a reply is still being written there',
      429: 'Rate limit, monthly token quota or replies being written at once (CHAT_MAX_REPLIES_IN_FLIGHT) reached (Retry-After)',
      503: 'The model is unavailable or its circuit is open (Retry-After); the reply is stored as failed. Without server-sent events, also a reply that outlasts BUFFERED_REPLY_TIMEOUT_MS (50 s), and an empty or filtered reply',
    },
  },
  async ({ caller, params, body, event, requestId }, { regenerateReply: regenerate }) => {
    const input = {
      conversationId: params.id,
      replyId: params.messageId,
      ...(body.model ? { model: body.model } : {}),
      ...(body.content === undefined ? {} : { content: body.content }),
    };
    if (wantsEventStream(event.headers)) {
      return streamTurn((onEvent) => regenerate(caller, input, onEvent), requestId);
    }
    const result = await regenerate(caller, { ...input, buffered: true });
    if (result.error) throw result.error;
    return ok({ assistantMessage: result.assistantMessage });
  },
);
