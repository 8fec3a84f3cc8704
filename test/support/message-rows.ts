import { sql, type Kysely } from 'kysely';

import { DEFAULT_TITLE } from '../../functions/conversations/domain/conversation';
import type { Database } from '../../functions/shared/db/schema';

/** A message to store at a given instant (microseconds matter to the order). */
export interface MessageAt {
  readonly content: string;
  readonly at: string;
}

/**
 * Conversations and messages written straight to the tables, for the message repository's tests to
 * arrange (and read back) what the repository under test then sees. `db` is the file's Kysely
 * handle (repositoryDrivers' `pgDb`); conversations are titled `defaultTitle` unless told.
 */
export function messageRows(db: Kysely<Database>, defaultTitle: string = DEFAULT_TITLE) {
  return {
    /** One conversation of `ownerId`; resolves to its id. */
    async conversationOf(ownerId: string, title = defaultTitle): Promise<string> {
      const row = await db
        .insertInto('conversations')
        .values({ owner_id: ownerId, title })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    /** `count` conversations of `ownerId`, titled `defaultTitle`; resolves to their ids. */
    async conversationsOf(ownerId: string, count: number): Promise<string[]> {
      const rows = await db
        .insertInto('conversations')
        .values(Array.from({ length: count }, () => ({ owner_id: ownerId, title: defaultTitle })))
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },

    /**
     * Stores user messages of one conversation, in order: a string one second after the one before
     * from `start`, a `MessageAt` at its own instant. Resolves to their ids, in the same order.
     */
    async messagesIn(
      ownerId: string,
      conversationId: string,
      rows: readonly (string | MessageAt)[],
      start = '2026-03-01T09:00:00Z',
    ): Promise<string[]> {
      const base = Date.parse(start);
      const inserted = await db
        .insertInto('messages')
        .values(
          rows.map((row, i) => ({
            conversation_id: conversationId,
            owner_id: ownerId,
            role: 'user' as const,
            content: typeof row === 'string' ? row : row.content,
            created_at:
              sql<Date>`cast(${typeof row === 'string' ? new Date(base + i * 1000).toISOString() : row.at} as timestamptz)` as never,
          })),
        )
        .returning('id')
        .execute();
      return inserted.map((row) => row.id);
    },

    /** The conversations of `ownerId`'s replies being written (status `streaming`), one row each. */
    streamingOf: (ownerId: string) =>
      db
        .selectFrom('messages')
        .select('conversation_id')
        .where('owner_id', '=', ownerId)
        .where('status', '=', 'streaming')
        .execute(),
  };
}
