import type { Keyset, Page } from '#shared/pagination/cursor';
import type { ExportedConversation, MessagePages } from '../domain/export';
import type { ListedMessage, Message } from '../domain/message';
import type { PromptSettings } from '../domain/system-prompt';
import type { ChatTurn } from './chat-model';

/** A monthly token quota as a turn checks it (StartTurnInput.quota). */
export interface MonthlyQuota {
  readonly tokens: number;
  /** The first day of the month, UTC (YYYY-MM-DD): tokens charged from it count. */
  readonly since: string;
  /** When it renews (QuotaExceededError's Retry-After). */
  readonly retryAfterSeconds: number;
}

export interface StartTurnInput {
  readonly ownerId: string;
  readonly conversationId: string;
  readonly content: string;
  readonly model: string;
  /** The conversation's title when this is its first message and it still has the default one. */
  readonly titleIfFirst: string;
  readonly idempotencyKey?: string;
  /** Hash of what was asked with the key: the same key with another request is a conflict. */
  readonly requestHash?: string;
  /**
   * How many replies the owner may have being written at once, in all their conversations
   * (RepliesInFlightError beyond): counted and started atomically, so parallel sends cannot all
   * pass a quota checked before any of them is charged. Absent: no limit.
   */
  readonly maxRepliesInFlight?: number;
  /**
   * The owner's month of tokens, checked again with the replies in flight under the owner's lock
   * (QuotaExceededError): a reply that ended after the caller's check is counted, so a burst of
   * sends passes the quota by at most `maxRepliesInFlight` replies. Absent: not checked here.
   */
  readonly quota?: MonthlyQuota;
  /**
   * How the reply's prompt is built (ReplyDeps): a reply the statement finds abandoned (its
   * function died) is charged the estimate of what its call was sent, `estimateReplyPromptTokens`.
   */
  readonly prompt: PromptSettings;
}

export type StartTurnResult =
  | {
      readonly kind: 'started';
      readonly userMessage: Message;
      readonly assistantMessage: Message;
      /** The conversation's earlier complete messages, oldest first (the new one excluded). */
      readonly history: readonly ChatTurn[];
      /** The owner's own instructions for the model (users.instructions); null: none. */
      readonly instructions: string | null;
      /**
       * True when starting it charged a reply of the conversation left `streaming` by a function
       * that died: whatever caches the month's usage (`withCachedMonthlyUsage`) then marks it out
       * of date, as after a reply's own charge. Absent or false: nothing was charged.
       */
      readonly chargedAbandoned?: boolean;
    }
  | ReplayedTurn;

/** The idempotency key was used before with the same request: its turn, as stored now. */
export interface ReplayedTurn {
  readonly kind: 'replay';
  readonly userMessage: Message;
  readonly assistantMessage: Message | undefined;
}

export interface StartRegenerationInput {
  readonly ownerId: string;
  readonly conversationId: string;
  /** The reply to write again: the conversation's latest message. */
  readonly replyId: string;
  readonly model: string;
  /** The question, edited: replaces the user message the reply answers. */
  readonly content?: string;
  /** As StartTurnInput's: the replies the owner may have being written at once. */
  readonly maxRepliesInFlight?: number;
  /** As StartTurnInput's: the month's tokens, checked with the replies in flight. */
  readonly quota?: MonthlyQuota;
  /** As StartTurnInput's: the estimate of the reply's earlier call, when it was abandoned. */
  readonly prompt: PromptSettings;
}

export interface StartRegenerationResult {
  /** The reply emptied and `streaming` again, with the model asked for (same id and place). */
  readonly assistantMessage: Message;
  /**
   * The complete messages before the reply, oldest first: the last is the question it answers,
   * as it was before an edit.
   */
  readonly history: readonly ChatTurn[];
  /** The owner's own instructions for the model (users.instructions); null: none. */
  readonly instructions: string | null;
  /** True when the reply was abandoned and starting again charged it, as StartTurnResult's. */
  readonly chargedAbandoned?: boolean;
}

export interface FinishTurnInput {
  readonly ownerId: string;
  readonly assistantId: string;
  readonly content: string;
  readonly status: 'complete' | 'failed';
  readonly error?: string;
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costMicros: number;
  /**
   * The writer cut the reply short because its owner asked (`requestStop`). Absent or false: it
   * ran to its end or failed on its own, and a Stop that came too late to cut anything is
   * forgotten, so a whole reply never reads as stopped.
   */
  readonly stopped?: boolean;
  /**
   * The model ended the reply because it had written as much as it may (`finish_reason`
   * `length`): stored as it came, and marked so it is not read as a whole answer.
   */
  readonly truncated?: boolean;
}

