import { first, isoText, sql, type Queryable, type SqlDatabase, type Sql } from '#shared/db/sql';
import { encodeCursor, type Keyset, type Page } from '#shared/pagination/cursor';
import type { ListedMessage, ReplyFeedback } from '../domain/message';
import type { MessagePages } from '../domain/export';
import type { MessageReads, SearchHit, SearchKeyset, SnippetPart } from '../ports/message-repository';
import { pieceOf, piecesOf } from './postgres-history';
import { metaColumnsOfM, toMessage, type Row } from './postgres-messages';
import {
  inLiveConversation,
  isUnspacedQuery,
  SNIPPET_AFTER,
  substringSearch,
  termsOf,
  type SearchRowHead,
  type SubstringRow,
} from './postgres-substring-search';

/*
 * The reads of messages that the conversations and exports groups make (a conversation's page,
 * search, export), apart from the turns (`postgresTurns`), so that the chat group's bundle holds
 * none of them. Ids are compared as `cast(… as uuid)`, timestamps read as text with microseconds,
 * as there.
 */

/**
 * Highlight delimiters for ts_headline: control characters. A reply holds what the model wrote,
 * these included, so the search hands ts_headline the text with them as spaces (which the parser
 * reads as it reads them: between words), and a mark in a snippet is always one of ours.
 */
const START = '\u0001';
const STOP = '\u0002';

/** A reply's feedback, left-joined: all null when there is none. */
interface FeedbackColumns {
  rating: 'up' | 'down' | null;
  reason: ReplyFeedback['reason'];
  comment: string | null;
  feedback_at_text: string | null;
}

