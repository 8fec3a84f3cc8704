import { setTimeout as sleep } from 'node:timers/promises';

import { ConversationNotFoundError, DEFAULT_TITLE } from '#conversations/domain/conversation';
import { first, isoText, only, Sql, sql, type Queryable, type SqlDatabase } from '#shared/db/sql';
import { sqlStateOf } from '#shared/db/sql-state';
import { isDatabaseUnavailable } from '#shared/db/unavailable';
import { ReplyNotFoundError } from '#feedback/domain/feedback';
import {
  RepliesInFlightError,
  ConversationBusyError,
  QuotaExceededError,
  IdempotencyKeyReusedError,
  NotLatestReplyError,
  type Message,
} from '../domain/message';
import type {
  FinishTurnInput,
  MonthlyQuota,
  TurnRepository,
  ReplayedTurn,
  StartRegenerationInput,
  StartTurnInput,
} from '../ports/message-repository';
import { markAbandoned } from './postgres-abandoned-replies';
import { historyOf, historyRows, pieceOf, piecesOf, type HistoryRow } from './postgres-history';
import {
  ABANDONED_AFTER,
  chargeAbandoned,
  chargeUsage,
  INTERRUPTED,
  type AbandonedReply,
} from './postgres-usage';

/*
 * Ids are compared as `cast(… as uuid)`: the Data API sends strings as varchar, and uuid = varchar
 * has no operator on Aurora. Timestamps are read as text with microseconds (cursors stay exact).
 */

/** How long, and how often, a reply's save is tried again while the database is unreachable. */
export interface SaveRetry {
  /** No attempt starts after this long from the first. */
  readonly budgetMs: number;
  /** The first pause; each next one doubles, up to `maxDelayMs`. */
  readonly firstDelayMs: number;
  /** The longest pause: a save is made at most this long after the database is back. */
  readonly maxDelayMs: number;
}

/**
 * A minute, covering a restart, an Aurora failover (typically under 60 s, often under 30) and a
 * resume from auto-pause. For a reply's progress, the model reads on meanwhile and its text is
 * shown once saved; a failed save stops the reply. For its end, a reply left `streaming` holds
 * its conversation (a send gets 409) until it counts as abandoned (REPLY_ABANDONED_AFTER_MINUTES)
 * and loses its text since the last save: a 4-second budget lost the replies of a 4.4-second
 * PostgreSQL restart. The chat function has room: a model call may take 2 minutes, the stream 5,
 * and the function 5.5.
 */
export const SAVE_RETRY: SaveRetry = { budgetMs: 60_000, firstDelayMs: 250, maxDelayMs: 2_000 };

/** `work`, tried again under `retry` while it fails because the database is unreachable. */
async function whileUnreachable<T>(retry: SaveRetry, work: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + retry.budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delay = Math.min(retry.firstDelayMs * 2 ** attempt, retry.maxDelayMs);
      if (!isDatabaseUnavailable(error) || Date.now() + delay > giveUpAt) throw error;
      await sleep(delay);
    }
  }
}

/**
 * A reply's status and error as every read shows them: one left `streaming` without a save for
 * ABANDONED_AFTER (longer than its writer may live) is `failed`, as the next turn would store it.
 * Without this, a reply whose function died read as being written until another turn came, and
 * the web app, which sends nothing while a reply is written, waited for it forever.
 */
function statusAndError(of: '' | 'm.'): Sql {
  const abandoned = new Sql(
    [`${of}status = 'streaming' and ${of}updated_at < now() - cast(`, ` as interval)`],
    [ABANDONED_AFTER],
  );
  return sql`case when ${abandoned} then 'failed' else ${new Sql([`${of}status`], [])} end as status,
    case when ${abandoned} then cast(${INTERRUPTED} as text) else ${new Sql([`${of}error`], [])} end as error`;
}

/** The columns `Row` reads as they are stored. */
const PLAIN_COLUMNS = [
  'id',
  'conversation_id',
  'role',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'truncated',
];

/**
 * The columns of `Row` but its content, of `messages` (`of` '') or `messages m` (`of` 'm.', where
 * another relation has columns of the same names): for statements that must stay within the Data
 * API's 64 KB a row whatever the message's length (the content is known, or read in pieces:
 * `contentsOf`).
 */
