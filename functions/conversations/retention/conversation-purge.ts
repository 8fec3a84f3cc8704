import { sql, type Queryable, type Sql } from '#shared/db/sql';

/**
 * Erases conversations for good, their messages with them (the foreign key cascades). Neither
 * kind takes a conversation that still holds a reply being written (`streaming`): see below.
 */
export interface ConversationPurge {
  /** Up to `limit` conversations their owners deleted before `before`; how many were erased. */
  eraseDeleted(before: Date, limit: number): Promise<number>;
  /** Up to `limit` conversations, deleted or not, last written to before `before`; how many. */
  eraseInactive(before: Date, limit: number): Promise<number>;
}

/**
 * A conversation still holding a reply being written is not erased, whatever its age: the reply is
 * either live (a chat function writes it now; the conversation would vanish under it) or abandoned
 * by a function that died and not yet charged. The run's sweep charges abandoned replies first, but
 * passes over one whose owner is locked (a turn in progress) and stops at its batch and time
 * limits; erasing such a reply would lose its tokens from the quota and the usage report for good.
 * The conversation waits for a later run, whose sweep charges the reply (marks it failed) first.
 * The check sits in the batch's choice, not only on the DELETE: a batch chosen among conversations
 * it then keeps would erase fewer than its limit, which reads as "none left" with erasable ones
 * behind them, and every later batch would choose the same ones again. It reads the messages by
 * conversation (their index of migration 0004).
 */
const holdsNoReplyBeingWritten = sql`not exists (
  select 1 from messages m where m.conversation_id = conversations.id and m.status = 'streaming')`;

/**
 * On PostgreSQL (pg or the Data API). Each call is one short statement: a batch of conversations
 * chosen by a sub-select and deleted, so a large backlog never holds locks or one Data API call
 * for long. Deleted conversations are found through a partial index on `deleted_at` (migration
 * 0014, only deleted rows, so live writes never touch it); inactive ones by reading the table until
 * a batch is full, which only a stage that sets `retention.conversationDays` asks for.
 */
export function postgresConversationPurge(db: Queryable): ConversationPurge {
  const erase = async (age: Sql, limit: number) => {
    const where = sql`${age} and ${holdsNoReplyBeingWritten}`;
    // The condition again on the DELETE itself: a row the sub-select chose that a restore or a new
    // turn changes meanwhile is waited for and then checked again as committed, but only against
    // the DELETE's own conditions (READ COMMITTED does not run the sub-select again). Without it,
    // a conversation restored, or written to at the cut-off, during the run was erased anyway.
    const result = await db.query(sql`
      delete from conversations
      where id in (select id from conversations where ${where} limit ${limit}) and ${where}`);
    return result.rowCount;
  };
  return {
    eraseDeleted: async (before, limit) =>
      erase(sql`deleted_at < cast(${before.toISOString()} as timestamptz)`, limit),
    eraseInactive: async (before, limit) =>
      erase(sql`updated_at < cast(${before.toISOString()} as timestamptz)`, limit),
  };
}
