import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeAuditLog } from '#test/support/fakes/audit-log';
import type { ConversationPurge } from './conversation-purge';
import { PURGE_BATCH } from './purge-conversations';

// The run's wiring with fakes in place of the database: a purge whose third batch fails.
const audit = fakeAuditLog();
const batches: (() => Promise<number>)[] = [];
vi.mock('#shared/db/sql-database', () => ({ getSql: () => ({}) }));
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

afterEach(() => vi.restoreAllMocks());

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
        erasedDeleted: 2 * PURGE_BATCH,
        erasedInactive: 0,
        erasedSignInAttempts: 0,
        complete: false,
        auditMissing: false,
      }),
    );
    expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      ['ConversationsErased', 2 * PURGE_BATCH],
      ['RetentionIncomplete', 1],
    ]);
    expect(audit.events).toMatchObject([
      { action: 'retention.purge', details: { erasedDeleted: 400, failed: true } },
    ]);
  });
});
