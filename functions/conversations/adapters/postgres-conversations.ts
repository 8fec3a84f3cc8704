import { sql, type Kysely } from 'kysely';
import { asUuid } from '#shared/db/database';
import type { Database } from '#shared/db/schema';
import { isoText } from '#shared/db/timestamps';
import { encodeCursor } from '#shared/pagination/cursor';
import type { Conversation } from '../domain/conversation';
import type { ConversationRepository, ListOptions } from '../ports/conversation-repository';

/*
 * Ids are compared through asUuid: the Data API sends strings as varchar, and uuid = varchar has
 * no operator on Aurora.
 */

const columns = [
  'id',
  'title',
  'message_count',
  isoText('created_at').as('created_at_text'),
  isoText('updated_at').as('updated_at_text'),
] as const;

interface Row {
  id: string;
  title: string;
  message_count: number | string;
  created_at_text: string;
  updated_at_text: string;
}

const toConversation = (row: Row): Conversation => ({
  id: row.id,
  title: row.title,
  createdAt: row.created_at_text,
  updatedAt: row.updated_at_text,
  messageCount: Number(row.message_count),
});

/** LIKE wildcards in user text are matched literally. */
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function postgresConversations(db: Kysely<Database>): ConversationRepository {
  return {
    async create(ownerId, title) {
      const row = await db
        .insertInto('conversations')
        .values({ owner_id: ownerId, title })
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toConversation(row);
    },

    async list(ownerId, { limit, cursor, q }: ListOptions) {
      let query = db
        .selectFrom('conversations')
        .select(columns)
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null);
      if (q) query = query.where('title', 'ilike', `%${likeEscape(q)}%`);
      if (cursor) {
        // Row-value comparison matches the (owner_id, updated_at desc, id desc) index.
        query = query.where(sql<boolean>`(updated_at, id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`);
      }
      const rows = await query
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toConversation);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last.id }) : null,
      };
    },

    async get(ownerId, id) {
      const row = await db
        .selectFrom('conversations')
        .select(columns)
        .where('id', '=', asUuid(id))
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return row ? toConversation(row) : undefined;
    },

    async rename(ownerId, id, title) {
      const row = await db
        .updateTable('conversations')
        .set({ title, updated_at: sql<Date>`now()` as never })
        .where('id', '=', asUuid(id))
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .returning(columns)
        .executeTakeFirst();
      return row ? toConversation(row) : undefined;
    },

    async remove(ownerId, id) {
      const result = await db
        .updateTable('conversations')
        .set({ deleted_at: new Date() })
        .where('id', '=', asUuid(id))
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
