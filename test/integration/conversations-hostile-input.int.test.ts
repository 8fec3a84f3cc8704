import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment, type CallInput, type CallResult } from '../support/api';
import { wellFormed } from '#shared/domain/text';
import { createTestUser, testDatabase } from '../support/database';

/*
 * The conversations' own routes (list, create, read, rename, delete, restore) and the caller's
 * profile and instructions, under input nobody sends by mistake: every answer is below 500, names
 * nothing of our insides, pollutes no prototype, and another owner's conversation is never read,
 * changed or deleted. (chat-hostile-input.int.test.ts holds the messages, search and export.)
 */
const issuer = setUpApiEnvironment();
const conversations = (await import('#conversations/lambda')).handler;
const users = (await import('#users/lambda')).handler;
const db = testDatabase();
afterAll(() => db.destroy());

async function member() {
  const user = await createTestUser(db, { role: 'members' });
  return {
    user,
    token: issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] }),
  };
}

const alice = await member();
const bob = await member();
const create = async (token: string, title: string) =>
  (
    (await call(conversations, { method: 'POST', path: '/api/conversations', token, body: { title } }))
      .body as {
      id: string;
    }
  ).id;
const mine = await create(alice.token, 'Mine');
const theirs = await create(bob.token, 'Bob only');
const theirsDeleted = await create(bob.token, 'Bob deleted');
await call(conversations, {
  method: 'DELETE',
  path: `/api/conversations/${theirsDeleted}`,
  token: bob.token,
});

/** Strings that broke parsers before, and what a search or a cursor holds when forged. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 210 }),
  fc.constantFrom(
    '\u0000',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    "' OR 1=1 --",
    '%',
    '_',
    '\\',
    ':*',
    '!',
    '&',
    '|',
    '(',
    '"',
    'NaN',
    '-1',
    '1e3',
    '01',
    ' 5',
    '5abc',
    '\ud800',
    '\u2028',
    '\u202e',
    '\u200b',
    'x'.repeat(5000),
  ),
);

/** A cursor as the API encodes one (base64url JSON), around a keyset of any kind. */
const instant = fc.oneof(
  fc
    .date({ min: new Date(-62_198_755_200_000), max: new Date(253_402_300_799_999), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc.constantFrom(
    '2025-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '10000-01-01T00:00:00Z',
    '2016-12-31T23:59:60Z',
    '2025-01-01T00:00:00+01:00',
    '2025-01-01T00:00:00.1234567Z',
  ),
);
const cursor = fc
  .record(
    { at: fc.oneof(instant, nasty), id: fc.oneof(fc.uuid(), nasty), rank: fc.double() },
    { requiredKeys: [] },
  )
  .map((keyset) => Buffer.from(JSON.stringify(keyset)).toString('base64url'));
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom('q', 'limit', 'cursor', '__proto__', 'constructor', 'hasOwnProperty'),
    fc.string(),
  ),
  fc.oneof(nasty, cursor),
  { maxKeys: 4 },
);
const body = fc.oneof(
  fc.jsonValue(),
  fc.record({ title: fc.oneof(nasty, fc.jsonValue()) }),
  fc.record({ instructions: fc.oneof(nasty, fc.constant(null), fc.jsonValue()) }),
  fc.constant(JSON.parse('{"title":"x","__proto__":{"polluted":true}}') as unknown),
  nasty,
);
/** A path segment: ours, another owner's (live or deleted), any UUID, or anything encoded. */
const id = fc.oneof(
  fc.constantFrom(mine, theirs, theirsDeleted),
  fc.uuid(),
  nasty.map((s) => encodeURIComponent(wellFormed(s)) || 'x'),
);

function expectNoServerError(result: CallResult, input: CallInput) {
  const text = JSON.stringify(result.body) ?? '';
  expect(result.status, `${input.method} ${input.path} → ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(text).not.toMatch(/\n\s+at |SQLState|node_modules|\.ts:\d+/);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const settings = { numRuns: 60, interruptAfterTimeLimit: 20_000 };

describe('hostile input to the conversations and profile routes never gets a 5xx or a stack trace', () => {
  it('GET /api/conversations', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const input: CallInput = { method: 'GET', path: '/api/conversations', token: alice.token, query: q };
        const result = await call(conversations, input);
        expectNoServerError(result, input);
        if (result.status === 200)
          expect(JSON.stringify(result.body)).not.toMatch(new RegExp(`${theirs}|${theirsDeleted}|Bob`));
      }),
      settings,
    );
  }, 60_000);

  it('POST /api/conversations and the routes of one conversation', async () => {
    await fc.assert(
      fc.asyncProperty(
        id,
        fc.constantFrom('GET', 'PATCH', 'DELETE', 'POST', 'RESTORE'),
        fc.option(body, { nil: undefined }),
        async (rawId, method, payload) => {
          const input: CallInput =
            method === 'POST'
              ? { method, path: '/api/conversations', token: alice.token, body: payload }
              : method === 'RESTORE'
                ? {
                    method: 'POST',
                    path: `/api/conversations/${rawId}/restore`,
                    token: alice.token,
                    body: payload,
                  }
                : { method, path: `/api/conversations/${rawId}`, token: alice.token, body: payload };
          const result = await call(conversations, input);
          expectNoServerError(result, input);
          if (rawId === theirs || rawId === theirsDeleted) expect(result.status).not.toBe(200);
          // Put ours back as it was for the next run.
          if (rawId === mine && method === 'DELETE' && result.status === 204)
            await call(conversations, {
              method: 'POST',
              path: `/api/conversations/${mine}/restore`,
              token: alice.token,
            });
        },
      ),
      settings,
    );

    // Another owner's conversations were neither renamed, deleted nor restored.
    const rows = await db
      .selectFrom('conversations')
      .select(['id', 'title', 'deleted_at'])
      .where('owner_id', '=', bob.user.id)
      .orderBy('title')
      .execute();
    expect(rows.map((row) => [row.id, row.title, row.deleted_at === null])).toEqual([
      [theirsDeleted, 'Bob deleted', false],
      [theirs, 'Bob only', true],
    ]);
  }, 60_000);

  it('/api/me and /api/me/instructions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET /api/me', 'GET /api/me/instructions', 'PUT /api/me/instructions'),
        fc.option(body, { nil: undefined }),
        query,
        async (route, payload, q) => {
          const [method = '', path = ''] = route.split(' ');
          const input: CallInput = { method, path, token: alice.token, body: payload, query: q };
          expectNoServerError(await call(users, input), input);
        },
      ),
      settings,
    );
  }, 60_000);
});
