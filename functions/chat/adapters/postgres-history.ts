import { sql, type Queryable, type Sql } from '#shared/db/sql';
import type { ChatTurn } from '../ports/chat-model';

/*
 * A conversation's history as the chat reads it, in statements that stay within the Data API's
 * limits whatever the messages' length: the turn and regeneration statements (postgres-messages)
 * and the retention run's charge of abandoned replies (postgres-abandoned-replies) share it, so a
 * reply charged by estimate has the same prompt whoever charges it.
 */

/**
 * Characters of a message's text per row where statements return it in pieces: at most 32 KB of
 * UTF-8, within the Data API's 64 KB a row (Aurora's "Limitations for the Amazon RDS Data API").
 */
const PIECE_CHARS = 8000;
const pieceChars = sql`cast(${PIECE_CHARS} as int)`;
/** The pieces of `content`, numbered `piece.n` from 0 (one, empty, for empty text): a lateral join. */
export const piecesOf = (content: Sql) =>
  sql`cross join lateral generate_series(0, greatest(0, (char_length(${content}) - 1) / ${pieceChars})) as piece(n)`;
/** Piece `piece.n` of `content` (with `piecesOf`). */
export const pieceOf = (content: Sql) => sql`substr(${content}, piece.n * ${pieceChars} + 1, ${pieceChars})`;
/**
 * Bytes of history a turn statement returns at most, newest messages first: with the turn's own
 * row, within the Data API's 1 MiB a response. Older messages are left out (the context window,
 * 12,000 tokens by default, keeps far less).
 */
const HISTORY_BYTES = 768 * 1024;

/**
 * The history rows of a turn statement (`part` 1, after the statement's one row of `part` 0):
 * the complete messages `scope` selects from `messages h`, newest first up to HISTORY_BYTES,
 * each cut into pieces of PIECE_CHARS, in order.
 */
export function historyRows(scope: Sql) {
  return sql`
    select 1 as part, h.created_at, h.id, piece.n as piece, h.role as history_role,
      ${pieceOf(sql`h.content`)} as history_text
    from (
      select h.created_at, h.id, h.role, h.content,
        sum(octet_length(h.content)) over (order by h.created_at desc, h.id desc) as newer_bytes
      from messages h
      where h.status = 'complete' and ${scope}
    ) h
    ${piecesOf(sql`h.content`)}
    where h.newer_bytes <= ${HISTORY_BYTES}`;
}

export interface HistoryRow {
  id: string | null;
  history_role: ChatTurn['role'] | null;
  history_text: string | null;
}

/** History rows (`historyRows`, in order), pieces joined. */
function turnsOf(rows: readonly HistoryRow[]): ChatTurn[] {
  const turns: ChatTurn[] = [];
  let last: string | null = null;
  for (const row of rows) {
    const text = row.history_text ?? '';
    const previous = turns.at(-1);
    if (row.id === last && previous)
      turns[turns.length - 1] = { ...previous, content: previous.content + text };
    else turns.push({ role: row.history_role === 'assistant' ? 'assistant' : 'user', content: text });
    last = row.id;
  }
  return turns;
}

/** The history rows of a turn statement's answer (its first row is the turn's), pieces joined. */
export function historyOf(rows: readonly HistoryRow[]): ChatTurn[] {
  return turnsOf(rows.slice(1));
}

/**
 * The history a turn in the conversation would read now (one statement, as the turn's: within
 * the Data API's 1 MiB), oldest first.
 */
export async function conversationHistory(db: Queryable, conversationId: string): Promise<ChatTurn[]> {
  const { rows } = await db.query<HistoryRow>(sql`
    select h.id, h.history_role, h.history_text
    from (${historyRows(sql`h.conversation_id = cast(${conversationId} as uuid)`)}) h
    order by h.created_at, h.id, h.piece`);
  return turnsOf(rows);
}
