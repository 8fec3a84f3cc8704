import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '#test/support/api';
import { createTestUser, testDatabase } from '#test/support/database';

const issuer = setUpApiEnvironment();
const { handler } = await import('#conversations/lambda');
const db = testDatabase();

afterAll(async () => {
  await db.destroy();
});

interface Hit {
  messageId: string;
  snippet: { text: string; match: boolean }[];
}

describe('GET /api/search', () => {
  it('marks only the words searched for in a reply that holds U+0001 and U+0002, and drops none of its text', async () => {
    // Prepare: a reply as a model may write it, with the control characters the snippet's marks use
    const user = await createTestUser(db, { role: 'members' });
    const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
    const { id } = await db
      .insertInto('conversations')
      .values({ owner_id: user.id, title: 'Bytes' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const written = 'see\u0002 the lantern\u0001 shine\u0002 bright\u0002 tonight';
    const [withMarks, plain] = await db
      .insertInto('messages')
      .values(
        [written, written.replaceAll('\u0001', ' ').replaceAll('\u0002', ' ')].map((content) => ({
          conversation_id: id,
          owner_id: user.id,
          role: 'assistant' as const,
          status: 'complete' as const,
          content,
        })),
      )
      .returning('id')
      .execute();

    // Act
    const response = await call(handler, {
      method: 'GET',
      path: '/api/search',
      token,
      query: { q: 'lantern' },
    });

    // Assess: the reply reads as the same text without them does
    expect(response.status).toBe(200);
    const hits = (response.body as { items: Hit[] }).items;
    const snippetOf = (messageId: string | undefined) =>
      hits
        .find((hit) => hit.messageId === messageId)
        ?.snippet.map((part) => ({ text: part.text.replace(/\s+/g, ' '), match: part.match }));
    expect(snippetOf(withMarks?.id)?.filter((part) => part.match)).toEqual([
      { text: 'lantern', match: true },
    ]);
    expect(snippetOf(withMarks?.id)).toEqual(snippetOf(plain?.id));
  });
});