function metaColumnsOf(of: '' | 'm.'): Sql {
  const plain = new Sql([PLAIN_COLUMNS.map((name) => of + name).join(', ')], []);
  const stopped = new Sql([`${of}stop_requested_at is not null as stopped`], []);
  return sql`${plain}, ${stopped}, ${statusAndError(of)}, ${isoText(`${of}created_at`)} as created_at_text`;
}
const metaColumns = metaColumnsOf('');
export const metaColumnsOfM = metaColumnsOf('m.');
/** The columns of `Row`, for a statement on `messages` alone (select list or `returning`). */
const columns = sql`content, ${metaColumns}`;
/** The same columns of `messages m`. */
const columnsOfM = sql`m.content, ${metaColumnsOfM}`;

export interface Row {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  status: Message['status'];
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  error: string | null;
  stopped: boolean;
  truncated: boolean;
  created_at_text: string;
}

export const toMessage = (row: Row): Message => ({
  id: row.id,
  conversationId: row.conversation_id,
  role: row.role === 'user' ? 'user' : 'assistant',
  content: row.content,
  status: row.status,
  model: row.model,
  usage: { promptTokens: Number(row.prompt_tokens), completionTokens: Number(row.completion_tokens) },
  error: row.error,
  stopped: row.role !== 'user' && row.stopped === true,
  truncated: row.role !== 'user' && row.truncated === true,
  createdAt: row.created_at_text,
});

/**
 * A json column, already parsed by either driver (pg by the column's type, the Data API driver by
 * the column's `typeName`); SQL null stays null.
 */
function fromJson<T>(value: unknown): T | null {
  return value as T | null;
}

/** The owner columns of a turn or regeneration statement (`ownerColumns`). */
interface OwnerRow {
  /** False: the owner's row is gone (erased meanwhile). */
  owner_found: boolean;
  /** Another turn of the owner committed while the statement waited for the owner's lock. */
  owner_stale: boolean;
  /** The owner already has as many replies being written as they may. */
  crowded: boolean;
  /** The owner's tokens charged this month reach their quota (`overCte`). */
  over: boolean;
}

interface TurnRow extends PriorRow, OwnerRow {
  found: boolean;
  stale: boolean;
  busy: boolean;
  instructions: string | null;
  user_message: unknown;
  assistant_message: unknown;
  /**
   * The replies the statement found abandoned and marked failed, or null: [{model, bytes, day}],
   * `day` the UTC day of its last save before the mark (`AbandonedReply.day`).
   */
  abandoned_replies: unknown;
}

/**
 * The first columns of a turn statement's own row (`part` 0): empty history columns, so that the
 * history rows can follow it in one answer, then whether the conversation was found and whether a
 * turn committed while the statement waited for its lock (`lockedConversation`).
 */
const turnRowHead = sql`0 as part, null::timestamptz as created_at, null::uuid as id, 0 as piece,
      null::text as history_role, null::text as history_text,
      exists (select 1 from conv) as found,
      coalesce((select version from conv) <> (select version from seen), false) as stale`;

/**
 * The contents of the messages `ids` (at most a few: their total must stay within the Data API's
 * 1 MiB), read in pieces of PIECE_CHARS so that no row is over its 64 KB.
 */
async function contentsOf(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  if (ids.length === 0) return contents;
  const { rows } = await db.query<{ id: string; text: string }>(sql`
    select m.id, ${pieceOf(sql`m.content`)} as text
    from messages m
    ${piecesOf(sql`m.content`)}
    where m.id in (${sql.join(ids.map((id) => sql`cast(${id} as uuid)`))})
    order by m.id, piece.n`);
  for (const row of rows) contents.set(row.id, (contents.get(row.id) ?? '') + row.text);
  return contents;
}

/** Whether the owner asked to stop a reply being written (`requestStop`). */
const stopAsked = sql`stop_requested_at is not null as stop_asked`;
interface StopRow {
  stop_asked: boolean;
}

/** Attempts of the turn statement when a concurrent turn committed under it (see `stale`). */
const STALE_ATTEMPTS = 3;

/**
 * Attempts when the statement found its snapshot stale. In one conversation a turn that committed
 * under it leaves it busy, so a few attempts settle it. The owner's other turns (`owner_stale`)
 * each take a slot of the replies in flight, and a turn refused for lack of one leaves the owner's
 * row as it is: at most that many commits can make an attempt stale, so a burst of sends in
 * several conversations gets started or refused with 429, never a 409 for a conversation that is
 * not busy. Without a limit, a burst may still exhaust them (409, as before the owner's lock).
 */
