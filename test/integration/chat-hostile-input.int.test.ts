import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { call, type CallInput, type CallResult } from '../support/api';
import { setUpChatApi } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// No OpenAI key: the offline model answers, so accepted sends are quick.
const { chat, conversations, signIn, newConversation } = await setUpChatApi({
  OFFLINE_MODEL_DELAY_MS: '0',
  CHAT_RATE_LIMIT_PER_MINUTE: '10000',
});
const exports = (await import('#exports/lambda')).handler;
const { token } = await signIn();
const conversationId = await newConversation(token);

/** Strings that broke parsers before: NUL, prototype keys, SQL, huge, control and odd Unicode. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '__proto__',
    'constructor',
    'prototype',
    "' OR 1=1 --",
    '"; DROP TABLE messages; --',
    '<script>alert(1)</script>',
    '%00',
    '%E0%A4%A',
    '9999-99-99T99:99:99Z',
    '2026-02-30T00:00:00Z',
    'NaN',
    '-1',
    '1e309',
    '\u202e\u2028\u2029',
    'x'.repeat(5000),
  ),
);
const queryKey = fc.oneof(
  fc.constantFrom('q', 'limit', 'cursor', 'format', '__proto__', 'constructor'),
  fc.string(),
);
const query = fc.dictionary(queryKey, nasty, { maxKeys: 4 });
const json = fc.oneof(
  fc.jsonValue(),
  fc.record({ content: nasty, model: fc.option(nasty, { nil: undefined }) }, { requiredKeys: [] }),
  fc.constant(JSON.parse('{"content":"hi","__proto__":{"polluted":true}}') as unknown),
);
const body = fc.oneof(json, nasty);
const headers = fc.record(
  {
    'Idempotency-Key': nasty,
    'Content-Type': fc.oneof(
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
      nasty,
    ),
    Accept: fc.constantFrom('text/event-stream', 'application/json', '*/*', ''),
  },
  { requiredKeys: [] },
);
const id = fc.oneof(
  fc.constant('CONVERSATION'),
  fc.uuid(),
  nasty.map((s) => encodeURIComponent(s) || 'x'),
);

function expectNoServerError(
  result: Pick<CallResult, 'status' | 'body'> & { text?: string },
  input: CallInput,
) {
  const text = result.text ?? JSON.stringify(result.body);
  expect(result.status, `${input.method} ${input.path} → ${text.slice(0, 300)}`).toBeLessThan(500);
  // Nothing of our insides: no stack frames, SQL state or file paths.
  expect(text).not.toMatch(/\n\s+at |SQLState|node_modules|\.ts:\d+/);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

// Each property is bounded (runs and time); together well under a minute on two cores.
const settings = { numRuns: 40, interruptAfterTimeLimit: 20_000 };

describe('hostile input to the chat routes never gets a 5xx or a stack trace', () => {
  it('POST /api/conversations/{id}/messages', async () => {
    await fc.assert(
      fc.asyncProperty(id, body, headers, async (rawId, payload, extra) => {
        const input: CallInput = {
          method: 'POST',
          path: `/api/conversations/${rawId === 'CONVERSATION' ? conversationId : rawId}/messages`,
          token,
          body: payload,
          headers: extra,
        };
        const result = await callStreaming(chat, input);
        await result.handlerDone;
        expectNoServerError(result, input);
      }),
      settings,
    );
  }, 60_000);

  it('GET /api/conversations/{id}/messages', async () => {
    await fc.assert(
      fc.asyncProperty(id, query, async (rawId, q) => {
        const input: CallInput = {
          method: 'GET',
          path: `/api/conversations/${rawId === 'CONVERSATION' ? conversationId : rawId}/messages`,
          token,
          query: q,
        };
        expectNoServerError(await call(conversations, input), input);
      }),
      settings,
    );
  }, 60_000);

  it('GET /api/conversations/{id}/export (the exports function)', async () => {
    const exportOf = (rawId: string, q: Record<string, string>): CallInput => ({
      method: 'GET',
      path: `/api/conversations/${rawId === 'CONVERSATION' ? conversationId : rawId}/export`,
      token,
      query: q,
    });
    // The requests below reach the route: a plain one downloads the file.
    const plain = await callStreaming(exports, exportOf('CONVERSATION', {}));
    await plain.handlerDone;
    expect(plain.status).toBe(200);
    expect(plain.headers['content-disposition']).toMatch(/^attachment; filename=/);

    await fc.assert(
      fc.asyncProperty(id, query, async (rawId, q) => {
        const input = exportOf(rawId, q);
        const result = await callStreaming(exports, input);
        await result.handlerDone;
        expectNoServerError(result, input);
      }),
      settings,
    );
  }, 60_000);

  it('GET /api/search', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const input: CallInput = { method: 'GET', path: '/api/search', token, query: q };
        expectNoServerError(await call(conversations, input), input);
      }),
      settings,
    );
  }, 60_000);
});
