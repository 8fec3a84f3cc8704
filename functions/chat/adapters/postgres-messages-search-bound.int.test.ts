import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import { createTestUser } from '#test/support/database';
import { messageRows } from '#test/support/message-rows';
import { repositoryDrivers } from '#test/support/repository-drivers';
import type { SearchHit, SearchKeyset } from '../ports/message-repository';
import { postgresMessageReads } from './postgres-message-reads';

/*
 * A full-text search ranks only the person's newest matches (SEARCH_RANKED_MATCHES of them): a GIN
 * index cannot hand back the best few by rank, so ranking every match made a common word cost
 * seconds for a person with 200,000 messages. These tests lower the bound to 5 and hold the
 * search to it: the newest five matches only, best first among themselves, paged by the cursor
 * without a hit twice or one left out; and the substring path (newest first) paged through hits
 * that share a second. On node-postgres and through the Data API (as on Aurora).
 */
const { pgDb, drivers } = repositoryDrivers();
/** Messages here are stored at given instants (microseconds matter to the order). */
const { conversationOf, messagesIn: messagesAt } = messageRows(pgDb, 'Gardens');

const keysetOf = (cursor: string | null): SearchKeyset =>
  JSON.parse(Buffer.from(cursor ?? '', 'base64url').toString('utf8')) as SearchKeyset;

/** Every page of a search, `limit` hits a page, following the cursors to the end. */
async function allPages(
  reads: ReturnType<typeof postgresMessageReads>,
  ownerId: string,
  q: string,
  limit: number,
): Promise<SearchHit[][]> {
  const pages: SearchHit[][] = [];
  let cursor: SearchKeyset | undefined;
  for (;;) {
    const page = await reads.search(ownerId, { q, limit, cursor });
    pages.push(page.items);
    if (!page.nextCursor) return pages;
    if (pages.length > 20) throw new Error('the search does not end');
    cursor = keysetOf(page.nextCursor);
  }
}

/** Descending by `(rank, id)`, the order the full-text search answers in. */
const byRankThenId = (a: SearchHit, b: SearchHit) =>
  b.rank - a.rank || (a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0);

describe.each(drivers)('search over more matches than it ranks, on %s', (_driver, database) => {
  it('ranks only the newest matches, best first among themselves, paged without duplicates or gaps', async () => {
    // Prepare: eight matches, the oldest the best; the newest match of all in a deleted
    // conversation, and another person's, take no place among the five
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const older = await messagesAt(owner.id, conversationId, [
      { content: 'tulip tulip tulip tulip tulip', at: '2026-01-01T00:00:01Z' },
      { content: 'tulip tulip tulip tulip', at: '2026-01-01T00:00:02Z' },
      { content: 'tulip tulip tulip tulip', at: '2026-01-01T00:00:03Z' },
    ]);
    const newest = await messagesAt(owner.id, conversationId, [
      { content: 'tulip tulip tulip and roses', at: '2026-01-02T00:00:01.000001Z' },
      { content: 'a tulip', at: '2026-01-02T00:00:01.000002Z' },
      { content: 'nothing to see', at: '2026-01-02T00:00:01.000003Z' },
      { content: 'a tulip', at: '2026-01-02T00:00:01.000004Z' },
      { content: 'one tulip, then tulip bulbs', at: '2026-01-02T00:00:02Z' },
      { content: 'a tulip', at: '2026-01-02T00:00:03Z' },
    ]);
    const deleted = await conversationOf(owner.id, 'Bin');
    await messagesAt(owner.id, deleted, [{ content: 'tulip tulip', at: '2026-01-03T00:00:00Z' }]);
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: sql<Date>`now()` as never })
      .where('id', '=', deleted)
      .execute();
    await messagesAt(other.id, await conversationOf(other.id), [
      { content: 'tulip tulip', at: '2026-01-03T00:00:00Z' },
    ]);
    const reads = postgresMessageReads(database(), { rankedMatches: 5 });
    const candidates = newest.filter((_, i) => i !== 2);

    // Act
    const whole = await reads.search(owner.id, { q: 'tulip', limit: 50 });
    const pages = await allPages(reads, owner.id, 'tulip', 2);

    // Assess: the five newest, none of the three older and better ones
    expect(new Set(whole.items.map((hit) => hit.messageId))).toEqual(new Set(candidates));
    expect(whole.items.some((hit) => older.includes(hit.messageId))).toBe(false);
    expect(whole.items).toEqual([...whole.items].sort(byRankThenId));
    expect(whole.items[0]?.messageId).toBe(newest[0]);
    expect(whole.nextCursor).toBeNull();
    // Paged two at a time: the same hits in the same order, each once (three share a rank)
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(whole.items);
  });

  it('ranks every match when there are no more than it ranks', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const [best, worst] = await messagesAt(owner.id, conversationId, [
      { content: 'tulip tulip tulip', at: '2026-01-01T00:00:01Z' },
      { content: 'a tulip', at: '2026-01-01T00:00:02Z' },
    ]);
    const reads = postgresMessageReads(database(), { rankedMatches: 5 });

    // Act
    const found = await reads.search(owner.id, { q: 'tulip', limit: 1 });
    const next = await reads.search(owner.id, { q: 'tulip', limit: 1, cursor: keysetOf(found.nextCursor) });

    // Assess
    expect(found.items.map((hit) => hit.messageId)).toEqual([best]);
    expect(next.items.map((hit) => hit.messageId)).toEqual([worst]);
    expect(next.nextCursor).toBeNull();
  });

  it('pages Chinese, Japanese and Korean hits newest first, through hits that share a second', async () => {
    // Prepare: six hits in one second, apart by microseconds (the cursor's rank tells only
    // seconds apart, so the id orders them), and one in each of the seconds around it
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id, '花');
    await messagesAt(owner.id, conversationId, [
      { content: '桜が咲いた', at: '2026-04-01T08:59:59.999999Z' },
      ...Array.from({ length: 6 }, (_, i) => ({
        content: `桜 ${i}`,
        at: `2026-04-01T09:00:00.00000${i}Z`,
      })),
      { content: '梅が咲いた', at: '2026-04-01T09:00:00.5Z' },
      { content: '桜の季節', at: '2026-04-01T09:00:01Z' },
    ]);
    const reads = postgresMessageReads(database(), { rankedMatches: 5 });

    // Act
    const whole = await reads.search(owner.id, { q: '桜', limit: 50 });
    const pages = await allPages(reads, owner.id, '桜', 2);

    // Assess: all eight (the bound is the full-text search's), newest second first, each once
    expect(whole.items).toHaveLength(8);
    expect(whole.items[0]?.snippet.map((part) => part.text).join('')).toBe('桜の季節');
    expect(
      whole.items
        .at(-1)
        ?.snippet.map((part) => part.text)
        .join(''),
    ).toBe('桜が咲いた');
    expect(whole.items).toEqual([...whole.items].sort(byRankThenId));
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 2]);
    expect(pages.flat()).toEqual(whole.items);
  });
});
