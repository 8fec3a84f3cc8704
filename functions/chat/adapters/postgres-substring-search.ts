import { isoText, sql, type Queryable, type Sql } from '#shared/db/sql';
import type { SearchKeyset } from '../ports/message-repository';
import type { Row } from './postgres-messages';

/*
 * Search by substring, for text the full-text search cannot split into words. PostgreSQL's parser
 * splits at spaces and punctuation only: `to_tsvector('simple', '潮の満ち引きは月の引力による')` is
 * one lexeme, and `한국어를` (a Korean word with its particle) another than `한국어`, so no word of
 * theirs is ever found. A query in those scripts is answered here instead, without a migration (an
 * index on the messages table would lock it while it is built on deploy): its terms looked up as
 * substrings of the caller's messages, newest first.
 */

/** Scripts written without spaces between words, or with particles joined to them. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Whether a query holds Chinese, Japanese or Korean text: it is then looked up by substring. */
export const isUnspacedQuery = (q: string): boolean => UNSPACED.test(q);

/**
 * The most terms a query has: the route's `q` is at most 200 characters, so 100 of one character.
 * A longer `q` (no route sends one) keeps its first 100.
 */
export const MAX_TERMS = 100;

/**
 * The query's terms: split at white space (U+3000, the ideographic space, included), each one
 * distinct. Everything else is literal: quotes, `-`, `or`, `%`, `_` and `\` are characters to
 * find, not web-search syntax nor wildcards.
 */
export function termsOf(q: string): string[] {
  return [...new Set(q.split(/\s+/u).filter((term) => term.length > 0))].slice(0, MAX_TERMS);
}

/** Characters of a snippet before the match, and after it. */
export const SNIPPET_BEFORE = 40;
export const SNIPPET_AFTER = 160;

/** What both searches read of a hit: the message, its conversation's title, its rank. */
export interface SearchRowHead {
  id: string;
  conversation_id: string;
  role: Row['role'];
  title: string;
  created_at_text: string;
  /** real: a number on both drivers. */
  rank: number;
}

export interface SubstringRow extends SearchRowHead {
  /** Up to SNIPPET_BEFORE characters before the match. */
  before: string;
  /** The first term's first occurrence, as the message writes it (at most `maxMatchChars`). */
  matched: string;
  /** Up to SNIPPET_AFTER + 1 characters after it: one more says the message goes on. */
  after: string;
  /** Whether the message holds more text before `before`. */
  cut_before: boolean;
}

/**
 * Case-insensitive: `东京 tower` finds `东京 Tower`, both sides folded by the same `lower`. The
 * snippet takes the match's place in `lower(content)` as its place in `content`: `lower` maps
 * character for character under the database's libc collation (an ICU one may fold a rare
 * character into two, which would shift the highlight by as many, never the hits).
 */
const holds = (term: string) => sql`strpos(lower(m.content), lower(cast(${term} as text))) > 0`;

/**
 * The sort key: the message's time, as a `real`, since the cursor is the full-text search's
 * `(rank, id)` and the route checks a rank is one. A real holds 24 bits of mantissa, so the epoch
 * cast to one would tell times apart to about two minutes only; here the whole seconds since
 * 2000-01-01 (clamped to what fits, until 2067) are taken as the bit pattern of a positive float,
 * which orders positive floats as it orders integers, so the rank tells seconds apart (ties, in one
 * second, by id). The lowest, 2^-126 (1.1754944e-38), is the smallest positive rank the route
 * accepts. The arithmetic is exact in float8, so the cast to real rounds nothing.
 */
const SECONDS = sql`least(greatest(floor(extract(epoch from m.created_at) - 946684800), 0), 2130706431)::bigint`;
const RANK = sql`((1 + (s.bits & 8388607)::float8 / 8388608) * power(2::float8, (s.bits >> 23) - 127))::real`;

/**
 * The message `m` is not in a deleted conversation (in the bin). An anti-join, not an inner join
 * to the owner's live conversations: the planner reads `m.owner_id = $1` and `c.owner_id = $1`
 * as independent, so it took a heavy user's matches for a 40th of what they are and sorted them
 * all rather than walk messages_owner_created_idx newest first; this way it counts the bin's 5 %.
 * Every message has its conversation (a foreign key), of the same owner; the reads still join
 * the conversation on its owner for the title.
 */
export const inLiveConversation = sql`not exists (
  select 1 from conversations as d where d.id = m.conversation_id and d.deleted_at is not null)`;

