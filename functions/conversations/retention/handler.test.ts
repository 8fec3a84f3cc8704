import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AbandonedBatch, AbandonedReplies } from '#chat/adapters/postgres-abandoned-replies';
import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { dataApiError, whatTheRuntimeWrites } from '#test/support/lambda-runtime';
import { ABANDONED_BATCH } from './charge-abandoned-replies';
import type { ConversationPurge } from './conversation-purge';
import { PURGE_BATCH } from './purge-conversations';

// The run's wiring with fakes in place of the database: a sweep of abandoned replies and a purge,
// each with the batches a test gives it (none: nothing to do).
const audit = fakeAuditLog();
const batches: (() => Promise<number>)[] = [];
const sweeps: (() => Promise<AbandonedBatch>)[] = [];
const nothingLeft: AbandonedBatch = { found: 0, charged: 0, last: undefined };
// A failure to give the run its database, when a test sets one.
const database = vi.hoisted(() => ({ failure: undefined as unknown }));
vi.mock('#shared/db/sql-database', () => ({
  getSql: () => {
    if (database.failure !== undefined) throw database.failure;
    return {};
  },
}));
vi.mock('#chat/adapters/postgres-abandoned-replies', () => ({
  postgresAbandonedReplies: (): AbandonedReplies => ({
    chargeBatch: () => sweeps.shift()?.() ?? Promise.resolve(nothingLeft),
  }),
}));
vi.mock('#shared/audit/postgres-audit-log', () => ({ postgresAuditLog: () => audit.log }));
vi.mock('#auth/adapters/postgres-sign-in-attempts', () => ({
  postgresStaleSignInAttempts: () => ({ erase: () => Promise.resolve(0) }),
}));
vi.mock('./conversation-purge', () => ({
  postgresConversationPurge: (): ConversationPurge => ({
    eraseDeleted: () => batches.shift()?.() ?? Promise.resolve(0),
    eraseInactive: () => Promise.resolve(0),
  }),
}));
vi.hoisted(() => {
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    COGNITO_USER_POOL_ID: 'local_Retention',
    COGNITO_CLIENT_IDS: 'client',
    WEB_ORIGIN: 'https://chat.example.test',
    CONVERSATION_PURGE_DAYS: '30',
  });
});
const { handler } = await import('./handler');
const { logger, metrics } = await import('#shared/powertools');

afterEach(() => {
  vi.restoreAllMocks();
  database.failure = undefined;
  audit.events.length = 0;
  batches.length = 0;
  sweeps.length = 0;
});

/** A full batch of the sweep: every reply it found marked failed and charged. */
const fullSweep = (n: number) => () =>
  Promise.resolve<AbandonedBatch>({
    found: ABANDONED_BATCH,
    charged: ABANDONED_BATCH,
    last: { savedAt: '2026-01-01T00:00:00.000000Z', id: `00000000-0000-4000-8000-00000000000${n}` },
  });

