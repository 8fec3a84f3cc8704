import type { AuditLog } from '#shared/audit/audit-log';
import type { InTransaction } from '#shared/domain/transaction';
import type { Keyset, Page } from '#shared/pagination/cursor';
import type { Conversation } from '../domain/conversation';

export interface ListOptions {
  readonly limit: number;
  readonly cursor?: Keyset;
  /** Case-insensitive match on the title. */
  readonly q?: string;
}

/**
 * The most live (not deleted) conversations the owner may have after the change; no limit when
 * absent. Checked in the statement that makes the change, against its snapshot: creates or
 * restores of the same owner's running at once may each see room for one, so a burst can pass it
 * by as many as ran together (each later one is refused).
 */
export interface LiveLimit {
  readonly maxLive?: number | undefined;
}

/** Every method is scoped to an owner: another owner's conversation is simply not found. */
export interface ConversationRepository {
  /**
   * Throws ProfileNotFoundError when the owner has no users row yet (before their first GET /api/me),
   * ConversationLimitError when they already have `maxLive` live conversations (nothing stored).
   */
  create(ownerId: string, title: string, limit?: LiveLimit): Promise<Conversation>;
  list(ownerId: string, options: ListOptions): Promise<Page<Conversation>>;
  get(ownerId: string, id: string): Promise<Conversation | undefined>;
  rename(ownerId: string, id: string, title: string): Promise<Conversation | undefined>;
  /** Soft delete; false when there was nothing of this owner's to delete. */
  remove(ownerId: string, id: string): Promise<boolean>;
  /**
   * Undoes a delete the retention run has not yet made final; undefined for a conversation of
   * another owner, one not deleted, or one already erased. Throws ConversationLimitError (and
   * leaves it deleted) when the owner already has `maxLive` live conversations.
   */
  restore(ownerId: string, id: string, limit?: LiveLimit): Promise<Conversation | undefined>;
}

/** What a change that must be audited writes to, in one transaction. */
export interface AuditedConversations {
  readonly conversations: ConversationRepository;
  readonly audit: AuditLog;
}

export type ConversationTransaction = InTransaction<AuditedConversations>;
