import { sql, type Kysely, type Transaction } from 'kysely';
import { ConversationNotFoundError, DEFAULT_TITLE } from '#conversations/domain/conversation';
import { asUuid, sqlStateOf } from '#shared/db/database';
import type { Database } from '#shared/db/schema';
import { isoText } from '#shared/db/timestamps';
import { encodeCursor, type Keyset } from '#shared/pagination/cursor';
import { ConversationBusyError, IdempotencyKeyReusedError, type Message } from '../domain/message';
import type {
  MessageRepository,
  SearchKeyset,
  SnippetPart,
  StartTurnInput,
} from '../ports/message-repository';

/*
 * Ids are compared through asUuid: the Data API sends strings as varchar, and uuid = varchar has
 * no operator on Aurora. Timestamps are read as text with microseconds (cursors stay exact).
 */

/** A reply still `streaming` after this long was abandoned (the function that wrote it died). */
const ABANDONED_AFTER = '6 minutes';
/** Highlight delimiters for ts_headline: control characters, which message content never holds. */
const START = '\u0001';
const STOP = '\u0002';

const columns = [
  'id',
  'conversation_id',
  'role',
  'content',
  'status',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'error',
  isoText('created_at').as('created_at_text'),
] as const;

interface Row {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  status: Message['status'];
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  error: string | null;
  created_at_text: string;
}

const toMessage = (row: Row): Message => ({
  id: row.id,
  conversationId: row.conversation_id,
  role: row.role === 'user' ? 'user' : 'assistant',
  content: row.content,
  status: row.status,
  model: row.model,
  usage: { promptTokens: Number(row.prompt_tokens), completionTokens: Number(row.completion_tokens) },
  error: row.error,
  createdAt: row.created_at_text,
});

export function encodeSearchCursor(keyset: SearchKeyset): string {
  return Buffer.from(JSON.stringify(keyset)).toString('base64url');
}

/** ts_headline's text with START/STOP around matches, as parts. */
export function snippetParts(headline: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  for (const piece of headline.split(START)) {
    const [matched, rest] = piece.includes(STOP) ? piece.split(STOP, 2) : [undefined, piece];
    if (matched) parts.push({ text: matched, match: true });
    if (rest) parts.push({ text: rest, match: false });
  }
  return parts;
}

