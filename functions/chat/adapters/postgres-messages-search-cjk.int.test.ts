import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import { createTestUser } from '#test/support/database';
import { messageRows } from '#test/support/message-rows';
import { repositoryDrivers } from '#test/support/repository-drivers';
import type { SearchHit } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';
import { SEARCH_SNIPPET_MAX_CHARS } from './postgres-message-reads';

/*
 * PostgreSQL's parser splits text into words at spaces and punctuation only, so a Chinese or
 * Japanese sentence is one lexeme and a Korean word is one with its particle (`한국어를`): the
 * full-text search found none of their words. A query in those scripts looks for its terms as
 * substrings instead, newest first. These tests hold that path to the full-text one's scope,
 * snippet shape and size bounds, on node-postgres and through the Data API (as on Aurora).
 */
const { pgDb, drivers } = repositoryDrivers();
/** Messages here are one second apart from 2026-03-01T09:00:00Z unless an instant is given. */
const { conversationOf, messagesIn } = messageRows(pgDb, 'メモ');

/** The sort key of a page's last hit, as the repository encoded it in `nextCursor`. */
const keysetOf = (cursor: string | null) =>
  JSON.parse(Buffer.from(cursor ?? '', 'base64url').toString('utf8')) as { rank: number; id: string };

const snippetText = (hit: SearchHit | undefined) => hit?.snippet.map((part) => part.text).join('') ?? '';

