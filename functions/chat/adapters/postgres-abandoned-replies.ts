import { isoText, sql, type Queryable, type Sql, type SqlDatabase } from '#shared/db/sql';
import type { PromptSettings } from '../domain/system-prompt';
import { conversationHistory } from './postgres-history';
import {
  abandonedCharges,
  abandonedPromptTokens,
  ABANDONED_AFTER,
  chargeUsage,
  INTERRUPTED,
  type UsageCharge,
} from './postgres-usage';

/** Where a sweep of abandoned replies goes on from: the last reply it looked at (oldest save first). */
export interface AbandonedKeyset {
  /** Its last save (`updated_at`), as exact text. */
  readonly savedAt: string;
  readonly id: string;
}

export interface AbandonedBatch {
  /** Replies found abandoned after the keyset (fewer than asked: none left after them). */
  readonly found: number;
  /** Those this batch marked failed and charged (others a turn marked meanwhile, or left locked). */
  readonly charged: number;
  /** The keyset to go on from: the last reply found (undefined when none was). */
  readonly last: AbandonedKeyset | undefined;
}

/**
 * The replies left `streaming` by a function that died, whatever their conversation: a turn in the
 * conversation marks its own and charges it (postgres-messages), but a conversation never written
 * to again would keep its abandoned reply uncharged for ever, its tokens in neither the quota nor
 * the usage report. The retention run sweeps them.
 */
export interface AbandonedReplies {
  /**
   * Marks failed and charges, each once, up to `limit` replies abandoned (no save for
   * REPLY_ABANDONED_AFTER_MINUTES), oldest save first, after `after`.
   */
  chargeBatch(after: AbandonedKeyset | undefined, limit: number): Promise<AbandonedBatch>;
}

interface FoundRow {
  id: string;
  conversation_id: string;
  saved_at_text: string;
  /** Its owner's own instructions, part of what the reply's call was sent. */
  instructions: string | null;
}

interface MarkedRow {
  id: string;
  owner_id: string;
  conversation_id: string;
  model: string | null;
  bytes: number;
  day: string;
}

/** How `markAbandoned` locks the replies it is to mark. */
export type AbandonedLock =
  /**
   * The sweep's: the replies and their owners' rows, SKIP LOCKED. A reply a turn is marking, or
   * whose owner is being erased, is left to them, never waited for (see `postgresAbandonedReplies`).
   */
  | 'skip-locked'
  /**
   * A turn's or an erasure's: the replies only, waiting for one locked. The caller holds the
   * conversation or the owner's row, so no other turn marks them meanwhile; a sweep that locked
   * one first is waited for, and the reply it marked is no longer `streaming` here.
   */
  | 'wait';

/**
 * The mark of abandoned replies, as two CTEs to splice into a WITH (the turn's statement in
 * postgres-messages, the sweep's, the erasure's): `abandoning` locks the replies `which` selects (a condition on `messages m`)
 * that are still `streaming` with no save for ABANDONED_AFTER, and keeps their save before the
 * mark (the UPDATE's RETURNING gives the new one, now); `abandoned` marks them failed and returns
 * id, owner_id, conversation_id, model, bytes (the kept text's UTF-8 length) and day (the UTC day of the
 * pre-mark save, the day they are charged to). The mark is the charge's decision: only a reply
 * this statement turns from `streaming` to `failed` is returned, and every marker uses this
 * condition, so whichever marks a reply charges it, once.
 */
export function markAbandoned(which: Sql, lock: AbandonedLock): Sql {
  const skip = lock === 'skip-locked';
  return sql`abandoning as materialized (
      select m.id, m.updated_at
      from messages m
      ${skip ? sql`inner join users u on u.id = m.owner_id` : sql.empty}
      where ${which}
        and m.status = 'streaming'
        and m.updated_at < now() - cast(${ABANDONED_AFTER} as interval)
      ${skip ? sql`for update of m skip locked for key share of u skip locked` : sql`for update of m`}
    ),
    abandoned as (
      update messages m
      set status = 'failed', error = cast(${INTERRUPTED} as text), updated_at = now()
      from abandoning a
      where m.id = a.id and m.status = 'streaming'
      returning m.id, m.owner_id, m.conversation_id, m.model, octet_length(m.content) as bytes,
        to_char(a.updated_at at time zone 'UTC', 'YYYY-MM-DD') as day
    )`;
}

/**
 * The charges of marked replies by owner: each is charged as a turn charges the reply it marks
 * (`abandonedCharges`), with the prompt estimated for its conversation, to its own day (its last
 * save, UTC, before the mark). The usage report then counts its tokens on the day the model spent
 * them, as the provider's invoice does, and a reply of the month's last evening counts in that
 * month's quota, not the next one's, whoever finds it and whenever.
 */
async function chargesByOwner<Reply extends MarkedRow>(
  marked: readonly Reply[],
  promptTokensOf: (reply: Reply) => Promise<number>,
): Promise<Map<string, UsageCharge[]>> {
  const byOwner = new Map<string, UsageCharge[]>();
  for (const reply of marked) {
    const charges = abandonedCharges(
      [{ model: reply.model, bytes: Number(reply.bytes), day: reply.day }],
      await promptTokensOf(reply),
    );
    byOwner.set(reply.owner_id, [...(byOwner.get(reply.owner_id) ?? []), ...charges]);
  }
  return byOwner;
}

