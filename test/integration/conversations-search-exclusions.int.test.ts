import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';

/*
 * A search with no word to find but excluded ones (`-rf`, `- b`, `-a or b`) matched every message
 * without them: a person looking for a command-line flag got all their messages. Such a search
 * looks for its words as written; one with a word to find keeps `-word` as an exclusion.
 */
const issuer = setUpApiEnvironment();
const { handler } = await import('#conversations/lambda');
const db = testDatabase();
afterAll(() => db.destroy());

const user = await createTestUser(db, { role: 'members' });
const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
const { id } = await db
  .insertInto('conversations')
  .values({ owner_id: user.id, title: 'Shell' })
  .returning('id')
  .executeTakeFirstOrThrow();
const contents = [
  'Never run rm -rf on the root',
  'Push with --force only to your own branch',
  'A lantern by the door',
];
const stored = await db
  .insertInto('messages')
  .values(
    contents.map((content) => ({ conversation_id: id, owner_id: user.id, role: 'user' as const, content })),
  )
  .returning(['id', 'content'])
  .execute();
/** Each message's content by its id. */
const contentOf = new Map(stored.map((row) => [row.id, row.content]));

async function found(q: string): Promise<string[]> {
  const response = await call(handler, { method: 'GET', path: '/api/search', token, query: { q } });
  expect(response.status, q).toBe(200);
  const hits = (response.body as { items: { messageId: string }[] }).items;
  return hits.map((hit) => contentOf.get(hit.messageId) ?? hit.messageId).sort();
}

describe('GET /api/search of excluded words only', () => {
  it.each([
    ['-rf', [contents[0]]],
    ['- rf', [contents[0]]],
    ['-rf or lantern', [contents[2], contents[0]].sort()],
    ['-"own branch"', [contents[1]]],
  ])('finds the words of %j as written, not every message without them', async (q, expected) => {
    expect(await found(q)).toEqual(expected);
  });

  it('keeps -word an exclusion beside a word to find', async () => {
    expect(await found('lantern -rf')).toEqual([contents[2]]);
    expect(await found('rf -lantern')).toEqual([contents[0]]);
    expect(await found('door -lantern')).toEqual([]);
  });
});