describe('the retention handler when a batch fails', () => {
  it('logs and counts the conversations the committed batches erased, then fails the run', async () => {
    // Prepare: two full batches, then the database connection is lost
    batches.push(
      () => Promise.resolve(PURGE_BATCH),
      () => Promise.resolve(PURGE_BATCH),
      () => Promise.reject(new Error('connection terminated')),
    );
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const added = vi.spyOn(metrics, 'addMetric');

    // Act
    const run = handler({} as never);

    // Assess: the run fails; the log line, the metrics and the audit event hold the 400 erased
    await expect(run).rejects.toThrow('The retention run failed part-way');
    expect(errors).toHaveBeenCalledWith(
      'retention run failed',
      expect.objectContaining({
        chargedAbandonedReplies: 0,
        erasedDeleted: 2 * PURGE_BATCH,
        erasedInactive: 0,
        erasedSignInAttempts: 0,
        complete: false,
        auditMissing: false,
      }),
    );
    expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      ['AbandonedRepliesCharged', 0],
      ['ConversationsErased', 2 * PURGE_BATCH],
      ['RetentionIncomplete', 1],
    ]);
    expect(audit.events).toMatchObject([
      { action: 'retention.purge', details: { erasedDeleted: 400, failed: true } },
    ]);
  });

  it('reports the abandoned replies charged before it in the failed run’s log line and metrics', async () => {
    // Prepare: the sweep charges a batch and a half, then the purge's first batch fails
    sweeps.push(fullSweep(1), () => Promise.resolve({ ...nothingLeft, found: 50, charged: 50 }));
    batches.push(() => Promise.reject(new Error('connection terminated')));
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const added = vi.spyOn(metrics, 'addMetric');

    // Act
    const run = handler({} as never);

    // Assess
    await expect(run).rejects.toThrow('(chargedAbandonedReplies 150, erasedDeleted 0, erasedInactive 0)');
    expect(errors).toHaveBeenCalledWith(
      'retention run failed',
      expect.objectContaining({ chargedAbandonedReplies: 150, erasedDeleted: 0, complete: false }),
    );
    expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      ['AbandonedRepliesCharged', 150],
      ['ConversationsErased', 0],
      ['RetentionIncomplete', 1],
    ]);
  });
});

describe('the retention handler when the sweep of abandoned replies fails', () => {
  it('fails the run before the purge, so that no conversation is erased with a reply left uncharged', async () => {
    // Prepare: one batch charged, then the database is gone; a purge that would erase a batch
    sweeps.push(fullSweep(1), () => Promise.reject(new Error('connection terminated')));
    const purge = vi.fn(() => Promise.resolve(1));
    batches.push(purge);
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const added = vi.spyOn(metrics, 'addMetric');

    // Act
    const run = handler({} as never);

    // Assess: failed with the count charged, incomplete for the alarm, nothing erased or audited
    await expect(run).rejects.toThrow('The retention run failed part-way (chargedAbandonedReplies 100)');
    expect(purge).not.toHaveBeenCalled();
    expect(audit.events).toEqual([]);
    expect(errors).toHaveBeenCalledWith(
      'retention run failed',
      expect.objectContaining({
        chargedAbandonedReplies: ABANDONED_BATCH,
        erasedDeleted: 0,
        complete: false,
      }),
    );
    expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      ['AbandonedRepliesCharged', ABANDONED_BATCH],
      ['ConversationsErased', 0],
      ['RetentionIncomplete', 1],
    ]);
  });

  it('logs the charged replies in a complete run’s summary', async () => {
    sweeps.push(() => Promise.resolve({ ...nothingLeft, found: 2, charged: 1 }));
    const infos = vi.spyOn(logger, 'info').mockImplementation(() => {});

    const summary = await handler({} as never);

    expect(summary).toEqual({
      chargedAbandonedReplies: 1,
      erasedDeleted: 0,
      erasedInactive: 0,
      erasedSignInAttempts: 0,
      complete: true,
    });
    expect(infos).toHaveBeenCalledWith(
      'retention run',
      expect.objectContaining({ chargedAbandonedReplies: 1 }),
    );
  });
});

describe('the retention handler when it fails before any part of the run', () => {
  it('fails the run, and the runtime writes none of what the error quoted', async () => {
    // Prepare: the database cannot be reached at all; the error quotes a connection string and a
    // Detail line (no RetentionRunError wraps it: no part of the run has started)
    const marker = 'marker@example.com';
    const url = ['postgres://parley', `${marker}@10.0.0.5/parley`].join(':');
    database.failure = Object.assign(dataApiError(marker), { input: url });
    vi.spyOn(logger, 'error').mockImplementation(() => {});

    // Act
    const failure = await handler({} as never).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: still a failure, for the alarm and the next run, named as before, without the marker
    expect(failure).toMatchObject({ name: 'DatabaseErrorException' });
    expect(whatTheRuntimeWrites(failure)).not.toContain(marker);
  });
});
