import { describe, expect, it } from 'vitest';
import type { StaleSignInAttempts } from '#auth/adapters/postgres-sign-in-attempts';
import { pruneSignInAttempts } from './prune-sign-in-attempts';
import { PURGE_BATCH, PURGE_MAX_BATCHES, RetentionRunError } from './purge-conversations';

const NOW = new Date('2026-03-31T03:30:00.000Z');

/** Stale counters of a backlog, recording each call. */
function fakeAttempts(backlog: number) {
  const calls: [string, number][] = [];
  let left = backlog;
  const attempts: StaleSignInAttempts = {
    erase: (now, limit) => {
      calls.push([now.toISOString(), limit]);
      const count = Math.min(limit, left);
      left -= count;
      return Promise.resolve(count);
    },
  };
  return { attempts, calls, left: () => left };
}

describe('pruneSignInAttempts', () => {
  it('erases stale lockout counters in batches until one is not full, as of the run’s time', async () => {
    // Prepare
    const { attempts, calls } = fakeAttempts(PURGE_BATCH + 3);

    // Act
    const summary = await pruneSignInAttempts({ attempts, now: NOW, timeLeft: () => 60_000 });

    // Assess
    expect(summary).toEqual({ erasedSignInAttempts: PURGE_BATCH + 3, complete: true });
    expect(calls).toEqual([
      [NOW.toISOString(), PURGE_BATCH],
      [NOW.toISOString(), PURGE_BATCH],
    ]);
  });

  it('stops at its batch limit, or with too little time left, and says it is not complete', async () => {
    const big = fakeAttempts(PURGE_BATCH * PURGE_MAX_BATCHES + 1);
    const bounded = await pruneSignInAttempts({ attempts: big.attempts, now: NOW, timeLeft: () => 60_000 });
    expect(bounded).toEqual({ erasedSignInAttempts: PURGE_BATCH * PURGE_MAX_BATCHES, complete: false });
    expect(big.left()).toBe(1);

    const late = fakeAttempts(5);
    const none = await pruneSignInAttempts({ attempts: late.attempts, now: NOW, timeLeft: () => 1_000 });
    expect(none).toEqual({ erasedSignInAttempts: 0, complete: false });
    expect(late.calls).toEqual([]);
  });

  it('fails with the count of the batches committed before one failed', async () => {
    // Prepare: one full batch, then the database is gone
    const results = [PURGE_BATCH];
    const attempts: StaleSignInAttempts = {
      erase: () => {
        const next = results.shift();
        return next === undefined
          ? Promise.reject(new Error('connection terminated'))
          : Promise.resolve(next);
      },
    };

    // Act
    const error = await pruneSignInAttempts({ attempts, now: NOW, timeLeft: () => 60_000 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(RetentionRunError);
    expect(error).toMatchObject({ erased: { erasedSignInAttempts: PURGE_BATCH }, auditMissing: false });
  });
});
