import { describe, expect, it } from 'vitest';

import { nextReplyPoll, REPLY_POLL_FAST_MS, REPLY_POLL_SLOW_MS } from '@/features/chat/utils/reply-polls';

/** Every wait of the schedule, from the first poll to the last. */
function schedule(): number[] {
  const waits: number[] = [];
  for (let polls = 0; ; polls += 1) {
    const wait = nextReplyPoll(polls);
    if (wait === null) return waits;
    waits.push(wait);
    if (waits.length > 10_000) throw new Error('the schedule never ends');
  }
}

describe('looking again at a reply being written', () => {
  it('looks every second for a minute, then every 5 seconds, and ends', () => {
    const waits = schedule();
    expect(waits.slice(0, 60)).toEqual(Array<number>(60).fill(REPLY_POLL_FAST_MS));
    expect(new Set(waits.slice(60))).toEqual(new Set([REPLY_POLL_SLOW_MS]));
    // 60 fast polls and 72 slow ones: 132 requests in 7 minutes, not 420.
    expect(waits).toHaveLength(132);
  });

  it('keeps looking past the moment the API calls a reply whose writer died interrupted', async () => {
    const { REPLY_ABANDONED_AFTER_MINUTES } = await import('../../../../../functions/chat/domain/message');
    const lookedFor = schedule().reduce((sum, wait) => sum + wait, 0);
    // From its last save, which came before the view opened: past that, with room for a slow read.
    expect(lookedFor).toBeGreaterThanOrEqual(REPLY_ABANDONED_AFTER_MINUTES * 60_000 + 30_000);
    expect(lookedFor).toBeLessThanOrEqual(10 * 60_000);
  });

  it('gives up on a count it did not produce', () => {
    for (const polls of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 132, 10_000]) {
      expect(nextReplyPoll(polls), String(polls)).toBeNull();
    }
  });
});