const toListedMessage = (row: Row & FeedbackColumns): ListedMessage => ({
  ...toMessage(row),
  feedback:
    row.rating && row.feedback_at_text
      ? { rating: row.rating, reason: row.reason, comment: row.comment, updatedAt: row.feedback_at_text }
      : null,
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

interface ConversationRow {
  id: string;
  title: string;
  message_count: number;
  created_at_text: string;
}

async function ownedConversation(db: Queryable, ownerId: string, id: string) {
  return first<ConversationRow>(
    db,
    sql`select id, title, message_count, ${isoText('created_at')} as created_at_text
      from conversations
      where id = cast(${id} as uuid) and owner_id = ${ownerId} and deleted_at is null`,
  );
}

/**
 * Bytes of message text and feedback comments one page of a conversation returns at most: the
 * Data API answers at most 1 MiB a call, and the rest is left for the other columns.
 */
const PAGE_BYTES = 768 * 1024;
/** Messages per statement of an export. */
const EXPORT_PAGE = 200;

interface PageRow extends Omit<Row, 'content'>, FeedbackColumns {
  /** One piece of the content (PIECE_CHARS), in order. */
  text: string;
  /** Messages the page held before it was cut to PAGE_BYTES (its `limit + 1` lookahead included). */
  page_rows: number | string;
}

/** A feedback column of `page m` on a message's first piece only, null on the others (`messagePage`). */
const onFirstPiece = (column: Sql) => sql`case when piece.n = 0 then ${column} end`;

/**
 * Up to `limit` of the conversation's messages after `cursor`, oldest first, with their feedback;
 * fewer when their text and comments pass PAGE_BYTES (never none), and each message in pieces, so
 * that the answer stays within the Data API's 64 KB a row and 1 MiB a call whatever the messages'
 * length. The feedback comes with a message's first piece only: repeated on each of a long
 * reply's pieces, a comment of up to 4,000 bytes took the answer over 1 MiB. It is counted in the
 * budget, as a page of many short rated replies would otherwise pass it.
 * The caller checks the conversation is the owner's.
 */
async function messagePage(
  db: Queryable,
  ownerId: string,
  conversationId: string,
  limit: number,
  cursor: Keyset | undefined,
  messageId?: string,
): Promise<Page<ListedMessage>> {
  // Row-value comparison matches the (conversation_id, created_at, id) index.
  const after = cursor
    ? sql`and (m.created_at, m.id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
    : messageId
      ? sql`and m.id = cast(${messageId} as uuid)`
      : sql.empty;
  const { rows } = await db.query<PageRow>(sql`
    with page as (
      select m.*, f.rating, f.reason, f.comment, f.updated_at as feedback_at,
        count(*) over () as page_rows,
        sum(octet_length(m.content) + coalesce(octet_length(f.comment), 0))
          over (order by m.created_at, m.id) as bytes_through,
        row_number() over (order by m.created_at, m.id) as position
      from (
        select m.* from messages m
        where m.conversation_id = cast(${conversationId} as uuid) and m.owner_id = ${ownerId} ${after}
        order by m.created_at, m.id
        limit ${limit + 1}
      ) m
      left join message_feedback f on f.message_id = m.id
    )
    select ${metaColumnsOfM}, ${onFirstPiece(sql`m.rating`)} as rating, ${onFirstPiece(sql`m.reason`)} as reason,
      ${onFirstPiece(sql`m.comment`)} as comment, ${onFirstPiece(isoText('m.feedback_at'))} as feedback_at_text,
      m.page_rows, ${pieceOf(sql`m.content`)} as text
    from page m
    ${piecesOf(sql`m.content`)}
    where m.bytes_through <= ${PAGE_BYTES} or m.position = 1
    order by m.created_at, m.id, piece.n`);
  const messages: ListedMessage[] = [];
  for (const row of rows) {
    const previous = messages.at(-1);
    if (previous?.id === row.id)
      messages[messages.length - 1] = { ...previous, content: previous.content + row.text };
    else messages.push(toListedMessage({ ...row, content: row.text }));
  }
  const items = messages.slice(0, limit);
  const last = items.at(-1);
  const more = Number(rows[0]?.page_rows ?? 0) > items.length;
  return { items, nextCursor: more && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
}

/**
 * The conversation's messages for an export, a page (one statement, within the Data API's 1 MiB)
 * at a time, read only as the export is written out: memory holds one page, whatever the length.
 */
async function* exportPages(db: Queryable, ownerId: string, conversationId: string): MessagePages {
  let cursor: Keyset | undefined;
  for (;;) {
    const page = await messagePage(db, ownerId, conversationId, EXPORT_PAGE, cursor);
    yield page.items.map(({ feedback: _feedback, ...message }) => message);
    const last = page.items.at(-1);
    if (!page.nextCursor || !last) return;
    cursor = { at: last.createdAt, id: last.id };
  }
}

interface SearchRow extends SearchRowHead {
  headline: string;
}

/**
 * The longest snippet a search answers, in characters (4 bytes each at most). ts_headline keeps 30
 * words a fragment, but a word may be 2,047 bytes (the longest PostgreSQL indexes): uncut, a
 * message of long words made a snippet of tens of KB, over the Data API's 64 KB a row and, for a
 * page, its 1 MiB a call. Cut to this, a page of 50 stays within them.
 */
export const SEARCH_SNIPPET_MAX_CHARS = 1_000;

/**
 * The headline as read (`left(…, SEARCH_SNIPPET_MAX_CHARS + 1)`), cut to the bound with an
 * ellipsis when it was longer. Counted in code points, as PostgreSQL counts characters.
 */
function boundedHeadline(headline: string): string {
  const chars = Array.from(headline);
  return chars.length > SEARCH_SNIPPET_MAX_CHARS
    ? `${chars.slice(0, SEARCH_SNIPPET_MAX_CHARS).join('')}…`
    : headline;
}

/** The message's own START/STOP as spaces, as the full-text path hands them to ts_headline. */
const unmarked = (text: string) => text.replaceAll(START, ' ').replaceAll(STOP, ' ');

/**
 * A substring hit's snippet, in the full-text path's shape: the text around the first term's first
 * occurrence, that occurrence marked, an ellipsis where the message goes on. The parts were cut by
 * PostgreSQL, in characters, so none splits a surrogate pair; `after` is cut here the same way.
 */
function substringHeadline(row: SubstringRow): string {
  const after = Array.from(row.after);
  const tail = after.length > SNIPPET_AFTER ? `${after.slice(0, SNIPPET_AFTER).join('')}…` : row.after;
  return `${row.cut_before ? '…' : ''}${unmarked(row.before)}${START}${unmarked(row.matched)}${STOP}${unmarked(tail)}`;
}

/** ts_headline's options: START/STOP around matches, up to two fragments of 10 to 30 words. */
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;

/**
 * A page of hits from `limit + 1` rows of either search, the snippet from `headline` (START/STOP
 * around matches), bounded; the cursor is the last hit's `(rank, id)`, as both order by.
 */
function searchPage<R extends Omit<SearchRow, 'headline'>>(
  rows: readonly R[],
  limit: number,
  headline: (row: R) => string,
): Page<SearchHit> {
  const items = rows.slice(0, limit).map((row) => ({
    conversationId: row.conversation_id,
    conversationTitle: row.title,
    messageId: row.id,
    role: row.role === 'user' ? ('user' as const) : ('assistant' as const),
    snippet: snippetParts(boundedHeadline(headline(row))),
    rank: Number(row.rank),
    createdAt: row.created_at_text,
  }));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last ? encodeSearchCursor({ rank: last.rank, id: last.messageId }) : null,
  };
}

/**
 * How many of a person's matches a full-text search ranks: the newest this many. A GIN index
 * finds matches but cannot hand back the best few by rank, so ranking them all read every match's
 * tsvector (TOASTed for a long reply): a common word for a person with 200,000 messages ranked
 * 16,000 to 88,000 of them, 0.35 to 1.7 s, seconds in production (docs/performance.md). With the
 * bound a search costs at most this many rows, found newest first through
 * messages_owner_created_idx; an older match is found by a word it alone holds (a rarer word, a
 * phrase), not by one it shares with thousands of newer messages.
 *
 * The cursor `(rank, id)` pages through the candidates, picked again for each page: with no
 * message written or deleted meanwhile, the pages hold each candidate once, best first. A match
 * written between two pages joins the candidates and pushes the oldest out: it shows on a later
 * page only if it ranks below the last hit shown, and the one pushed out is not shown (if it was
 * not yet); no hit is shown twice, as a message's rank never changes while its text does not.
 */
export const SEARCH_RANKED_MATCHES = 2_000;

/**
 * `db` is the database: each read is one statement, or one a page for an export. `rankedMatches`
 * lowers SEARCH_RANKED_MATCHES for a test.
 */
export function postgresMessageReads(
  db: SqlDatabase,
  { rankedMatches = SEARCH_RANKED_MATCHES }: { readonly rankedMatches?: number } = {},
): MessageReads {
  return {
    async list(ownerId, conversationId, { limit, cursor }: { limit: number; cursor?: Keyset }) {
      if (!(await ownedConversation(db, ownerId, conversationId))) return undefined;
      return messagePage(db, ownerId, conversationId, limit, cursor);
    },

    async get(ownerId, conversationId, messageId) {
      // Its conversation deleted (in the bin), a message is not found, as in `list`.
      if (!(await ownedConversation(db, ownerId, conversationId))) return undefined;
      return (await messagePage(db, ownerId, conversationId, 1, undefined, messageId)).items[0];
    },

    async search(ownerId, { q, limit, cursor }) {
      if (isUnspacedQuery(q)) {
        // Chinese, Japanese, Korean: the parser finds no words in them (postgres-substring-search).
        const rows = await substringSearch(db, ownerId, termsOf(q), {
          limit,
          cursor,
          maxMatchChars: SEARCH_SNIPPET_MAX_CHARS,
        });
        return searchPage(rows, limit, substringHeadline);
      }
      // A search with no word to find, only excluded ones (`-rf`, `- b`, `-a or b`: querytree 'T',
      // nothing an index could look up), would find every message without them: one looking for
      // a command-line flag got them all. It looks for its words as written instead.
      const written = sql`websearch_to_tsquery('simple', ${q})`;
      const query = sql`(case when querytree(${written}) = 'T'
        then websearch_to_tsquery('simple', translate(${q}, '-', ' ')) else ${written} end)`;
      const rank = sql`ts_rank_cd(k.content_tsv, ${query})::real`;
      const before = cursor
        ? sql`where (${rank}, k.id) < (${cursor.rank}::real, ${cursor.id}::uuid)`
        : sql.empty;
      // The candidates are found newest first: for a common word the planner walks
      // messages_owner_created_idx and stops at `rankedMatches`; for a rare one it still reads the
      // matches through the GIN index and sorts those few. Each page picks them again, so a page
      // ranks the same candidates as the one before unless a match was written, or deleted, in
      // between (see SEARCH_RANKED_MATCHES).
      const { rows } = await db.query<SearchRow>(sql`
        with candidates as (
          select m.id, m.content_tsv
          from messages as m
          where m.owner_id = ${ownerId} and m.content_tsv @@ ${query} and ${inLiveConversation}
          order by m.created_at desc, m.id desc
          limit ${rankedMatches}
        ), page as (
          select k.id, ${rank} as rank from candidates as k
          ${before}
          order by rank desc, k.id desc
          limit ${limit + 1}
        )
        select m.id, m.conversation_id, m.role, c.title, ${isoText('m.created_at')} as created_at_text,
          p.rank,
          left(ts_headline('simple', translate(m.content, ${START + STOP}, '  '), ${query}, ${HEADLINE_OPTIONS}),
            cast(${SEARCH_SNIPPET_MAX_CHARS + 1} as integer)) as headline
        from page as p
        inner join messages as m on m.id = p.id
        inner join conversations as c on c.id = m.conversation_id and c.owner_id = ${ownerId}
        order by p.rank desc, p.id desc`);
      return searchPage(rows, limit, (row) => row.headline);
    },

    async exportConversation(ownerId, conversationId) {
      const conversation = await ownedConversation(db, ownerId, conversationId);
      if (!conversation) return undefined;
      return {
        conversation: {
          id: conversation.id,
          title: conversation.title,
          createdAt: conversation.created_at_text,
        },
        messageCount: Number(conversation.message_count),
        pages: exportPages(db, ownerId, conversationId),
      };
    },
  };
}
