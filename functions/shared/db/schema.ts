import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The database as the application sees it. Migrations in migrations/ create exactly this shape;
 * `test/integration/schema.int.test.ts` checks the two agree.
 */
export interface Database {
  users: UsersTable;
  sign_in_attempts: SignInAttemptsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  usage_daily: UsageDailyTable;
  audit_events: AuditEventsTable;
  message_feedback: MessageFeedbackTable;
  download_slots: DownloadSlotsTable;
}

export type { Role } from '../domain/roles';
import type { Role } from '../domain/roles';
export type { UserStatus } from '../domain/roles';
import type { UserStatus } from '../domain/roles';
export type MessageRole = 'user' | 'assistant' | 'system';
export type MessageStatus = 'complete' | 'streaming' | 'failed';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  /** Cognito `sub`, or the app client id for a service account. */
  id: string;
  email: string;
  display_name: string;
  role: Role | null;
  status: Generated<UserStatus>;
  /** 'user' for people, 'service' for machine clients (client credentials). */
  kind: Generated<'user' | 'service'>;
  /** The user's own monthly token quota; null: their role's default (configuration) applies. */
  monthly_token_quota: number | null;
  mfa_enabled: Generated<boolean>;
  /** Access tokens issued before this are refused (disable, role change, sign-out everywhere). */
  tokens_valid_after: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The person's own instructions for the model (migration 0016); null: none. */
  instructions: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the person last signed in (post-authentication, migration 0017); null: never. */
  last_sign_in_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /**
   * The turns and regenerations the person started (migration 0023): a turn waiting for their row
   * runs again when it changed meanwhile (postgres-messages.ts). int8: a string on pg.
   */
  turn_seq: ColumnType<string, never, never>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SignInAttemptsTable {
  /** Lower-cased user name (email) as typed at sign-in. */
  username: string;
  failed_count: Generated<number>;
  last_failed_at: Date | null;
  locked_until: Date | null;
  updated_at: UpdatedAt;
}

export interface ConversationsTable {
  id: Generated<string>;
  owner_id: string;
  title: string;
  message_count: Generated<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Date | null;
}

export interface MessagesTable {
  id: Generated<string>;
  conversation_id: string;
  owner_id: string;
  role: MessageRole;
  content: string;
  status: Generated<MessageStatus>;
  model: string | null;
  prompt_tokens: Generated<number>;
  completion_tokens: Generated<number>;
  idempotency_key: string | null;
  /** Hash of the request body that first used the idempotency key (409 on reuse with another body). */
  request_hash: string | null;
  error: string | null;
  /** When the owner asked to stop the reply being written; null: not asked. */
  stop_requested_at: Date | null;
  /** The model ended the reply at its length limit (`finish_reason` `length`); false otherwise. */
  truncated: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Generated column: to_tsvector('simple', content). Never written. */
  content_tsv: ColumnType<string, never, never>;
}

export interface UsageDailyTable {
  /** Null once the user is erased: their usage stays, pseudonymised (migration 0020). */
  user_id: string | null;
  day: ColumnType<string, string, string>;
  model: string;
  requests: Generated<number>;
  prompt_tokens: Generated<number>;
  completion_tokens: Generated<number>;
  /** Estimated cost in micro-dollars (integer: no float rounding in sums). */
  cost_micros: ColumnType<string, number | string | undefined, number | string>;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: CreatedAt;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  /** The caller's address and user agent as the API received them (null: not known). */
  source_ip: ColumnType<string | null, string | null | undefined, never>;
  user_agent: ColumnType<string | null, string | null | undefined, never>;
  /** Metadata only, never message content. */
  details: ColumnType<Record<string, unknown>, string, never>;
}

/** One person's rating of one reply (migration 0015). */
export interface MessageFeedbackTable {
  message_id: string;
  owner_id: string;
  /**
   * The reply's conversation and model, copied when the feedback is given (migration 0025), so the
   * admin list reads no messages; null on a row the previous release wrote during a canary.
   */
  conversation_id: string | null;
  model: string | null;
  rating: 'up' | 'down';
  reason: string | null;
  comment: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/**
 * One of a person's downloads in flight (migration 0026): slot 0 to DOWNLOADS_IN_FLIGHT_PER_OWNER
 * - 1, held by the download whose token it carries until it is released or `expires_at` passes.
 */
export interface DownloadSlotsTable {
  owner_id: string;
  slot: number;
  token: string;
  expires_at: Date;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