describe.each(drivers)('search in Chinese, Japanese and Korean on %s', (_driver, database) => {
  it('finds a word inside a Japanese sentence, the match highlighted', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id, '潮汐');
    const [tides] = await messagesIn(owner.id, conversationId, [
      '潮の満ち引きは月の引力による',
      '今日は晴れ',
    ]);

    // Act
    const found = await postgresMessages(database()).search(owner.id, { q: '引力', limit: 20 });

    // Assess
    expect(found.items).toEqual([
      {
        conversationId,
        conversationTitle: '潮汐',
        messageId: tides,
        role: 'user',
        snippet: [
          { text: '潮の満ち引きは月の', match: false },
          { text: '引力', match: true },
          { text: 'による', match: false },
        ],
        rank: expect.any(Number) as number,
        createdAt: '2026-03-01T09:00:00.000000Z',
      },
    ]);
    expect(found.nextCursor).toBeNull();
  });

  it('finds a word inside a Chinese sentence, the match highlighted', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const [museum] = await messagesIn(owner.id, conversationId, [
      '我们明天去北京参观故宫博物院',
      '我们明天去上海',
    ]);

    // Act
    const found = await postgresMessages(database()).search(owner.id, { q: '故宫', limit: 20 });

    // Assess
    expect(found.items.map((hit) => [hit.messageId, hit.snippet])).toEqual([
      [
        museum,
        [
          { text: '我们明天去北京参观', match: false },
          { text: '故宫', match: true },
          { text: '博物院', match: false },
        ],
      ],
    ]);
  });

  it('finds a Korean word with its particle attached', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const [learning] = await messagesIn(owner.id, conversationId, ['한국어를 배우는 중입니다', '영어 공부']);

    // Act
    const found = await postgresMessages(database()).search(owner.id, { q: '한국어', limit: 20 });

    // Assess
    expect(found.items.map((hit) => [hit.messageId, hit.snippet])).toEqual([
      [
        learning,
        [
          { text: '한국어', match: true },
          { text: '를 배우는 중입니다', match: false },
        ],
      ],
    ]);
  });

  it('requires every term of the query, in any order, letters in any case', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const [both, , tower] = await messagesIn(owner.id, conversationId, [
      '明日の天気は東京で雨',
      '東京の電車は混んでいる',
      '東京 Tower に行った',
    ]);
    const repo = postgresMessages(database());

    // Act
    const weather = await repo.search(owner.id, { q: '東京 天気', limit: 20 });
    const ideographicSpace = await repo.search(owner.id, { q: '天気\u3000東京', limit: 20 });
    const mixed = await repo.search(owner.id, { q: '東京 tower', limit: 20 });

    // Assess: the highlight is on the first term's first occurrence
    expect(weather.items.map((hit) => hit.messageId)).toEqual([both]);
    expect(weather.items[0]?.snippet).toEqual([
      { text: '明日の天気は', match: false },
      { text: '東京', match: true },
      { text: 'で雨', match: false },
    ]);
    expect(ideographicSpace.items.map((hit) => hit.messageId)).toEqual([both]);
    expect(mixed.items.map((hit) => hit.messageId)).toEqual([tower]);
  });

  it("never finds another owner's messages, nor those of a deleted conversation", async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const mine = await conversationOf(owner.id);
    const binned = await conversationOf(owner.id);
    const theirs = await conversationOf(other.id);
    const [kept] = await messagesIn(owner.id, mine, ['私の引力のメモ']);
    await messagesIn(owner.id, binned, ['ゴミ箱の引力']);
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: sql<Date>`now()` as never })
      .where('id', '=', binned)
      .execute();
    await messagesIn(other.id, theirs, ['他人の引力']);
    // A message of theirs in our owner's conversation would be a bug elsewhere; both owner
    // filters hold anyway.
    await messagesIn(other.id, mine, ['紛れ込んだ引力']);
    const repo = postgresMessages(database());

    // Act
    const found = await repo.search(owner.id, { q: '引力', limit: 20 });
    const theirsFound = await repo.search(other.id, { q: '引力', limit: 20 });

    // Assess
    expect(found.items.map((hit) => hit.messageId)).toEqual([kept]);
    expect(theirsFound.items.map((hit) => snippetText(hit)).sort()).toEqual(['他人の引力']);
  });

  it('matches %, _, \\, quotes and SQL in a query literally, never as wildcards or code', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const [percent, underscore, backslash, quoted, injection] = await messagesIn(owner.id, conversationId, [
      '割引率は50%です',
      '変数名はa_bです',
      'パスは C:\\温度\\ です',
      '彼は"東京"と言った',
      "東京'; drop table users; -- です",
    ]);
    const repo = postgresMessages(database());
    const found = async (q: string) =>
      (await repo.search(owner.id, { q, limit: 20 })).items.map((hit) => hit.messageId).sort();

    // Act and Assess
    expect(await found('%です')).toEqual([percent]);
    expect(await found('a_bです')).toEqual([underscore]);
    expect(await found('は_')).toEqual([]);
    expect(await found('% 東京')).toEqual([]);
    expect(await found('\\温度')).toEqual([backslash]);
    expect(await found('\\です')).toEqual([]);
    expect(await found('"東京"')).toEqual([quoted]);
    expect(await found('東京 -"東京"')).toEqual([]);
    expect(await found("東京'; drop table users; --")).toEqual([injection]);
    expect(await found("東京' or '1'='1")).toEqual([]);
    expect(await pgDb.selectFrom('users').select('id').where('id', '=', owner.id).execute()).toHaveLength(1);
  });

  it('pages through more hits than a page, newest first, each exactly once', async () => {
    // Prepare: 25 matches one second apart, and 6 more sharing one instant (told apart by id)
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const spaced = await messagesIn(
      owner.id,
      conversationId,
      Array.from({ length: 25 }, (_, i) => `第${i}回の会議`),
    );
    const together = await messagesIn(
      owner.id,
      conversationId,
      Array.from({ length: 6 }, (_, i) => ({ content: `同時の会議${i}`, at: '2026-03-01T08:00:00.5Z' })),
    );
    await messagesIn(owner.id, conversationId, ['関係ない話']);
    const repo = postgresMessages(database());

    // Act
    const pages: SearchHit[][] = [];
    let cursor: { rank: number; id: string } | undefined;
    for (let n = 0; n < 10; n += 1) {
      const page = await repo.search(owner.id, { q: '会議', limit: 10, cursor });
      pages.push([...page.items]);
      if (!page.nextCursor) break;
      cursor = keysetOf(page.nextCursor);
      expect(cursor).toEqual({ rank: page.items.at(-1)?.rank, id: page.items.at(-1)?.messageId });
    }

    // Assess: the newest first to the second, ties by id (descending), and nothing twice
    expect(pages.map((page) => page.length)).toEqual([10, 10, 10, 1]);
    const expected = [...spaced.reverse(), ...together.sort().reverse()];
    expect(pages.flat().map((hit) => hit.messageId)).toEqual(expected);
    const ranks = pages.flat().map((hit) => hit.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it("removes the message's own highlight characters, so that every mark is the search's", async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    await messagesIn(owner.id, conversationId, ['\u0001偽\u0002の引力\u0001は\u0002強い']);

    // Act
    const found = await postgresMessages(database()).search(owner.id, { q: '引力', limit: 20 });

    // Assess
    expect(found.items[0]?.snippet).toEqual([
      { text: ' 偽 の', match: false },
      { text: '引力', match: true },
      { text: ' は 強い', match: false },
    ]);
  });

  it('answers a window around the match in long messages, whole characters, a page within the Data API bounds', async () => {
    // Prepare: 51 messages of 60,000 bytes (15,000 four-byte Han characters), the match halfway
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id, '𠀋'.repeat(200));
    const half = '𠀋'.repeat(7_499);
    const contents = Array.from({ length: 51 }, () => `${half}引力${half}`);
    await messagesIn(owner.id, conversationId, contents);

    // Act
    const found = await postgresMessages(database()).search(owner.id, { q: '引力', limit: 50 });

    // Assess: each snippet is cut before and after the match, on whole characters, and bounded
    expect(found.items).toHaveLength(50);
    for (const hit of found.items) {
      const [before, match, after] = hit.snippet;
      expect(match).toEqual({ text: '引力', match: true });
      expect(before?.text.startsWith('…')).toBe(true);
      expect(after?.text.endsWith('…')).toBe(true);
      expect(Array.from(before?.text ?? '').slice(1)).toEqual(
        Array.from(before?.text ?? '')
          .slice(1)
          .fill('𠀋'),
      );
      expect(Array.from(after?.text ?? '').slice(0, -1)).toEqual(
        Array.from(after?.text ?? '')
          .slice(0, -1)
          .fill('𠀋'),
      );
      // No lone surrogate (half of a character cut in two)
      expect(/\p{Cs}/u.test(snippetText(hit))).toBe(false);
      expect(Array.from(snippetText(hit)).length).toBeLessThanOrEqual(SEARCH_SNIPPET_MAX_CHARS + 1);
    }
    expect(found.nextCursor).not.toBeNull();
  });
});
