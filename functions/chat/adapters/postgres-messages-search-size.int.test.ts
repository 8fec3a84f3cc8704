import { afterAll, describe, expect, it } from 'vitest';

import {
  DATA_API_RESPONSE_LIMIT,
  DATA_API_ROW_LIMIT,
  sqlOnDataApi,
} from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase } from '#test/support/database';
import { CONTENT_MAX_BYTES } from '../domain/message';
import { postgresMessages } from './postgres-message-repository';
import { SEARCH_SNIPPET_MAX_CHARS } from './postgres-message-reads';

/**
 * A search answers through the Data API on Aurora, which returns at most 64 KB a row and 1 MiB a
 * call. ts_headline keeps up to 30 words a fragment, but a "word" may be up to 2,047 bytes (the
 * longest PostgreSQL indexes), so a snippet is bounded only by the message unless we bound it.
 */
const pgDb = testDatabase();
const onDataApi = sqlOnDataApi();

afterAll(async () => {
  await pgDb.destroy();
});

/** A message as long as a user may send: the match, then words of 2,000 letters. */
function longWordsMessage(n: number): string {
  const words = Array.from({ length: 40 }, (_, i) => String.fromCharCode(97 + ((i + n) % 26)).repeat(2_000));
  let text = 'budget';
  for (const word of words) {
    if (Buffer.byteLength(`${text} ${word}`) > CONTENT_MAX_BYTES) break;
    text += ` ${word}`;
  }
  return text;
}

describe('search on the Data API', () => {
  it('answers a page of long-worded matches within the 64 KB a row and 1 MiB a call', async () => {
    // Prepare: 21 matching user messages of the largest size, in words of 2,000 letters
    const owner = await createTestUser(pgDb);
    const { id: conversationId } = await pgDb
      .insertInto('conversations')
      .values({ owner_id: owner.id, title: 'é'.repeat(200) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const contents = Array.from({ length: 21 }, (_, n) => longWordsMessage(n));
    await pgDb
      .insertInto('messages')
      .values(
        contents.map((content) => ({
          conversation_id: conversationId,
          owner_id: owner.id,
          role: 'user',
          content,
        })),
      )
      .execute();

    // Act
    const found = await postgresMessages(onDataApi.db()).search(owner.id, { q: 'budget', limit: 20 });

    // Assess: the page came back, each snippet within its bound, which keeps any page within 1 MiB
    expect(found.items).toHaveLength(20);
    for (const item of found.items) {
      expect(item.snippet[0]).toEqual({ text: 'budget', match: true });
      const text = item.snippet.map((p) => p.text).join('');
      // Cut (the marks around the match count in the bound, not in the text), and it says so.
      expect(Array.from(text).length).toBeGreaterThan(SEARCH_SNIPPET_MAX_CHARS - 10);
      expect(Array.from(text).length).toBeLessThanOrEqual(SEARCH_SNIPPET_MAX_CHARS + 1);
      expect(text.endsWith('…')).toBe(true);
    }
    // The largest row: a snippet of 4 bytes a character, a title of 200 such, two uuids, the
    // role, the time and the rank; the search's largest page is 50 (+1 to look ahead).
    const rowBytes = 4 * (SEARCH_SNIPPET_MAX_CHARS + 1) + 4 * 200 + 2 * 36 + 9 + 24 + 16;
    expect(rowBytes).toBeLessThan(DATA_API_ROW_LIMIT);
    expect(51 * rowBytes).toBeLessThan(DATA_API_RESPONSE_LIMIT);
  });
});