const staleAttempts = (maxRepliesInFlight: number | undefined) =>
  STALE_ATTEMPTS + (maxRepliesInFlight ?? STALE_ATTEMPTS);

/**
 * The CTEs `conv` (the caller's conversation, not deleted, locked until the statement commits)
 * and `seen` (its row version in the statement's snapshot): the turn statements compare the two
 * to find a turn that committed while they waited for the lock.
 */
function lockedConversation(input: { readonly ownerId: string; readonly conversationId: string }) {
  return sql`conv as materialized (
    select c.id, c.title, c.message_count, c.xmin::text as version
    from conversations c
    where c.id = cast(${input.conversationId} as uuid)
      and c.owner_id = cast(${input.ownerId} as text)
      and c.deleted_at is null
    for update
  ),
  seen as (
    select c.xmin::text as version from conversations c where c.id = (select id from conv)
  )`;
}

/**
 * The owner's row, locked until the statement commits, so that one person's turns and
 * regenerations start one at a time: `owner_seen` is its count of turns (`turn_seq`, which
 * `ownerTouched` adds to) in the statement's snapshot, and a difference means another of their
 * turns committed while this one waited (`owner_stale`: run the statement again, on a fresh
 * snapshot that sees that reply being written). A count of turns, not the row's version (xmin):
 * every other write to the row (instructions saved, a sign-in, an admin's change of quota or
 * role) changes the version too, and made a turn waiting behind it run again, then, written often
 * enough, answer 409 busy. Such a write starts no reply, so the snapshot's count of replies in
 * flight is still right after it.
 */
function lockedOwner(ownerId: string) {
  return sql`owner as materialized (
    select u.turn_seq::text as version from users u where u.id = cast(${ownerId} as text) for update
  ),
  owner_seen as (
    select u.turn_seq::text as version from users u where u.id = cast(${ownerId} as text)
  )`;
}

/**
 * A row when the owner already has `maxRepliesInFlight` replies being written in their other
 * conversations (none abandoned); no limit when it is absent.
 */
function crowdedCte(input: { readonly ownerId: string; readonly maxRepliesInFlight?: number | undefined }) {
  const max = input.maxRepliesInFlight ?? null;
  return sql`crowded as (
    select 1 from messages
    where owner_id = cast(${input.ownerId} as text)
      and status = 'streaming'
      and updated_at >= now() - cast(${ABANDONED_AFTER} as interval)
      and conversation_id <> (select id from conv)
      and cast(${max} as int) is not null
    offset greatest(coalesce(cast(${max} as int), 2147483647) - 1, 0)
    limit 1
  )`;
}

/**
 * A row when the owner's tokens charged from `quota.since` reach `quota.tokens`; none without a
 * quota. In the statement's snapshot each reply of theirs is either charged or still `streaming`
 * (finishTurn does both in one transaction), so `crowded` counts every reply this misses.
 */
function overCte({
  ownerId,
  quota,
}: {
  readonly ownerId: string;
  readonly quota?: MonthlyQuota | undefined;
}) {
  return sql`over as (
    select 1 from usage_daily
    where user_id = cast(${ownerId} as text) and day >= cast(${quota?.since ?? null} as date)
    having sum(prompt_tokens + completion_tokens) >= cast(${quota?.tokens ?? null} as bigint)
  )`;
}

/** 429 when the statement found the owner's quota used up (`overCte`). */
function checkQuota(row: OwnerRow, { quota }: { readonly quota?: MonthlyQuota | undefined }) {
  if (row.over && quota) throw new QuotaExceededError(quota.tokens, quota.retryAfterSeconds);
}

/**
 * One more turn of the owner's (`turn_seq`, `lockedOwner`) once `started` holds the reply being
 * written: a turn of theirs waiting for the lock meanwhile finds its snapshot stale and runs
 * again, seeing this reply. `updated_at` is left as it was: the person's row did not change.
 */
function ownerTouched(ownerId: string, started: Sql) {
  return sql`owner_touched as (
    update users u set turn_seq = u.turn_seq + 1
    from ${started} s
    where u.id = cast(${ownerId} as text)
    returning u.id
  )`;
}

