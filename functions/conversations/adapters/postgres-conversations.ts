import { first, isoText, sql, type Queryable } from '#shared/db/sql';
import { sqlStateOf } from '#shared/db/sql-state';
import { encodeCursor } from '#shared/pagination/cursor';
import { ProfileNotFoundError } from '#shared/errors';
import { ConversationLimitError, type Conversation } from '../domain/conversation';
import type { ConversationRepository, ListOptions } from '../ports/conversation-repository';

/*
 * Ids are compared as `cast(… as uuid)`: the Data API sends strings as varchar, and
 * uuid = varchar has no operator on Aurora.
 */

/** The select list of every statement (`returning` too): exact timestamps as text. */
const columns = sql`id, title, message_count,
  ${isoText('created_at')} as created_at_text, ${isoText('updated_at')} as updated_at_text`;

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

/**
 * True while the owner has fewer than `max` live conversations (always when `max` is null). The
 * count stops at `max`: an index-only scan of at most `max` entries of the owner's in
 * conversations_owner_keyset_idx (live conversations only), a few milliseconds at 10,000, in the
 * statement that inserts or restores, so no extra round trip. No lock: two of the owner's
 * statements running at once may both see room (ports/conversation-repository.ts LiveLimit).
 */
const roomFor = (ownerId: string, max: number | null) => sql`(
  cast(${max} as int) is null
  or (
    select count(*) from (
      select 1 from conversations
      where owner_id = ${ownerId} and deleted_at is null
      limit cast(${max} as int)
    ) live
  ) < cast(${max} as int)
)`;

/** LIKE wildcards in user text are matched literally. */
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function postgresConversations(db: Queryable): ConversationRepository {
  return {
    async create(ownerId, title, { maxLive } = {}) {
      const max = maxLive ?? null;
      let row: Row | undefined;
      try {
        row = await first<Row>(
          db,
          sql`insert into conversations (owner_id, title)
              select cast(${ownerId} as text), cast(${title} as text)
              where ${roomFor(ownerId, max)}
              returning ${columns}`,
        );
      } catch (error) {
        // The owner's foreign key, the table's only one: no users row yet (it is written on the
        // person's first GET /api/me), a 404 that says so rather than a 500.
        if (sqlStateOf(error) === '23503') throw new ProfileNotFoundError();
        throw error;
      }
      if (row) return toConversation(row);
      // Only the cap keeps the insert from its row.
      if (max === null) throw new Error('insert into conversations returned no row');
      throw new ConversationLimitError(max);
    },

    async list(ownerId, { limit, cursor, q }: ListOptions) {
      const { rows } = await db.query<Row>(sql`
        select ${columns} from conversations
        where owner_id = ${ownerId} and deleted_at is null
        ${q ? sql`and title ilike ${`%${likeEscape(q)}%`}` : sql.empty}
        ${
          // Row-value comparison matches the (owner_id, updated_at desc, id desc) index.
          cursor ? sql`and (updated_at, id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : sql.empty
        }
        order by updated_at desc, id desc
        limit ${limit + 1}`);
      const items = rows.slice(0, limit).map(toConversation);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last.id }) : null,
      };
    },

    async get(ownerId, id) {
      const row = await first<Row>(
        db,
        sql`select ${columns} from conversations
            where id = cast(${id} as uuid) and owner_id = ${ownerId} and deleted_at is null`,
      );
      return row ? toConversation(row) : undefined;
    },

    async rename(ownerId, id, title) {
      const row = await first<Row>(
        db,
        sql`update conversations set title = ${title}, updated_at = now()
            where id = cast(${id} as uuid) and owner_id = ${ownerId} and deleted_at is null
            returning ${columns}`,
      );
      return row ? toConversation(row) : undefined;
    },

    async restore(ownerId, id, { maxLive } = {}) {
      const max = maxLive ?? null;
      // One row whatever happens: whether there was a deleted conversation of the owner's to
      // restore, whether the cap left room for it, and the conversation when it was restored
      // (null columns when it was not).
      const row = await first<Partial<Row> & { found: boolean; room: boolean }>(
        db,
        sql`with target as (
              select id as target_id from conversations
              where id = cast(${id} as uuid) and owner_id = ${ownerId} and deleted_at is not null
            ),
            room as materialized (select ${roomFor(ownerId, max)} as ok),
            restored as (
              update conversations set deleted_at = null
              from target
              -- deleted_at again on the row itself: a restore that waited for another one's lock
              -- reads the row as that one left it (restored) and must then leave it alone; the
              -- target's snapshot would still say deleted.
              where conversations.id = target.target_id and conversations.deleted_at is not null
                and (select ok from room)
              returning ${columns}
            )
            select exists (select 1 from target) as found, (select ok from room) as room, restored.*
            from (select 1) as one left join restored on true`,
      );
      if (!row?.found) return undefined;
      if (row.id === undefined || row.id === null) {
        // Found deleted but not restored: the cap, or another restore got there first (then it is
        // no longer deleted, a 404 as for any conversation not in the bin).
        if (!row.room && max !== null) throw new ConversationLimitError(max);
        return undefined;
      }
      return toConversation(row as Row);
    },

    async remove(ownerId, id) {
      // A reply still being written is asked to stop, as Stop asks (`stop_requested_at`): its
      // writer ends it at its next save with the words so far. Left alone, the model would go on
      // writing, and charging, into a conversation nobody can see or stop any more (404).
      // Two statements: the second's snapshot is taken once the first holds the conversation, so
      // it sees a turn or regeneration that committed while the first waited for it (the first's
      // snapshot does not); none can start after it, as they wait for the lock and then find the
      // conversation deleted.
      const deleted = await first<{ id: string }>(
        db,
        sql`update conversations set deleted_at = ${new Date()}
            where id = cast(${id} as uuid) and owner_id = ${ownerId} and deleted_at is null
            returning id`,
      );
      if (!deleted) return false;
      await db.query(
        sql`update messages set stop_requested_at = coalesce(stop_requested_at, now())
            where conversation_id = cast(${deleted.id} as uuid) and status = 'streaming'`,
      );
      return true;
    },
  };
}
