import * as z from 'zod/mini';

import { ApiError, networkError, problemSchema } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import { readSse } from '@/lib/sse';
import { messageSchema } from '@/features/chat/api/message-schema';
import type { Message } from '@/features/chat/api/message-schema';

const deltaSchema = z.object({ text: z.string() });

/** The `error` event: a problem, with the wait in seconds and the stored (failed) reply. */
const errorEventSchema = z.object({
  ...problemSchema.shape,
  retryAfter: z.optional(z.number()),
  message: z.optional(messageSchema),
});

export type SendMessageEvent =
  /** The user's message, stored (of a regeneration: the reply, emptied and being written). */
  | { readonly type: 'message'; readonly message: Message }
  /** A new message's reply as it starts (empty, being written): the one Stop stops. */
  | { readonly type: 'reply'; readonly message: Message }
  /** The next piece of the reply (already stored on the server). */
  | { readonly type: 'delta'; readonly text: string }
  /** The stored reply, complete, with its usage. */
  | { readonly type: 'done'; readonly message: Message }
  /** The reply failed; `message` is what was stored of it. */
  | { readonly type: 'error'; readonly error: ApiError; readonly message: Message | undefined };

export interface SendMessageOptions {
  readonly signal?: AbortSignal;
  /**
   * The same key on a repeat of the same message makes the server answer with the first attempt's
   * result instead of storing the message again (e.g. a retry after the connection broke, when it
   * is unknown whether the first attempt arrived).
   */
  readonly idempotencyKey?: string;
  /** One of the models `/api/me` lists; the server's default when left out. */
  readonly model?: string;
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Sends a message and yields the reply as it streams. `fetch` rather than EventSource, which can
 * neither POST nor send the Authorization header. A refusal before anything is stored (404, 409,
 * 429, 503) throws an ApiError; a connection that breaks mid-reply throws a network ApiError
 * (status 0); aborting the signal throws its AbortError. The server keeps writing the reply either
 * way, so a client that stops listening finds it in the history.
 */
export async function* sendMessage(
  api: ApiClient,
  conversationId: string,
  content: string,
  options: SendMessageOptions = {},
): AsyncGenerator<SendMessageEvent> {
  const { signal, idempotencyKey, model } = options;
  const response = await api.fetch(`/conversations/${encodeURIComponent(conversationId)}/messages`, {
    method: 'POST',
    body: model === undefined ? { content } : { content, model },
    accept: 'text/event-stream, application/problem+json',
    signal,
    ...(idempotencyKey ? { headers: { 'Idempotency-Key': idempotencyKey } } : {}),
  });
  yield* turnEvents(response, signal);
}

export interface RegenerateReplyOptions {
  readonly signal?: AbortSignal;
  /** One of the models `/api/me` lists; the server's default when left out. */
  readonly model?: string;
  /** The question, edited: it replaces the one the reply answers. */
  readonly content?: string;
}

/**
 * Writes the conversation's latest reply again, for the same question, and yields it as it
 * streams, as `sendMessage` does (its `message` event carries the emptied reply). Refusals: 404
 * (not yours), 409 (not the latest reply, or one is being written), 429, 503.
 */
export async function* regenerateReply(
  api: ApiClient,
  conversationId: string,
  replyId: string,
  options: RegenerateReplyOptions = {},
): AsyncGenerator<SendMessageEvent> {
  const { signal, model, content } = options;
  const response = await api.fetch(
    `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(replyId)}/regenerate`,
    {
      method: 'POST',
      body: {
        ...(model === undefined ? {} : { model }),
        ...(content === undefined ? {} : { content }),
      },
      accept: 'text/event-stream, application/problem+json',
      signal,
    },
  );
  yield* turnEvents(response, signal);
}

/**
 * The server-sent events of a turn, until `done` or `error`; a cut stream, or a `message`, `reply`,
 * `delta` or `done` that cannot be read, throws a network error.
 */
async function* turnEvents(
  response: Response,
  signal: AbortSignal | undefined,
): AsyncGenerator<SendMessageEvent> {
  if (!response.body) throw networkError();

  try {
    for await (const event of readSse(response.body)) {
      const data = parseJson(event.data);
      if (event.event === 'message' || event.event === 'reply') {
        const parsed = messageSchema.safeParse(data);
        // Taken for a cut, as an unreadable `done` is: dropped, the app would never learn that its
        // message was stored, or the id of the reply Stop must name. The caller reads what the
        // server stored instead.
        if (!parsed.success) break;
        yield { type: event.event, message: parsed.data };
      } else if (event.event === 'delta') {
        const parsed = deltaSchema.safeParse(data);
        // Taken for a cut too: dropped, the text shown would have a hole until the stored reply
        // replaced it at the end. The caller reads the stored text instead.
        if (!parsed.success) break;
        yield { type: 'delta', text: parsed.data.text };
      } else if (event.event === 'done') {
        const parsed = messageSchema.safeParse(data);
        // A reply this app cannot read (a newer server's, or a garbled frame) is taken for a cut:
        // the caller then reads the stored reply, instead of waiting for an end that came.
        if (!parsed.success) break;
        yield { type: 'done', message: parsed.data };
        return;
      } else if (event.event === 'error') {
        const parsed = errorEventSchema.safeParse(data);
        const { retryAfter, message, ...problem } = parsed.success
          ? parsed.data
          : {
              type: 'about:blank',
              title: 'The reply failed',
              status: 500,
              retryAfter: undefined,
              message: undefined,
            };
        yield { type: 'error', error: new ApiError(problem, retryAfter), message };
        return;
      }
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw networkError();
  }
  // The stream closed without `done` or `error` (or with a `message`, `reply`, `delta` or `done`
  // that could not be read): the connection was cut mid-reply.
  throw networkError();
}