/** The owner columns of a turn or regeneration statement's own row (OwnerRow). */
const ownerColumns = sql`exists (select 1 from owner) as owner_found,
    coalesce((select version from owner) <> (select version from owner_seen), false) as owner_stale,
    exists (select 1 from crowded) as crowded,
    exists (select 1 from over) as over`;

/** The user message stored under the owner's idempotency key (none when `key` is null). */
const priorCte = (ownerId: string, key: string | null) => sql`prior as materialized (
    select ${metaColumnsOfM}, m.created_at, m.request_hash
    from messages m
    where cast(${key} as text) is not null
      and m.owner_id = cast(${ownerId} as text)
      and m.idempotency_key = cast(${key} as text)
  )`;

/** `prior`'s user message and the reply after it, as `prior_user` and `prior_assistant`. */
const priorColumns = sql`(select row_to_json(p) from prior p) as prior_user,
    (select row_to_json(a) from (
      select ${metaColumnsOfM}
      from messages m, prior p
      where m.conversation_id = p.conversation_id
        and m.role = 'assistant'
        and (m.created_at, m.id) > (p.created_at, p.id)
      order by m.created_at, m.id
      limit 1
    ) a) as prior_assistant`;

interface PriorRow {
  prior_user: unknown;
  prior_assistant: unknown;
}

/**
 * The replay of a turn found under its key (undefined: none); 409 when the key came with another
 * request. Their texts are read in pieces: a long reply is over the Data API's 64 KB a row.
 */
async function replayOf(
  db: Queryable,
  row: PriorRow,
  requestHash: string | undefined,
): Promise<ReplayedTurn | undefined> {
  const priorUser = fromJson<Omit<Row, 'content'> & { request_hash: string | null }>(row.prior_user);
  if (!priorUser) return undefined;
  if (priorUser.request_hash !== (requestHash ?? null)) throw new IdempotencyKeyReusedError();
  const priorAssistant = fromJson<Omit<Row, 'content'>>(row.prior_assistant);
  const texts = await contentsOf(db, [priorUser.id, ...(priorAssistant ? [priorAssistant.id] : [])]);
  return {
    kind: 'replay',
    userMessage: toMessage({ ...priorUser, content: texts.get(priorUser.id) ?? '' }),
    assistantMessage: priorAssistant
      ? toMessage({ ...priorAssistant, content: texts.get(priorAssistant.id) ?? '' })
      : undefined,
  };
}

/**
 * The whole start of a turn in ONE statement (one round trip, one implicit transaction: on the
 * Data API every statement is an HTTPS request of its own). In order of the CTEs:
 * - `prior`: the turn already stored under this idempotency key, if any (then nothing is written);
 * - `conv`: the caller's conversation, locked until the statement commits;
 * - `busy`: a reply still streaming, and not abandoned, refuses the turn (409). Abandoned by its
 *   age (no save for ABANDONED_AFTER), as `abandoning` finds it: a reply left `streaming` by a
 *   function that died never blocks the conversation, and one the retention run marked failed
 *   while this statement waited for the lock (`streaming` in its snapshot) does not refuse it;
 * - `go`: the conversation when the turn may start; `abandoning`, `history`, the two inserts and
 *   the title and count update all hang on it, so a refused turn (409, 429, stale, or a replay of
 *   its key) writes nothing;
 * - `abandoning`, `abandoned` (`markAbandoned`, the mark the sweep and an erasure make too): a
 *   reply left `streaming` by a function that died is locked, then marked failed, and charged by
 *   the caller with the estimate of what its call was sent, from `history`, to the UTC day of its
 *   last save, as the retention run's sweep charges it (the mark's RETURNING gives the new save,
 *   now: `abandoning` keeps the one before). Only when the
 *   turn starts: `history` is read only then, and a refused turn that marked the reply charged its
 *   prompt as 0 tokens. Left as it is, the reply reads as failed all the same (`statusAndError`),
 *   blocks nothing (`busy`, `crowded` go by its age) and is marked and charged, once, with the
 *   full estimate by whichever comes first: the next turn that starts (a stale attempt's retry
 *   included), its regeneration, or the retention run's sweep. Reading the history for a refused
 *   turn instead would cost every refusal (a burst of 429s) up to HISTORY_BYTES for nothing;
 * - `stale`: every CTE reads the snapshot taken when the statement began, but the lock waits for
 *   a concurrent turn to commit and then returns the row as that turn left it. The row version
 *   (xmin) locked differing from the one in the snapshot means a turn committed in between that
 *   this snapshot cannot see: nothing is written and the statement runs again with a fresh
 *   snapshot, which then sees the other reply streaming.
 * The assistant message is created one microsecond after the user message: both come from one
 * statement, and (created_at, id) must order them.
 */
