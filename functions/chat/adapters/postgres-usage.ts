import { sql, type Queryable } from '#shared/db/sql';
import { logger } from '#shared/powertools';
import { estimateReplyPromptTokens, tokensForBytes } from '../domain/context-window';
import { REPLY_ABANDONED_AFTER_MINUTES } from '../domain/message';
import { estimateCostMicros } from '../domain/pricing';
import type { PromptSettings } from '../domain/system-prompt';
import type { ChatTurn } from '../ports/chat-model';

/*
 * The usage charges of replies, shared by the chat (a reply's end, and the abandoned replies a turn
 * finds) and the retention run (the abandoned replies no turn found): one upsert and one estimate,
 * so that the quota and the usage report count a reply the same way whoever charges it.
 */

/** A reply still `streaming` after this long was abandoned (the function that wrote it died). */
export const ABANDONED_AFTER = `${REPLY_ABANDONED_AFTER_MINUTES} minutes`;
/** What an abandoned reply says, once read or once marked failed (by a turn or the retention run). */
export const INTERRUPTED = 'The reply was interrupted.';

export interface UsageCharge {
  readonly model: string;
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costMicros: number;
  /** The usage day (UTC, `YYYY-MM-DD`) it counts on; absent: today's. */
  readonly day?: string | undefined;
}

/** The charges summed per day and model: an upsert may not touch one row twice in a statement. */
function merged(charges: readonly UsageCharge[]): UsageCharge[] {
  const byRow = new Map<string, UsageCharge>();
  for (const charge of charges) {
    const key = JSON.stringify([charge.day ?? null, charge.model]);
    const before = byRow.get(key);
    byRow.set(
      key,
      before
        ? {
            ...before,
            requests: before.requests + charge.requests,
            promptTokens: before.promptTokens + charge.promptTokens,
            completionTokens: before.completionTokens + charge.completionTokens,
            costMicros: before.costMicros + charge.costMicros,
          }
        : charge,
    );
  }
  return [...byRow.values()];
}

/**
 * Adds charges to the owner's usage, each to its day's (today's, UTC, unless it names one) and
 * model's row of `usage_daily`, which the monthly quota and the usage reports read. One statement.
 */
export async function chargeUsage(
  db: Queryable,
  ownerId: string,
  charges: readonly UsageCharge[],
): Promise<void> {
  if (charges.length === 0) return;
  const rows = merged(charges).map(
    (
      c,
    ) => sql`(${ownerId}, coalesce(cast(${c.day ?? null} as date), (now() at time zone 'UTC')::date), ${c.model},
      ${c.requests}, ${c.promptTokens}, ${c.completionTokens}, ${c.costMicros})`,
  );
  await db.query(sql`
    insert into usage_daily (user_id, day, model, requests, prompt_tokens, completion_tokens, cost_micros)
    values ${sql.join(rows, sql`, `)}
    on conflict (user_id, day, model) do update set
      requests = usage_daily.requests + excluded.requests,
      prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,
      cost_micros = usage_daily.cost_micros + excluded.cost_micros`);
}

/** A reply left `streaming` by a function that died, as the statement that marked it failed returned it. */
export interface AbandonedReply {
  readonly model: string | null;
  /** UTF-8 bytes of the text it kept (`estimateTokens` counts by them). */
  readonly bytes: number;
  /**
   * The usage day it is charged to (`UsageCharge.day`): the UTC day of its last save before it was
   * marked, whoever marks it (a turn, a regeneration or the retention run's sweep), so that a reply
   * abandoned late on a month's last day counts in that month whichever finds it first.
   */
  readonly day: string;
}

/** What an abandoned reply was written after, as the statement that found it read it. */
export interface AbandonedContext {
  /** The complete messages before the reply (`historyRows`), oldest first: its question last. */
  readonly history: readonly ChatTurn[];
  /** Its owner's own instructions (users.instructions); null: none. */
  readonly instructions: string | null;
}

/**
 * The prompt tokens of an abandoned reply: the estimate of what its model call was sent, the
 * context window the chat builds from its history with `prompt` (`estimateReplyPromptTokens`),
 * never the whole conversation. The turn, the regeneration and the retention run's sweep all charge
 * by it; none when there is no history.
 */
export const abandonedPromptTokens = (prompt: PromptSettings, context: AbandonedContext): number =>
  estimateReplyPromptTokens(prompt, context.instructions, context.history);

/**
 * The charges of abandoned replies: by estimate, as a stopped reply is, since their usage never
 * came. The prompt is `abandonedPromptTokens` (what the reply's call was sent), the reply the text
 * it kept, the cost the model's price (an unknown model: `unknown`, priced at nothing), the day
 * the reply's own (`AbandonedReply.day`).
 */
export function abandonedCharges(replies: readonly AbandonedReply[], promptTokens: number): UsageCharge[] {
  return replies.map((reply): UsageCharge => {
    const model = reply.model ?? 'unknown';
    const completionTokens = tokensForBytes(Number(reply.bytes));
    return {
      model,
      requests: 1,
      promptTokens,
      completionTokens,
      costMicros: estimateCostMicros(model, promptTokens, completionTokens),
      day: reply.day,
    };
  });
}

/**
 * Charges replies a turn or regeneration statement found abandoned (their function died before it
 * could end them), by `abandonedCharges`. The prompt is estimated from the history the statement
 * read: a turn marks them only when it starts, having read it. A second statement, only when
 * there are any: their failure is logged, not the turn's, which has committed.
 */
export async function chargeAbandoned(
  db: Queryable,
  ownerId: string,
  replies: readonly AbandonedReply[],
  prompt: PromptSettings,
  context: AbandonedContext,
): Promise<void> {
  try {
    await chargeUsage(db, ownerId, abandonedCharges(replies, abandonedPromptTokens(prompt, context)));
  } catch (error) {
    logger.warn('abandoned replies could not be charged', { replies: replies.length, error: error as Error });
  }
}
