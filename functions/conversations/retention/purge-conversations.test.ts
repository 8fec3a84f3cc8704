import { describe, expect, it } from 'vitest';
import { fakeAuditLog } from '#test/support/fakes/audit-log';
import type { ConversationPurge } from './conversation-purge';
import { PURGE_BATCH, PURGE_MAX_BATCHES, purgeConversations, RetentionRunError } from './purge-conversations';

const NOW = new Date('2026-03-31T03:30:00.000Z');
const DAY = 86_400_000;

/** A purge over backlogs of `deleted` and `inactive` conversations, recording each call. */
function fakePurge(backlog: { deleted: number; inactive: number }) {
  const calls: [string, string, number][] = [];
  const left = { ...backlog };
  const take = (kind: 'deleted' | 'inactive', before: Date, limit: number) => {
    calls.push([kind, before.toISOString(), limit]);
    const count = Math.min(limit, left[kind]);
    left[kind] -= count;
    return Promise.resolve(count);
  };
  const purge: ConversationPurge = {
    eraseDeleted: (before, limit) => take('deleted', before, limit),
    eraseInactive: (before, limit) => take('inactive', before, limit),
  };
  return { purge, calls, left };
}

describe('purgeConversations', () => {
  it('erases deleted conversations older than the grace days in batches, and audits the counts', async () => {
    // Prepare
    const { purge, calls } = fakePurge({ deleted: PURGE_BATCH + 5, inactive: 50 });
    const audit = fakeAuditLog();

    // Act
    const summary = await purgeConversations({
      purge,
      audit: audit.log,
      policy: { deletedDays: 30 },
      now: NOW,
      timeLeft: () => 60_000,
    });

    // Assess: only deleted ones (no inactivity rule set), cut-off 30 days back, counts only
    expect(summary).toEqual({ erasedDeleted: PURGE_BATCH + 5, erasedInactive: 0, complete: true });
    const cutOff = new Date(NOW.getTime() - 30 * DAY).toISOString();
    expect(calls).toEqual([
      ['deleted', cutOff, PURGE_BATCH],
      ['deleted', cutOff, PURGE_BATCH],
    ]);
    expect(audit.events).toEqual([
      {
        actorId: null,
        action: 'retention.purge',
        targetType: 'conversation',
        details: {
          erasedDeleted: PURGE_BATCH + 5,
          erasedInactive: 0,
          complete: true,
          deletedDays: 30,
          inactiveDays: null,
        },
      },
    ]);
  });

  it('also erases conversations without a message for the inactivity days, when the organisation set them', async () => {
    const { purge, calls } = fakePurge({ deleted: 3, inactive: 7 });
    const summary = await purgeConversations({
      purge,
      audit: fakeAuditLog().log,
      policy: { deletedDays: 0, inactiveDays: 365 },
      now: NOW,
      timeLeft: () => 60_000,
    });
    expect(summary).toEqual({ erasedDeleted: 3, erasedInactive: 7, complete: true });
    expect(calls).toEqual([
      ['deleted', NOW.toISOString(), PURGE_BATCH],
      ['inactive', new Date(NOW.getTime() - 365 * DAY).toISOString(), PURGE_BATCH],
    ]);
  });

  it('audits nothing when nothing was erased', async () => {
    const audit = fakeAuditLog();
    const summary = await purgeConversations({
      purge: fakePurge({ deleted: 0, inactive: 0 }).purge,
      audit: audit.log,
      policy: { deletedDays: 30, inactiveDays: 90 },
      now: NOW,
      timeLeft: () => 60_000,
    });
    expect(summary).toEqual({ erasedDeleted: 0, erasedInactive: 0, complete: true });
    expect(audit.events).toEqual([]);
  });

  it('stops at its batch limit, and when time runs short, and says it is not complete', async () => {
    // Batch limit: a backlog larger than one run takes
    const big = fakePurge({ deleted: PURGE_BATCH * PURGE_MAX_BATCHES + 1, inactive: 0 });
    const bounded = await purgeConversations({
      purge: big.purge,
      audit: fakeAuditLog().log,
      policy: { deletedDays: 30 },
      now: NOW,
      timeLeft: () => 60_000,
    });
    expect(bounded).toMatchObject({ erasedDeleted: PURGE_BATCH * PURGE_MAX_BATCHES, complete: false });
    expect(big.left.deleted).toBe(1);

    // Time: each batch takes 30 s of the 80 s left; after two, 20 s is too little for a third
    let left = 80_000;
    const slow = fakePurge({ deleted: PURGE_BATCH * 10, inactive: 0 });
    const timed = await purgeConversations({
      purge: {
        eraseDeleted: async (before, limit) => {
          left -= 30_000;
          return slow.purge.eraseDeleted(before, limit);
        },
        eraseInactive: slow.purge.eraseInactive,
      },
      audit: fakeAuditLog().log,
      policy: { deletedDays: 30 },
      now: NOW,
      timeLeft: () => left,
    });
    expect(timed).toMatchObject({ erasedDeleted: PURGE_BATCH * 2, complete: false });
  });

  it('audits the batches committed before one fails, marked failed, and then fails the run with their counts', async () => {
    // Prepare: two full batches erased (each its own committed statement), then the third fails
    const results = [PURGE_BATCH, PURGE_BATCH];
    const lost = new Error('connection terminated');
    const audit = fakeAuditLog();
    const purge: ConversationPurge = {
      eraseDeleted: () => {
        const next = results.shift();
        return next === undefined ? Promise.reject(lost) : Promise.resolve(next);
      },
      eraseInactive: () => Promise.resolve(0),
    };

    // Act
    const run = purgeConversations({
      purge,
      audit: audit.log,
      policy: { deletedDays: 30, inactiveDays: 365 },
      now: NOW,
      timeLeft: () => 60_000,
    });

    // Assess: the run rejects with what it erased, and the audit trail holds the 400 erased
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetentionRunError);
    expect((error as Error).message).toContain(`erasedDeleted ${2 * PURGE_BATCH}`);
    expect(error).toMatchObject({
      erased: { erasedDeleted: 2 * PURGE_BATCH, erasedInactive: 0 },
      auditMissing: false,
      cause: lost,
    });
    expect(audit.events).toEqual([
      {
        actorId: null,
        action: 'retention.purge',
        targetType: 'conversation',
        details: {
          erasedDeleted: 2 * PURGE_BATCH,
          erasedInactive: 0,
          complete: false,
          failed: true,
          deletedDays: 30,
          inactiveDays: 365,
        },
      },
    ]);
  });

  it('fails the run with its counts, saying the audit is missing, when the audit event cannot be written', async () => {
    // Prepare: every batch succeeds; the audit log refuses the event
    const audit = fakeAuditLog();
    audit.state.failing = true;

    // Act
    const error = await purgeConversations({
      purge: fakePurge({ deleted: 3, inactive: 0 }).purge,
      audit: audit.log,
      policy: { deletedDays: 30 },
      now: NOW,
      timeLeft: () => 60_000,
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetentionRunError);
    expect(error).toMatchObject({
      erased: { erasedDeleted: 3, erasedInactive: 0 },
      auditMissing: true,
      cause: { message: 'audit log unavailable' },
    });
  });

  it('fails without an audit event when the first batch fails, as nothing was erased', async () => {
    const audit = fakeAuditLog();
    const error = await purgeConversations({
      purge: {
        eraseDeleted: () => Promise.reject(new Error('down')),
        eraseInactive: () => Promise.resolve(0),
      },
      audit: audit.log,
      policy: { deletedDays: 30 },
      now: NOW,
      timeLeft: () => 60_000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ erased: { erasedDeleted: 0, erasedInactive: 0 }, auditMissing: false });
    expect(audit.events).toEqual([]);
  });
});