function turnStatement(input: StartTurnInput) {
  const key = input.idempotencyKey ?? null;
  return sql`
  with ${priorCte(input.ownerId, key)},
  ${lockedConversation(input)},
  ${lockedOwner(input.ownerId)},
  ${crowdedCte(input)},
  ${overCte(input)},
  busy as (
    select 1 from messages
    where conversation_id = (select id from conv)
      and status = 'streaming'
      and updated_at >= now() - cast(${ABANDONED_AFTER} as interval)
    limit 1
  ),
  go as (
    select conv.id, conv.title, conv.message_count from conv
    where conv.version = (select version from seen)
      and (select version from owner) = (select version from owner_seen)
      and not exists (select 1 from busy)
      and not exists (select 1 from crowded)
      and not exists (select 1 from over)
      and not exists (select 1 from prior)
  ),
  ${markAbandoned(sql`m.conversation_id = (select id from go)`, 'wait')},
  user_message as (
    insert into messages
      (conversation_id, owner_id, role, content, status, idempotency_key, request_hash, created_at)
    select go.id, cast(${input.ownerId} as text), 'user', cast(${input.content} as text), 'complete',
      cast(${key} as text), cast(${input.requestHash ?? null} as text), clock_timestamp()
    from go
    returning ${metaColumns}, created_at
  ),
  assistant_message as (
    insert into messages (conversation_id, owner_id, role, content, status, model, created_at)
    select u.conversation_id, cast(${input.ownerId} as text), 'assistant', '', 'streaming',
      cast(${input.model} as text), u.created_at + interval '1 microsecond'
    from user_message u
    returning ${columns}
  ),
  touched as (
    update conversations c
    set message_count = c.message_count + 2,
      updated_at = now(),
      title = case
        when c.message_count = 0 and c.title = cast(${DEFAULT_TITLE} as text)
          then coalesce(nullif(cast(${input.titleIfFirst} as text), ''), c.title)
        else c.title
      end
    from assistant_message a
    where c.id = a.conversation_id
    returning c.id
  ),
  ${ownerTouched(input.ownerId, sql`assistant_message`)}
  select
    ${turnRowHead},
    exists (select 1 from busy) as busy,
    ${ownerColumns},
    ${priorColumns},
    (select instructions from users where id = cast(${input.ownerId} as text)) as instructions,
    (select row_to_json(u) from user_message u) as user_message,
    (select row_to_json(a) from assistant_message a) as assistant_message,
    (select json_agg(json_build_object('model', x.model, 'bytes', x.bytes, 'day', x.day))
      from abandoned x) as abandoned_replies
  union all
  select h.*, null, null, null, null, null, null, null, null, null, null, null, null, null
  from (${historyRows(sql`h.conversation_id = (select id from go)`)}) h
  order by part, created_at, id, piece
  `;
}

interface RegenerationRow extends OwnerRow {
  found: boolean;
  stale: boolean;
  reply_found: boolean;
  busy: boolean;
  latest: boolean;
  instructions: string | null;
  reply: unknown;
  /** The target when it was abandoned, as it was before the reset: [{model, bytes, day}], or null. */
  abandoned_replies: unknown;
}

/**
 * The start of a regeneration in ONE statement, as `turnStatement` (the same lock and `stale`
 * check): `target` is the caller's reply in the locked conversation, `latest` the conversation's
 * last message, `busy` a reply streaming there that was not abandoned (the target included: a
 * reply being written cannot be written again). `go` holds the reply only when it may be written
 * again; the reset, the removal of its feedback, the edit of its question (`question`: the last
 * user message before it) and the conversation's `updated_at` hang on it, so a refusal writes
 * nothing. The history is what came before the reply in the statement's snapshot, so the
 * question it answers is last, unedited.
 * `abandoned` is the reply when its function died (left `streaming` past ABANDONED_AFTER, so not
 * `busy`) and it may be written again: its model, the length of the text it kept and the UTC
 * day of its last save, read before the reset empties and saves it, so that the caller charges it
 * as a turn charges the abandoned reply it marks, to that day (nothing else could: the reset makes
 * it a reply being written). The row is locked and read as it is now, not as the snapshot saw it:
 * a reply the retention run marked failed (and charged) while this statement waited for the
 * conversation is no longer `streaming` and is not charged again; the sweep passes over a reply
 * locked here, and a turn waits for the conversation. The reset joins `abandoned`, so the row is
 * read before it is emptied.
 */
