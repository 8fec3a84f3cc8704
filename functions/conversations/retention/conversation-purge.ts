import { sql, type Queryable, type Sql } from '#shared/db/sql';

/** Erases conversations for good, their messages with them (the foreign key cascades). */
export interface ConversationPurge {
  /** Up to `limit` conversations their owners deleted before `before`; how many were erased. */
  eraseDeleted(before: Date, limit: number): Promise<number>;
  /** Up to `limit` conversations, deleted or not, last written to before `before`; how many. */
  eraseInactive(before: Date, limit: number): Promise<number>;
}

/**
 * On PostgreSQL (pg or the Data API). Each call is one short statement: a batch of conversations
 * chosen by a sub-select and deleted, so a large backlog never holds locks or one Data API call
 * for long. Neither column is indexed for this: the daily run reads the table once a batch and
 * stops at the batch's size, which stays cheap at the sizes in docs/performance.md.
 */
export function postgresConversationPurge(db: Queryable): ConversationPurge {
  const erase = async (where: Sql, limit: number) => {
    const result = await db.query(sql`
      delete from conversations
      where id in (select id from conversations where ${where} limit ${limit})`);
    return result.rowCount;
  };
  return {
    eraseDeleted: async (before, limit) =>
      erase(sql`deleted_at < cast(${before.toISOString()} as timestamptz)`, limit),
    eraseInactive: async (before, limit) =>
      erase(sql`updated_at < cast(${before.toISOString()} as timestamptz)`, limit),
  };
}
