import { randomUUID } from 'node:crypto';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { metrics, MetricUnit } from '#shared/powertools';
import { dataApiError, whatTheRuntimeWrites } from '#test/support/lambda-runtime';
import { cognitoActivityRecord, subscriptionBatch, subscriptionEvent } from './fixtures';
import { handler, setSignInActivityLog } from './handler';
import { activityAuditId } from './sign-in-activity';
import type { SignInActivityLog } from './sign-in-activity-log';

/** An audit trail in memory that already holds the given sign-ins (by their Cognito event id). */
function trailHolding(...eventIds: string[]): SignInActivityLog {
  const ids = new Set(eventIds.map(activityAuditId));
  return {
    recordOnce: async (id) => {
      if (ids.has(id)) return false;
      ids.add(id);
      return true;
    },
  };
}

/** A batch of sign-ins (by event id) and of log events that are not JSON. */
const batch = (eventIds: readonly string[], malformed: number) =>
  subscriptionEvent(
    subscriptionBatch([
      ...eventIds.map((eventId) => ({ message: JSON.stringify(cognitoActivityRecord({ eventId })) })),
      ...Array.from({ length: malformed }, () => ({ message: 'not json' })),
    ]),
  );

afterEach(() => {
  setSignInActivityLog(undefined);
  vi.restoreAllMocks();
});

describe('the sign-in activity metrics', () => {
  it('reports the recorded, duplicate and malformed records of a batch, each metric once', async () => {
    // Prepare: one new sign-in, one already recorded, one record that cannot be read
    const [fresh, seen] = [randomUUID(), randomUUID()];
    setSignInActivityLog(trailHolding(seen));
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    const summary = await handler(batch([fresh, seen], 1));

    // Assess
    expect(summary).toEqual({ recorded: 1, duplicates: 1, ignored: 0, malformed: 1 });
    expect(addMetric).toHaveBeenCalledTimes(3);
    expect(addMetric.mock.calls).toEqual(
      expect.arrayContaining([
        ['SignInActivityRecorded', MetricUnit.Count, 1],
        ['SignInActivityDuplicates', MetricUnit.Count, 1],
        ['SignInActivityMalformed', MetricUnit.Count, 1],
      ]),
    );
  });

  it('reports each count under its own metric', async () => {
    // Prepare: three new sign-ins, two already recorded, one unreadable record
    const fresh = [randomUUID(), randomUUID(), randomUUID()];
    const seen = [randomUUID(), randomUUID()];
    setSignInActivityLog(trailHolding(...seen));
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    await handler(batch([...fresh, ...seen], 1));

    // Assess
    expect(Object.fromEntries(addMetric.mock.calls.map(([name, , value]) => [name, value]))).toEqual({
      SignInActivityRecorded: 3,
      SignInActivityDuplicates: 2,
      SignInActivityMalformed: 1,
    });
  });
});

describe('the sign-in activity subscription when the database refuses', () => {
  it('fails the invocation for a retry, and the runtime writes none of the row the database quoted', async () => {
    // Prepare: the audit trail refuses the row, and the Data API quotes it in its message
    const marker = 'marker@example.com';
    setSignInActivityLog({ recordOnce: () => Promise.reject(dataApiError(marker)) });

    // Act
    const failure = await handler(batch([randomUUID()], 0)).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: still a failure (CloudWatch Logs retries the batch), without the address
    expect(failure).toMatchObject({ name: 'DatabaseErrorException' });
    expect(whatTheRuntimeWrites(failure)).not.toContain(marker);
  });
});