/**
 * The seconds (SECONDS, clamped as there) a cursor's rank stands for: the rank is the bit pattern
 * of the seconds plus 2^23, read here from the same `real` the cursor is compared as.
 */
const cursorSeconds = (rank: number) =>
  sql`(('x' || encode(float4send(cast(${rank} as real)), 'hex'))::bit(32)::integer::bigint - 8388608)`;

/**
 * Where a second begins and where it ends, `seconds` as SECONDS counts them: its clamped ends
 * stand for every time before 2000-01-01T00:00:01Z and after 2067, so they reach to infinity.
 */
const secondStart = (seconds: Sql) =>
  sql`(case when ${seconds} <= 0 then '-infinity'::timestamptz else to_timestamp(946684800 + ${seconds}) end)`;
const secondEnd = (seconds: Sql) =>
  sql`(case when ${seconds} < 0 then '-infinity'::timestamptz when ${seconds} >= 2130706431 then 'infinity'::timestamptz
    else to_timestamp(946684800 + ${seconds} + 1) end)`;

/**
 * One page of the owner's messages, in their conversations not deleted, that hold every term (at
 * least one), newest first; `limit + 1` rows to tell whether more follow. The first term's first
 * occurrence makes the snippet: the text around it, at most `maxMatchChars` of the match itself.
 * Every term is a parameter; `strpos` reads none of its characters as a pattern.
 *
 * No index holds the terms, so the hits are found by reading the messages newest first, through
 * messages_owner_created_idx from the cursor's second, and the read stops at the page's
 * `limit + 1`th hit: a term in many messages costs a page's worth of them, but one in few or none
 * reads all of the owner's messages older than the cursor. The page is ordered by the rank (the
 * second) and then the id, not by the exact time, so the hits in the second of the last one read
 * are all read (a range of the index) and the page is cut from them and the newer ones.
 */
export async function substringSearch(
  db: Queryable,
  ownerId: string,
  terms: readonly string[],
  options: { readonly limit: number; readonly cursor?: SearchKeyset; readonly maxMatchChars: number },
): Promise<SubstringRow[]> {
  const [first, ...others] = terms;
  if (first === undefined) return [];
  const { limit, cursor, maxMatchChars } = options;
  const before = cursor
    ? sql`and m.created_at < ${secondEnd(cursorSeconds(cursor.rank))}
      and (r.rank, m.id) < (cast(${cursor.rank} as real), cast(${cursor.id} as uuid))`
    : sql.empty;
  const andOthers: Sql = sql.join(
    others.map((term) => sql`and ${holds(term)}`),
    sql` `,
  );
  const at = sql`cross join lateral (select strpos(lower(m.content), lower(cast(${first} as text))) as at) as p`;
  const ranked = sql`cross join lateral (select ${SECONDS} + 8388608 as bits) as s
    cross join lateral (select ${RANK} as rank) as r`;
  const hits = sql`from messages as m ${at} ${ranked}
    where m.owner_id = ${ownerId} and ${inLiveConversation} and p.at > 0 ${andOthers} ${before}`;
  const { rows } = await db.query<SubstringRow>(sql`
    with newest as materialized (
      select m.id, s.bits ${hits}
      order by m.created_at desc, m.id desc
      limit ${limit + 1}
    ), edge as (
      select ${secondStart(sql`e.seconds`)} as since, ${secondEnd(sql`e.seconds`)} as until
      from (select min(bits) - 8388608 as seconds from newest) as e
    ), found as (
      select id from newest
      union
      select m.id ${hits}
        and m.created_at >= (select since from edge) and m.created_at < (select until from edge)
    )
    select m.id, m.conversation_id, m.role, c.title, ${isoText('m.created_at')} as created_at_text,
      r.rank,
      substr(m.content, w.start, p.at - w.start) as before,
      substr(m.content, p.at, least(char_length(cast(${first} as text)), cast(${maxMatchChars} as integer))) as matched,
      substr(m.content, p.at + char_length(cast(${first} as text)), cast(${SNIPPET_AFTER + 1} as integer)) as after,
      w.start > 1 as cut_before
    from found as f
    inner join messages as m on m.id = f.id
    inner join conversations as c on c.id = m.conversation_id and c.owner_id = ${ownerId}
    ${at}
    cross join lateral (select greatest(1, p.at - cast(${SNIPPET_BEFORE} as integer)) as start) as w
    ${ranked}
    order by r.rank desc, m.id desc
    limit ${limit + 1}`);
  return rows;
}