export interface SnippetPart {
  readonly text: string;
  readonly match: boolean;
}

export interface SearchHit {
  readonly conversationId: string;
  readonly conversationTitle: string;
  readonly messageId: string;
  readonly role: 'user' | 'assistant';
  /** The matching passage in parts, the matches marked (plain text: nothing to sanitise). */
  readonly snippet: readonly SnippetPart[];
  readonly rank: number;
  readonly createdAt: string;
}

export interface SearchKeyset {
  readonly rank: number;
  readonly id: string;
}

export interface ConversationExport {
  readonly conversation: ExportedConversation;
  /** The messages the conversation holds (its count), known before they are read. */
  readonly messageCount: number;
  /** Its messages oldest first, read a page (one statement) at a time as they are consumed. */
  readonly pages: MessagePages;
}

/**
 * The turns: what the chat function writes and reads while it answers (the chat group's
 * bundle holds this part alone). Every method is scoped to an owner: another owner's
 * conversation or message is not found.
 */
export interface TurnRepository {
  /**
   * In one transaction: the conversation (owned, not deleted) is locked, refused when a reply is
   * still streaming in it, the idempotency key is honoured, and the user message and an empty
   * `streaming` assistant message are stored with the conversation's count and title. Throws
   * ConversationNotFoundError, ConversationBusyError or IdempotencyKeyReusedError.
   */
  startTurn(input: StartTurnInput): Promise<StartTurnResult>;
  /**
   * The turn stored under the owner's idempotency key, as `startTurn` would replay it; undefined
   * for a key not used yet. Throws IdempotencyKeyReusedError when it was used with another request.
   */
  priorTurn(input: {
    readonly ownerId: string;
    readonly idempotencyKey: string;
    readonly requestHash?: string;
  }): Promise<ReplayedTurn | undefined>;
  /**
   * In one statement: the conversation (owned, not deleted) is locked, the reply must be an
   * assistant message of it and its latest message, refused while any reply of it is streaming
   * (one left `streaming` for over 6 minutes was abandoned and may be written again: its text is
   * charged first, by estimate, once, as a turn charges it); the reply is
   * emptied and set `streaming` with `model`, its feedback (about the text it replaces) removed,
   * the question before it replaced by `content` when given, and the conversation's `updatedAt`
   * moved. Throws ConversationNotFoundError,
   * ReplyNotFoundError, ConversationBusyError or NotLatestReplyError.
   */
  startRegeneration(input: StartRegenerationInput): Promise<StartRegenerationResult>;
  /**
   * Stores the reply's text so far (the client sees only what is stored); true when its owner has
   * asked to stop it (`requestStop`), so the writer stops the model and keeps what it has.
   */
  saveProgress(assistantId: string, content: string): Promise<boolean>;
  /** Whether its owner has asked to stop the reply, while it is still being written. */
  stopRequested(assistantId: string): Promise<boolean>;
  /**
   * Asks the function writing the owner's reply to stop: `stopping` (it stops at its next save,
   * within a moment), `ended` when the reply is not being written, undefined when the owner has no
   * such reply in this conversation (a user message, another owner's, a deleted conversation).
   */
  requestStop(input: {
    readonly ownerId: string;
    readonly conversationId: string;
    readonly messageId: string;
  }): Promise<'stopping' | 'ended' | undefined>;
  /** Ends the reply as complete or failed and charges its usage to the day, in one transaction. */
  finishTurn(input: FinishTurnInput): Promise<Message>;
  /**
   * Tokens used from the first of `now`'s month (UTC), and the owner's own monthly quota
   * (undefined when they have none, or no row yet: the role's default applies).
   */
  monthlyUsage(
    ownerId: string,
    now: Date,
  ): Promise<{ readonly used: number; readonly quota: number | undefined }>;
}

/** The reads of the conversations and exports groups, scoped to an owner as the turns are. */
export interface MessageReads {
  /** Oldest first, replies with their feedback; undefined when the conversation is not the owner's. */
  list(
    ownerId: string,
    conversationId: string,
    options: { readonly limit: number; readonly cursor?: Keyset },
  ): Promise<Page<ListedMessage> | undefined>;
  /** One message as `list` shows it; undefined when it is not in the owner's conversation. */
  get(ownerId: string, conversationId: string, messageId: string): Promise<ListedMessage | undefined>;
  search(
    ownerId: string,
    options: { readonly q: string; readonly limit: number; readonly cursor?: SearchKeyset },
  ): Promise<Page<SearchHit>>;
  exportConversation(ownerId: string, conversationId: string): Promise<ConversationExport | undefined>;
}

/** Every method is scoped to an owner: another owner's conversation or message is not found. */
export interface MessageRepository extends TurnRepository, MessageReads {}