async function ownedConversation(db: Kysely<Database>, ownerId: string, id: string, lock: boolean) {
  let query = db
    .selectFrom('conversations')
    .select(['id', 'title', 'message_count', isoText('created_at').as('created_at_text')])
    .where('id', '=', asUuid(id))
    .where('owner_id', '=', ownerId)
    .where('deleted_at', 'is', null);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

async function replayOf(trx: Transaction<Database>, input: StartTurnInput) {
  if (!input.idempotencyKey) return undefined;
  const user = await trx
    .selectFrom('messages')
    .select([...columns, 'request_hash'])
    .where('owner_id', '=', input.ownerId)
    .where('idempotency_key', '=', input.idempotencyKey)
    .executeTakeFirst();
  if (!user) return undefined;
  if (user.request_hash !== (input.requestHash ?? null)) throw new IdempotencyKeyReusedError();
  // The assistant message of a turn is the one written right after its user message.
  const assistant = await trx
    .selectFrom('messages')
    .select(columns)
    .where('conversation_id', '=', asUuid(user.conversation_id))
    .where('role', '=', 'assistant')
    .where(sql<boolean>`(created_at, id) > (${user.created_at_text}::timestamptz, ${user.id}::uuid)`)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return {
    kind: 'replay' as const,
    userMessage: toMessage(user),
    assistantMessage: assistant && toMessage(assistant),
  };
}

export function postgresMessages(db: Kysely<Database>): MessageRepository {
  const startTurn: MessageRepository['startTurn'] = (input) =>
    db.transaction().execute(async (trx) => {
      const replay = await replayOf(trx, input);
      if (replay) return replay;
      const conversation = await ownedConversation(trx, input.ownerId, input.conversationId, true);
      if (!conversation) throw new ConversationNotFoundError();
      // A reply left `streaming` by a function that died would block the conversation forever.
      await trx
        .updateTable('messages')
        .set({ status: 'failed', error: 'The reply was interrupted.', updated_at: sql<Date>`now()` as never })
        .where('conversation_id', '=', asUuid(input.conversationId))
        .where('status', '=', 'streaming')
        .where('updated_at', '<', sql<Date>`now() - ${ABANDONED_AFTER}::interval`)
        .execute();
      const busy = await trx
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', asUuid(input.conversationId))
        .where('status', '=', 'streaming')
        .executeTakeFirst();
      if (busy) throw new ConversationBusyError();
      const history = await trx
        .selectFrom('messages')
        .select(['role', 'content'])
        .where('conversation_id', '=', asUuid(input.conversationId))
        .where('status', '=', 'complete')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      // clock_timestamp(), not now(): both rows are written in one transaction, and their order
      // must survive in created_at.
      const userMessage = await trx
        .insertInto('messages')
        .values({
          conversation_id: asUuid(input.conversationId),
          owner_id: input.ownerId,
          role: 'user',
          content: input.content,
          status: 'complete',
          idempotency_key: input.idempotencyKey ?? null,
          request_hash: input.requestHash ?? null,
          created_at: sql<Date>`clock_timestamp()` as never,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      const assistantMessage = await trx
        .insertInto('messages')
        .values({
          conversation_id: asUuid(input.conversationId),
          owner_id: input.ownerId,
          role: 'assistant',
          content: '',
          status: 'streaming',
          model: input.model,
          created_at: sql<Date>`clock_timestamp()` as never,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      const first = Number(conversation.message_count) === 0 && conversation.title === DEFAULT_TITLE;
      await trx
        .updateTable('conversations')
        .set({
          message_count: sql<number>`message_count + 2` as never,
          updated_at: sql<Date>`now()` as never,
          ...(first && input.titleIfFirst ? { title: input.titleIfFirst } : {}),
        })
        .where('id', '=', asUuid(input.conversationId))
        .execute();
      return {
        kind: 'started' as const,
        userMessage: toMessage(userMessage),
        assistantMessage: toMessage(assistantMessage),
        history: history.map((m) => ({ role: m.role, content: m.content })),
      };
    });

  return {
    async startTurn(input) {
      try {
        return await startTurn(input);
      } catch (error) {
        // Two requests with one new key raced: the loser finds the winner's turn.
        if (sqlStateOf(error) === '23505' && input.idempotencyKey) return startTurn(input);
        throw error;
      }
    },

    async saveProgress(assistantId, content) {
      await db
        .updateTable('messages')
        .set({ content, updated_at: sql<Date>`now()` as never })
        .where('id', '=', asUuid(assistantId))
        .where('status', '=', 'streaming')
        .execute();
    },

    finishTurn: (input) =>
      db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('messages')
          .set({
            content: input.content,
            status: input.status,
            error: input.error ?? null,
            model: input.model,
            prompt_tokens: input.promptTokens,
            completion_tokens: input.completionTokens,
            updated_at: sql<Date>`now()` as never,
          })
          .where('id', '=', asUuid(input.assistantId))
          .returning(columns)
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('usage_daily')
          .values({
            user_id: input.ownerId,
            day: sql<string>`(now() at time zone 'UTC')::date` as never,
            model: input.model,
            requests: 1,
            prompt_tokens: input.promptTokens,
            completion_tokens: input.completionTokens,
            cost_micros: input.costMicros,
          })
          .onConflict((oc) =>
            oc.columns(['user_id', 'day', 'model']).doUpdateSet({
              requests: sql<number>`usage_daily.requests + 1`,
              prompt_tokens: sql<number>`usage_daily.prompt_tokens + excluded.prompt_tokens`,
              completion_tokens: sql<number>`usage_daily.completion_tokens + excluded.completion_tokens`,
              cost_micros: sql<string>`usage_daily.cost_micros + excluded.cost_micros`,
            }),
          )
          .execute();
        return toMessage(row);
      }),

    async list(ownerId, conversationId, { limit, cursor }: { limit: number; cursor?: Keyset }) {
      if (!(await ownedConversation(db, ownerId, conversationId, false))) return undefined;
      let query = db
        .selectFrom('messages')
        .select(columns)
        .where('conversation_id', '=', asUuid(conversationId))
        .where('owner_id', '=', ownerId);
      if (cursor) {
        // Row-value comparison matches the (conversation_id, created_at, id) index.
        query = query.where(sql<boolean>`(created_at, id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`);
      }
      const rows = await query
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toMessage);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
      };
    },

    async search(ownerId, { q, limit, cursor }) {
      const query = sql`websearch_to_tsquery('simple', ${q})`;
      const rank = sql<number>`ts_rank_cd(m.content_tsv, ${query})::real`;
      let select = db
        .selectFrom('messages as m')
        .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
        .select([
          'm.id',
          'm.conversation_id',
          'm.role',
          'c.title',
          isoText('m.created_at').as('created_at_text'),
          rank.as('rank'),
          sql<string>`ts_headline('simple', m.content, ${query}, ${`StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`})`.as(
            'headline',
          ),
        ])
        .where('m.owner_id', '=', ownerId)
        .where('c.owner_id', '=', ownerId)
        .where('c.deleted_at', 'is', null)
        .where(sql<boolean>`m.content_tsv @@ ${query}`);
      if (cursor)
        select = select.where(sql<boolean>`(${rank}, m.id) < (${cursor.rank}::real, ${cursor.id}::uuid)`);
      const rows = await select
        .orderBy(sql`${rank}`, 'desc')
        .orderBy('m.id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map((row) => ({
        conversationId: row.conversation_id,
        conversationTitle: row.title,
        messageId: row.id,
        role: row.role === 'user' ? ('user' as const) : ('assistant' as const),
        snippet: snippetParts(row.headline),
        rank: Number(row.rank),
        createdAt: row.created_at_text,
      }));
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          rows.length > limit && last ? encodeSearchCursor({ rank: last.rank, id: last.messageId }) : null,
      };
    },

    async exportConversation(ownerId, conversationId) {
      const conversation = await ownedConversation(db, ownerId, conversationId, false);
      if (!conversation) return undefined;
      const rows = await db
        .selectFrom('messages')
        .select(columns)
        .where('conversation_id', '=', asUuid(conversationId))
        .where('owner_id', '=', ownerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return {
        conversation: {
          id: conversation.id,
          title: conversation.title,
          createdAt: conversation.created_at_text,
        },
        messages: rows.map(toMessage),
      };
    },

    async monthlyUsage(ownerId, now) {
      const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
      const row = await db
        .selectFrom('users as u')
        .leftJoin('usage_daily as d', (join) =>
          join.onRef('d.user_id', '=', 'u.id').on('d.day', '>=', sql<string>`${month}::date` as never),
        )
        .select([
          'u.monthly_token_quota',
          sql<string>`coalesce(sum(d.prompt_tokens + d.completion_tokens), 0)`.as('used'),
        ])
        .where('u.id', '=', ownerId)
        .groupBy('u.monthly_token_quota')
        .executeTakeFirst();
      return { used: Number(row?.used ?? 0), quota: row ? Number(row.monthly_token_quota) : undefined };
    },
  };
}