function regenerationStatement(input: StartRegenerationInput) {
  return sql`
  with ${lockedConversation(input)},
  ${lockedOwner(input.ownerId)},
  ${crowdedCte(input)},
  ${overCte(input)},
  target as materialized (
    select m.id, m.created_at
    from messages m
    where m.id = cast(${input.replyId} as uuid)
      and m.conversation_id = (select id from conv)
      and m.role = 'assistant'
  ),
  latest as (
    select m.id from messages m
    where m.conversation_id = (select id from conv)
    order by m.created_at desc, m.id desc
    limit 1
  ),
  busy as (
    select 1 from messages
    where conversation_id = (select id from conv)
      and status = 'streaming'
      and updated_at >= now() - cast(${ABANDONED_AFTER} as interval)
    limit 1
  ),
  go as (
    select t.id, t.created_at from target t
    where (select version from conv) = (select version from seen)
      and (select version from owner) = (select version from owner_seen)
      and not exists (select 1 from busy)
      and not exists (select 1 from crowded)
      and not exists (select 1 from over)
      and t.id = (select id from latest)
  ),
  abandoned as materialized (
    select m.id, m.model, octet_length(m.content) as bytes,
      to_char(m.updated_at at time zone 'UTC', 'YYYY-MM-DD') as day
    from messages m
    where m.id = (select id from go)
      and m.status = 'streaming'
      and m.updated_at < now() - cast(${ABANDONED_AFTER} as interval)
    for update of m
  ),
  reset as (
    update messages m
    set content = '', status = 'streaming', error = null, model = cast(${input.model} as text),
      prompt_tokens = 0, completion_tokens = 0, stop_requested_at = null, truncated = false,
      updated_at = now()
    from go
    left join abandoned a on a.id = go.id
    where m.id = go.id
    returning ${columnsOfM}, a.id is not null as was_abandoned, a.model as abandoned_model,
      a.bytes as abandoned_bytes, a.day as abandoned_day
  ),
  unrated as (
    delete from message_feedback f using reset r where f.message_id = r.id returning f.message_id
  ),
  question as (
    select m.id from messages m, go
    where m.conversation_id = (select id from conv)
      and m.role = 'user'
      and (m.created_at, m.id) < (go.created_at, go.id)
    order by m.created_at desc, m.id desc
    limit 1
  ),
  edited as (
    update messages m
    set content = cast(${input.content ?? null} as text), updated_at = now()
    from question q
    where m.id = q.id and cast(${input.content ?? null} as text) is not null
    returning m.id
  ),
  touched as (
    update conversations c set updated_at = now()
    from reset r
    where c.id = r.conversation_id
    returning c.id
  ),
  ${ownerTouched(input.ownerId, sql`reset`)}
  select
    ${turnRowHead},
    ${ownerColumns},
    exists (select 1 from target) as reply_found,
    exists (select 1 from busy) as busy,
    coalesce((select id from target) = (select id from latest), false) as latest,
    (select instructions from users where id = cast(${input.ownerId} as text)) as instructions,
    (select row_to_json(r) from reset r) as reply,
    (select json_agg(json_build_object('model', r.abandoned_model, 'bytes', r.abandoned_bytes,
        'day', r.abandoned_day))
      from reset r where r.was_abandoned) as abandoned_replies
  union all
  select h.*, null, null, null, null, null, null, null, null, null, null, null, null
  from (${historyRows(
    sql`h.conversation_id = (select id from conv)
      and (h.created_at, h.id) < (select created_at, id from go)`,
  )}) h
  order by part, created_at, id, piece
  `;
}

interface UsageRow {
  monthly_token_quota: number | null;
  /** int8 or numeric: a string on pg, a number or a string on the Data API. */
  used: string | number;
}

