import { sql } from 'kysely';
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';

/*
 * GET /api/search found no word of a Chinese or Japanese sentence, nor a Korean word with its
 * particle: PostgreSQL's parser splits text at spaces and punctuation only. A query in those
 * scripts looks its terms up as substrings, literally, newest first, through the same route,
 * cursor and answer (each checked against the OpenAPI document by `call`).
 */
const issuer = setUpApiEnvironment();
const { handler } = await import('#conversations/lambda');
const db = testDatabase();
afterAll(() => db.destroy());

const user = await createTestUser(db, { role: 'members' });
const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
const { id } = await db
  .insertInto('conversations')
  .values({ owner_id: user.id, title: '検索' })
  .returning('id')
  .executeTakeFirstOrThrow();
const contents = [
  '割引率は50%です',
  '変数名はa_bです',
  'パスは C:\\温度\\ です',
  '彼は"東京"と言った',
  "東京'; drop table users; -- です",
  '한국어를 배우는 중입니다',
  ...Array.from({ length: 23 }, (_, i) => `第${i}回の会議`),
];
const stored = await db
  .insertInto('messages')
  .values(
    contents.map((content, i) => ({
      conversation_id: id,
      owner_id: user.id,
      role: 'user' as const,
      content,
      created_at:
        sql<Date>`cast(${new Date(Date.UTC(2026, 2, 1, 9, 0, i)).toISOString()} as timestamptz)` as never,
    })),
  )
  .returning(['id', 'content'])
  .execute();
/** Each message's content by its id. */
const contentOf = new Map(stored.map((row) => [row.id, row.content]));

interface SearchPage {
  items: { messageId: string; snippet: { text: string; match: boolean }[] }[];
  nextCursor: string | null;
}

async function search(query: Record<string, string>): Promise<SearchPage> {
  const response = await call(handler, { method: 'GET', path: '/api/search', token, query });
  expect(response.status, JSON.stringify(query)).toBe(200);
  return response.body as SearchPage;
}

const found = async (q: string) =>
  (await search({ q })).items.map((hit) => contentOf.get(hit.messageId) ?? hit.messageId).sort();

describe('GET /api/search in Chinese, Japanese and Korean', () => {
  it('finds a Korean word with its particle, the match highlighted', async () => {
    const page = await search({ q: '한국어' });
    expect(page.items.map((hit) => hit.snippet)).toEqual([
      [
        { text: '한국어', match: true },
        { text: '를 배우는 중입니다', match: false },
      ],
    ]);
  });

  it.each([
    ['%です', ['割引率は50%です']],
    ['a_bです', ['変数名はa_bです']],
    ['は_', []],
    ['% 東京', []],
    ['\\温度', ['パスは C:\\温度\\ です']],
    ['"東京"', ['彼は"東京"と言った']],
    ["東京'; drop table users; --", ["東京'; drop table users; -- です"]],
    ["東京' or '1'='1", []],
  ])('matches %j literally, never as a wildcard or as SQL', async (q, expected) => {
    expect(await found(q)).toEqual(expected);
  });

  it('pages through more hits than a page with the cursors it answers, each hit once, newest first', async () => {
    // Act
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SearchPage = await search({ q: '会議', limit: '10', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((hit) => hit.messageId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);

    // Assess
    expect(pages).toBe(3);
    const expected = stored.filter((row) => row.content.includes('会議')).map((row) => row.id);
    expect(seen).toEqual(expected.reverse());
  });

  it('answers every query mixing those scripts with hostile characters, each hit holding every term', async () => {
    const piece = fc.constantFrom(
      '東京',
      'です',
      '会議',
      '한국어',
      '%',
      '_',
      '\\',
      '"',
      "'",
      '-',
      'or',
      ' ',
      '\u3000',
      'a',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 8 }), async (pieces) => {
        const q = `会${pieces.join('')}`;
        const terms = q.split(/\s+/u).filter(Boolean);
        for (const text of await found(q))
          for (const term of terms) expect(text.toLowerCase()).toContain(term.toLowerCase());
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  /** A search cursor as the route encodes one (base64url JSON of `{rank, id}`). */
  const cursorOf = (keyset: unknown) => Buffer.from(JSON.stringify(keyset)).toString('base64url');

  it.each([
    [{ q: '東京\u0000' }, 'query.q'],
    [{ q: '東'.repeat(201) }, 'query.q'],
    [JSON.parse('{"q":"東京","__proto__":"x"}') as Record<string, string>, 'query'],
    [{ q: '東京', constructor: 'x' }, 'query'],
    [
      { q: '会議', cursor: cursorOf({ rank: -1, id: '00000000-0000-4000-8000-000000000000' }) },
      'query.cursor',
    ],
    [{ q: '会議', cursor: cursorOf({ rank: 'NaN', id: '2026-02-30' }) }, 'query.cursor'],
    [{ q: '会議', cursor: cursorOf({ at: '2026-02-30T25:00:00Z', id: 'x' }) }, 'query.cursor'],
    [{ q: '会議', cursor: '!!!' }, 'query.cursor'],
  ])('refuses %j with a 400 problem naming %s, never a 5xx', async (query, path) => {
    const response = await call(handler, { method: 'GET', path: '/api/search', token, query });

    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const errors = (response.body as { errors?: { path: string }[] }).errors ?? [];
    expect(errors.map((e) => e.path)).toContain(path);
  });
});
