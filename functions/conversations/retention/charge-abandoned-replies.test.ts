import { describe, expect, it, vi } from 'vitest';
import type { AbandonedBatch, AbandonedKeyset } from '#chat/adapters/postgres-abandoned-replies';
import { ABANDONED_BATCH, chargeAbandonedReplies } from './charge-abandoned-replies';
import { RetentionRunError } from './purge-conversations';

const keyset = (n: number): AbandonedKeyset => ({
  savedAt: `2026-01-0${n}T00:00:00.000000Z`,
  id: `reply-${n}`,
});

/** A sweep whose batches answer `answers` in turn (then none found), recording where each went on from. */
function sweepOf(answers: (AbandonedBatch | Error)[]) {
  const calls: { after: AbandonedKeyset | undefined; limit: number }[] = [];
  const chargeBatch = vi.fn((after: AbandonedKeyset | undefined, limit: number) => {
    calls.push({ after, limit });
    const answer = answers.shift() ?? { found: 0, charged: 0, last: undefined };
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  });
  return { replies: { chargeBatch }, calls };
}

describe('charging the abandoned replies in the retention run', () => {
  it('goes on after the last reply each batch found, until a batch is not full, and counts what was charged', async () => {
    // Prepare: a full batch of which a turn took 3 (left locked), then a last one of 5
    const { replies, calls } = sweepOf([
      { found: ABANDONED_BATCH, charged: ABANDONED_BATCH - 3, last: keyset(1) },
      { found: 5, charged: 5, last: keyset(2) },
    ]);

    // Act
    const summary = await chargeAbandonedReplies({ replies, timeLeft: () => 300_000 });

    // Assess: the second batch went on after the first's last reply, not over the 3 left locked again
    expect(summary).toEqual({ chargedAbandonedReplies: ABANDONED_BATCH + 2, complete: true });
    expect(calls).toEqual([
      { after: undefined, limit: ABANDONED_BATCH },
      { after: keyset(1), limit: ABANDONED_BATCH },
    ]);
  });

  it('stops with no time left, incomplete, before looking at any', async () => {
    const { replies, calls } = sweepOf([]);

    const summary = await chargeAbandonedReplies({ replies, timeLeft: () => 0 });

    expect(summary).toEqual({ chargedAbandonedReplies: 0, complete: false });
    expect(calls).toEqual([]);
  });

  it('fails with the count the batches before the failure charged (committed)', async () => {
    const { replies } = sweepOf([
      { found: ABANDONED_BATCH, charged: ABANDONED_BATCH, last: keyset(1) },
      new Error('connection terminated'),
    ]);

    const run = chargeAbandonedReplies({ replies, timeLeft: () => 300_000 });

    await expect(run).rejects.toBeInstanceOf(RetentionRunError);
    await expect(run).rejects.toMatchObject({
      erased: { chargedAbandonedReplies: ABANDONED_BATCH },
      auditMissing: false,
      cause: new Error('connection terminated'),
    });
  });
});