/**
 * Ends the reply and charges its usage to the day (UTC): the two statements of `finishTurn`. Only
 * a reply still `streaming` is ended and charged, so running it again (its first commit's answer
 * lost with the connection) changes and charges nothing: the reply is answered as it was ended.
 */
async function finishTurnIn(tx: Queryable, input: FinishTurnInput): Promise<Message> {
  const row = await first<Omit<Row, 'content'>>(
    tx,
    sql`update messages
      set content = ${input.content}, status = ${input.status}, error = ${input.error ?? null},
        model = ${input.model}, prompt_tokens = ${input.promptTokens},
        completion_tokens = ${input.completionTokens}, updated_at = now(),
        stop_requested_at = case when cast(${input.stopped === true} as boolean) then coalesce(stop_requested_at, now()) end,
        truncated = cast(${input.truncated === true} as boolean)
      where id = cast(${input.assistantId} as uuid) and status = 'streaming'
      returning ${metaColumns}`,
  );
  if (!row) {
    const ended = await only<Omit<Row, 'content'>>(
      tx,
      sql`select ${metaColumns} from messages where id = cast(${input.assistantId} as uuid)`,
    );
    const texts = await contentsOf(tx, [ended.id]);
    return toMessage({ ...ended, content: texts.get(ended.id) ?? '' });
  }
  await chargeUsage(tx, input.ownerId, [
    {
      model: input.model,
      requests: 1,
      promptTokens: input.promptTokens,
      completionTokens: input.completionTokens,
      costMicros: input.costMicros,
    },
  ]);
  return toMessage({ ...row, content: input.content });
}

/**
 * `db` is the database, not a transaction: `finishTurn` opens one of its own, and `startTurn` is
 * one statement (its own implicit transaction).
 */
