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

/** Every method is scoped to an owner: another owner's conversation is simply not found. */
export interface ConversationRepository {
  /** Throws ProfileNotFoundError when the owner has no users row yet (before their first GET /api/me). */
  create(ownerId: string, title: string): Promise<Conversation>;
  list(ownerId: string, options: ListOptions): Promise<Page<Conversation>>;
  get(ownerId: string, id: string): Promise<Conversation | undefined>;
  rename(ownerId: string, id: string, title: string): Promise<Conversation | undefined>;
  /** Soft delete; false when there was nothing of this owner's to delete. */
  remove(ownerId: string, id: string): Promise<boolean>;
  /**
   * Undoes a delete the retention run has not yet made final; undefined for a conversation of
   * another owner, one not deleted, or one already erased.
   */
  restore(ownerId: string, id: string): Promise<Conversation | undefined>;
}

/** What a change that must be audited writes to, in one transaction. */
export interface AuditedConversations {
  readonly conversations: ConversationRepository;
  readonly audit: AuditLog;
}

export type ConversationTransaction = InTransaction<AuditedConversations>;
