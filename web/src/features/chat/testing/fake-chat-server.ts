import { vi } from 'vitest';

import type { Message } from '@/features/chat/api/message-schema';

/** For the chat's unit tests: the API faked at fetch, as the hook and the view meet it. */

export const CONVERSATION = '0b6f2a52-8f5e-4a51-9d0e-3c8a1f4b2e77';
export const QUESTION = '1c7a3b63-9f6f-4b62-8e1f-4d9b2a5c3f88';
export const REPLY = '2d8b4c74-a07a-4c73-9f2a-5eac3b6d4a99';

export function message(
  id: string,
  role: Message['role'],
  content: string,
  status: Message['status'],
): Message {
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

/**
 * A server-sent events stream the test writes to, which errors as fetch's body does on abort, and
 * which the test can cut as a lost connection does.
 */
function eventStream(signal: AbortSignal | null | undefined) {
  let push: ((text: string) => void) | undefined;
  let fail: ((error: unknown) => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder();
      push = (text) => controller.enqueue(encoder.encode(text));
      fail = (error) => controller.error(error);
      signal?.addEventListener('abort', () => controller.error(new DOMException('Aborted', 'AbortError')));
    },
  });
  return {
    response: new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    send: (event: string, data: unknown) => push?.(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    /** The connection breaks, as fetch's body fails then. */
    cut: () => fail?.(new TypeError('network error')),
  };
}

export interface FakeProblem {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  /** Sent as the `Retry-After` header (seconds), as on a 429 or 503. */
  readonly retryAfter?: number;
}

function problemResponse({ retryAfter, ...problem }: FakeProblem): Response {
  const headers = new Headers({ 'Content-Type': 'application/problem+json' });
  if (retryAfter !== undefined) headers.set('Retry-After', String(retryAfter));
  return Response.json({ type: 'about:blank', ...problem }, { status: problem.status, headers });
}

/** The API, faked at fetch: what was asked of it, the messages it holds, the streams it opened. */
export class FakeServer {
  readonly requests: string[] = [];
  /** The `Idempotency-Key` of each message sent or reply written again, in order. */
  readonly keys: (string | null)[] = [];
  /** The JSON body of each message sent or reply written again, in order. */
  readonly bodies: unknown[] = [];
  held: Message[] = [];
  readonly streams: ReturnType<typeof eventStream>[] = [];
  /** The next message sent (or reply written again) is refused with this problem. */
  refuseNext: FakeProblem | null = null;
  /** Every read is answered with this problem (the conversation deleted elsewhere: a 404). */
  refuseReads: FakeProblem | null = null;
  /** Stop is answered only once `releaseStop` is called. */
  holdStop = false;
  releaseStop: (() => void) | undefined;
  /** A read of this conversation's messages is answered only once `releaseRead` is called. */
  holdReadsOf: string | null = null;
  releaseRead: (() => void) | undefined;

  readonly fetch = vi.fn(async (input: URL | RequestInfo, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}`);
    if (method === 'GET' && this.refuseReads) return problemResponse(this.refuseReads);
    const one = /\/messages\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && one) {
      const found = this.held.find((m) => m.id === decodeURIComponent(one[1] ?? ''));
      return found ? Response.json(found) : problemResponse({ status: 404, title: 'Not found' });
    }
    if (method === 'GET') {
      if (this.holdReadsOf !== null && url.pathname.includes(this.holdReadsOf)) {
        const items = this.held;
        await new Promise<void>((resolve) => (this.releaseRead = resolve));
        if (init?.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
        return Response.json({ items, nextCursor: null });
      }
      return Response.json({ items: this.held, nextCursor: null });
    }
    if (method === 'POST' && /\/(messages|regenerate)$/.test(url.pathname)) {
      this.keys.push(new Headers(init?.headers).get('Idempotency-Key'));
      this.bodies.push(typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : null);
      const refusal = this.refuseNext;
      this.refuseNext = null;
      if (refusal) return problemResponse(refusal);
      const stream = eventStream(init?.signal);
      this.streams.push(stream);
      return stream.response;
    }
    if (method === 'POST' && url.pathname.endsWith('/stop') && this.holdStop) {
      await new Promise<void>((resolve) => (this.releaseStop = resolve));
    }
    return new Response(null, { status: method === 'DELETE' ? 204 : 202 });
  });
}