export function postgresTurns(
  db: SqlDatabase,
  { saveRetry = SAVE_RETRY }: { saveRetry?: SaveRetry } = {},
): TurnRepository {
  const startTurn: TurnRepository['startTurn'] = async (input) => {
    let chargedAbandoned = false;
    for (let attempt = 1; ; attempt++) {
      // The turn's row first (a select without FROM: always there), then the history's.
      const { rows } = await db.query<TurnRow & HistoryRow>(turnStatement(input));
      const row = rows[0];
      if (!row) throw new Error('the turn statement answered no row');
      const abandoned = fromJson<AbandonedReply[]>(row.abandoned_replies);
      if (abandoned?.length) {
        await chargeAbandoned(db, input.ownerId, abandoned, input.prompt, {
          history: historyOf(rows),
          instructions: row.instructions ?? null,
        });
        chargedAbandoned = true;
      }
      const replay = await replayOf(db, row, input.requestHash);
      if (replay) return replay;
      if (!row.found || !row.owner_found) throw new ConversationNotFoundError();
      if (row.stale || row.owner_stale) {
        if (attempt < staleAttempts(input.maxRepliesInFlight)) continue;
        throw new ConversationBusyError();
      }
      if (row.busy) throw new ConversationBusyError();
      checkQuota(row, input);
      if (row.crowded) throw new RepliesInFlightError(input.maxRepliesInFlight ?? 0);
      const userMessage = fromJson<Omit<Row, 'content'>>(row.user_message);
      const assistantMessage = fromJson<Row>(row.assistant_message);
      if (!userMessage || !assistantMessage) throw new Error('the turn statement stored no messages');
      return {
        kind: 'started' as const,
        userMessage: toMessage({ ...userMessage, content: input.content }),
        assistantMessage: toMessage(assistantMessage),
        history: historyOf(rows),
        instructions: row.instructions ?? null,
        chargedAbandoned,
      };
    }
  };

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

    async priorTurn({ ownerId, idempotencyKey, requestHash }) {
      const row = await only<PriorRow>(
        db,
        sql`with ${priorCte(ownerId, idempotencyKey)} select ${priorColumns}`,
      );
      return replayOf(db, row, requestHash);
    },

    async startRegeneration(input) {
      let chargedAbandoned = false;
      for (let attempt = 1; ; attempt++) {
        const { rows } = await db.query<RegenerationRow & HistoryRow>(regenerationStatement(input));
        const row = rows[0];
        if (!row) throw new Error('the regeneration statement answered no row');
        const abandoned = fromJson<AbandonedReply[]>(row.abandoned_replies);
        if (abandoned?.length) {
          await chargeAbandoned(db, input.ownerId, abandoned, input.prompt, {
            history: historyOf(rows),
            instructions: row.instructions ?? null,
          });
          chargedAbandoned = true;
        }
        if (!row.found || !row.owner_found) throw new ConversationNotFoundError();
        if (row.stale || row.owner_stale) {
          if (attempt < staleAttempts(input.maxRepliesInFlight)) continue;
          throw new ConversationBusyError();
        }
        if (!row.reply_found) throw new ReplyNotFoundError();
        if (row.busy) throw new ConversationBusyError();
        if (!row.latest) throw new NotLatestReplyError();
        checkQuota(row, input);
        if (row.crowded) throw new RepliesInFlightError(input.maxRepliesInFlight ?? 0);
        const reply = fromJson<Row>(row.reply);
        if (!reply) throw new Error('the regeneration statement reset no reply');
        // `unrated` saw the feedback of the statement's snapshot: feedback on the earlier reply
        // saved while the statement waited for the conversation would stay on the new one. Saved
        // later, it waits for the reset and finds the reply not finished.
        await db.query(sql`delete from message_feedback where message_id = cast(${reply.id} as uuid)`);
        return {
          assistantMessage: toMessage(reply),
          history: historyOf(rows),
          instructions: row.instructions ?? null,
          chargedAbandoned,
        };
      }
    },

    // Retried while the database is unreachable for a moment: a failed save stops the reply.
    // Each save writes the whole text so far, so a repeated one changes nothing.
    async saveProgress(assistantId, content) {
      const row = await whileUnreachable(saveRetry, () =>
        first<StopRow>(
          db,
          sql`update messages set content = ${content}, updated_at = now()
            where id = cast(${assistantId} as uuid) and status = 'streaming'
            returning ${stopAsked}`,
        ),
      );
      return row?.stop_asked === true;
    },

    async stopRequested(assistantId) {
      const row = await first<StopRow>(
        db,
        sql`select ${stopAsked} from messages
          where id = cast(${assistantId} as uuid) and status = 'streaming'`,
      );
      return row?.stop_asked === true;
    },

    async requestStop({ ownerId, conversationId, messageId }) {
      // The writer's `updated_at` (abandonment) is left alone; a repeated request keeps the first time.
      // `m.status` is tested again on the row locked: a reply whose end committed while this waited
      // for it (streaming in the snapshot) is not marked, so a whole reply never reads as stopped.
      const row = await first<{ asked: boolean }>(
        db,
        sql`with target as (
            select m.id, ${statusAndError('m.')} from messages m
            inner join conversations c on c.id = m.conversation_id
            where m.id = cast(${messageId} as uuid) and m.conversation_id = cast(${conversationId} as uuid)
              and m.owner_id = ${ownerId} and c.owner_id = ${ownerId} and c.deleted_at is null
              and m.role = 'assistant'
          ),
          asked as (
            update messages m set stop_requested_at = coalesce(m.stop_requested_at, now())
            from target t where m.id = t.id and t.status = 'streaming' and m.status = t.status
            returning 1
          )
          select exists (select from asked) as asked from target t`,
      );
      if (!row) return undefined;
      return row.asked ? 'stopping' : 'ended';
    },

    // Retried while the database is unreachable for a moment (a restart, a failover): a reply
    // left `streaming` would hold its conversation for minutes and go uncharged. finishTurnIn is
    // idempotent, so a retry after a commit whose answer was lost changes nothing.
    async finishTurn(input) {
      return whileUnreachable(saveRetry, () => db.transaction((tx) => finishTurnIn(tx, input)));
    },

    async monthlyUsage(ownerId, now) {
      const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
      const row = await first<UsageRow>(
        db,
        sql`select u.monthly_token_quota, coalesce(sum(d.prompt_tokens + d.completion_tokens), 0) as used
          from users as u
          left join usage_daily as d on d.user_id = u.id and d.day >= ${month}::date
          where u.id = ${ownerId}
          group by u.monthly_token_quota`,
      );
      const own: number | null | undefined = row?.monthly_token_quota;
      // null: the user has no quota of their own; the role's default applies.
      return {
        used: Number(row?.used ?? 0),
        quota: own === null || own === undefined ? undefined : Number(own),
      };
    },
  };
}
