import type { SqlDatabase } from '#shared/db/sql';
import type { MessageRepository } from '../ports/message-repository';
import { postgresMessageReads } from './postgres-message-reads';
import { postgresTurns } from './postgres-messages';

/**
 * Every method of the messages on PostgreSQL: the turns and the reads. The chat group takes the
 * turns alone (`postgresTurns`); the conversations and exports groups, and the tests, take this.
 */
export function postgresMessages(db: SqlDatabase): MessageRepository {
  return { ...postgresTurns(db), ...postgresMessageReads(db) };
}
