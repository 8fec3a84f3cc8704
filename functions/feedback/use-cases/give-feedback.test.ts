import { describe, expect, it } from 'vitest';
import type { Caller } from '#shared/domain/caller';
import { ReplyNotFinishedError, ReplyNotFoundError, type FeedbackInput } from '../domain/feedback';
import type { FeedbackRepository, SaveOutcome } from '../ports/feedback-repository';
import { makeGiveFeedback } from './give-feedback';
import { makeWithdrawFeedback } from './withdraw-feedback';

const caller: Caller = { userId: 'user-1', kind: 'user', role: 'members' };

/** A repository that answers `outcome` and records what it was asked. */
function fakeFeedback(outcome: SaveOutcome, removed = true) {
  const calls: unknown[][] = [];
  const feedback: FeedbackRepository = {
    save: async (...args) => {
      calls.push(['save', ...args]);
      return outcome;
    },
    remove: async (...args) => {
      calls.push(['remove', ...args]);
      return removed;
    },
    list: async () => ({ items: [], nextCursor: null, totals: { up: 0, down: 0 } }),
  };
  return { feedback, calls };
}

const input: FeedbackInput = { rating: 'down', reason: 'inaccurate', comment: 'Wrong year' };

describe('giveFeedback', () => {
  it("saves the caller's feedback on the reply and returns it as kept", async () => {
    const kept = {
      messageId: 'm',
      rating: 'down' as const,
      reason: 'inaccurate' as const,
      comment: 'Wrong year',
      createdAt: '2026-12-02T10:00:00.000000Z',
      updatedAt: '2026-12-02T10:00:00.000000Z',
    };
    const { feedback, calls } = fakeFeedback({ kind: 'saved', feedback: kept });

    const result = await makeGiveFeedback({ feedback })(caller, 'c', 'm', input);

    expect(result).toBe(kept);
    expect(calls).toEqual([['save', 'user-1', 'c', 'm', input]]);
  });

  it('turns a reply not found into a 404 and an unfinished one into a 409', async () => {
    const give = (outcome: SaveOutcome) => makeGiveFeedback(fakeFeedback(outcome))(caller, 'c', 'm', input);
    await expect(give({ kind: 'not-found' })).rejects.toBeInstanceOf(ReplyNotFoundError);
    await expect(give({ kind: 'not-found' })).rejects.toMatchObject({ status: 404 });
    await expect(give({ kind: 'not-finished' })).rejects.toBeInstanceOf(ReplyNotFinishedError);
    await expect(give({ kind: 'not-finished' })).rejects.toMatchObject({ status: 409 });
  });
});

describe('withdrawFeedback', () => {
  it('removes the feedback of the caller, and refuses a reply that is not theirs (404)', async () => {
    const found = fakeFeedback({ kind: 'not-found' }, true);
    await makeWithdrawFeedback(found)(caller, 'c', 'm');
    expect(found.calls).toEqual([['remove', 'user-1', 'c', 'm']]);

    const missing = fakeFeedback({ kind: 'not-found' }, false);
    await expect(makeWithdrawFeedback(missing)(caller, 'c', 'm')).rejects.toBeInstanceOf(ReplyNotFoundError);
  });
});