/**
 * On PostgreSQL (pg or the Data API). A batch is four kinds of statement:
 * 1. the replies abandoned after the keyset (the partial index of replies being written);
 * 2. the history of each one's conversation, one statement each (within the Data API's 1 MiB),
 *    read before anything is locked: its estimate is the turn's (`abandonedCharges`, the prompt
 *    `abandonedPromptTokens` of the history a turn would read with the chat's `prompt` settings,
 *    the reply its kept text, the model's price);
 * 3. and 4., in one transaction: the mark, then the charges. The mark is the charge's decision:
 *    only a reply that this statement turns from `streaming` to `failed` is charged, and a turn
 *    marks its own abandoned reply with the same condition, so whichever marks it charges it, once.
 *    It locks the replies and their owners' rows SKIP LOCKED: a reply a turn is marking meanwhile
 *    (that turn charges it) or whose owner is being erased (the erasure charges it first,
 *    `chargeAbandonedOf`) is left, never waited for, so the sweep can neither deadlock with an
 *    erasure (which locks the owner, then the replies) nor charge an owner who no longer exists.
 *    A failed charge rolls the mark back: the reply is found again by the next run.
 */
export function postgresAbandonedReplies(db: SqlDatabase, prompt: PromptSettings): AbandonedReplies {
  return {
    async chargeBatch(after, limit) {
      const past = after
        ? sql`and (m.updated_at, m.id) > (cast(${after.savedAt} as timestamptz), cast(${after.id} as uuid))`
        : sql.empty;
      const { rows: found } = await db.query<FoundRow>(sql`
        select m.id, m.conversation_id, ${isoText('m.updated_at')} as saved_at_text,
          (select u.instructions from users u where u.id = m.owner_id) as instructions
        from messages m
        where m.status = 'streaming' and m.updated_at < now() - cast(${ABANDONED_AFTER} as interval) ${past}
        order by m.updated_at, m.id
        limit ${limit}`);
      const lastFound = found.at(-1);
      if (!lastFound) return { found: 0, charged: 0, last: undefined };

      const prompts = new Map<string, number>();
      for (const { conversation_id: conversationId, instructions } of found)
        if (!prompts.has(conversationId))
          prompts.set(
            conversationId,
            abandonedPromptTokens(prompt, {
              history: await conversationHistory(db, conversationId),
              instructions: instructions ?? null,
            }),
          );

      const charged = await db.transaction(async (tx) => {
        const { rows: marked } = await tx.query<MarkedRow>(sql`
          with ${markAbandoned(
            sql`m.id in (${sql.join(found.map((row) => sql`cast(${row.id} as uuid)`))})`,
            'skip-locked',
          )}
          select * from abandoned`);
        const byOwner = await chargesByOwner(
          marked,
          async (reply) => prompts.get(reply.conversation_id) ?? 0,
        );
        for (const [ownerId, charges] of byOwner) await chargeUsage(tx, ownerId, charges);
        return marked.length;
      });
      return { found: found.length, charged, last: { savedAt: lastFound.saved_at_text, id: lastFound.id } };
    },
  };
}

/**
 * Marks failed and charges, each once, the owner's abandoned replies (no save for
 * REPLY_ABANDONED_AFTER_MINUTES), in `tx`: the erasure's first step. Erasing a person deletes their
 * messages and keeps their usage (pseudonymised, migration 0020) so that the reports match the
 * provider's invoice; a reply whose function died, and that no turn or sweep had charged yet, would
 * take its tokens with it. Charged as the sweep charges it (`abandonedCharges` by the turn's
 * estimate, to the reply's day). The history is read after the mark: it holds complete messages
 * only, so the mark changes nothing in it. Returns how many replies it charged.
 *
 * The caller holds the owner's row (the erasure reads it FOR UPDATE): no turn or regeneration of
 * theirs can start meanwhile (both lock the owner's row before any reply), and the sweep passes
 * over their replies (SKIP LOCKED on the owner). So the replies are locked without SKIP LOCKED:
 * one a sweep locked before the erasure took the owner is waited for (the sweep never waits for
 * the erasure), and once that sweep commits it is no longer `streaming`: charged by the sweep,
 * once. A reply still being written (saved within the abandonment age) is not charged here: its
 * function charges it when it ends.
 */
export async function chargeAbandonedOf(
  tx: Queryable,
  ownerId: string,
  prompt: PromptSettings,
): Promise<number> {
  const { rows: marked } = await tx.query<MarkedRow & { instructions: string | null }>(sql`
    with ${markAbandoned(sql`m.owner_id = cast(${ownerId} as text)`, 'wait')}
    select a.*, (select u.instructions from users u where u.id = a.owner_id) as instructions
    from abandoned a`);
  const prompts = new Map<string, number>();
  const byOwner = await chargesByOwner(marked, async (reply) => {
    let promptTokens = prompts.get(reply.conversation_id);
    if (promptTokens === undefined) {
      promptTokens = abandonedPromptTokens(prompt, {
        history: await conversationHistory(tx, reply.conversation_id),
        instructions: reply.instructions ?? null,
      });
      prompts.set(reply.conversation_id, promptTokens);
    }
    return promptTokens;
  });
  await chargeUsage(tx, ownerId, byOwner.get(ownerId) ?? []);
  return marked.length;
}
