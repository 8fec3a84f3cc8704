import { fakeAuditLog } from '#test/support/fakes/audit-log';
import { describe, expect, it } from 'vitest';
import { fakeAdminTransaction, fakeIdentityProvider, fakeUserAdmin } from '#test/support/fakes/admin';
import { inTransactionWithIdentity } from './identity-transaction';

function setUp() {
  const repo = fakeUserAdmin();
  const audit = fakeAuditLog();
  const tx = fakeAdminTransaction(repo, audit);
  const identity = fakeIdentityProvider();
  const drift: string[] = [];
  return {
    tx,
    identity,
    drift,
    deps: {
      transaction: tx.transaction,
      identity: identity.provider,
      reportDrift: ({ step }: { step: string }) => drift.push(step),
    },
  };
}

describe('inTransactionWithIdentity', () => {
  it('returns what the work returns and undoes nothing when the transaction commits', async () => {
    const { deps } = setUp();
    const undone: string[] = [];
    const result = await inTransactionWithIdentity(deps, (_repos, steps) =>
      steps.run(
        'one',
        async () => 1,
        async () => void undone.push('one'),
      ),
    );
    expect(result).toBe(1);
    expect(undone).toEqual([]);
  });

  it('undoes the steps that succeeded, newest first, when a later step fails', async () => {
    const { deps } = setUp();
    const undone: string[] = [];
    const work = inTransactionWithIdentity(deps, async (_repos, steps) => {
      await steps.run(
        'one',
        async () => 'a',
        async (r) => void undone.push(`one:${r}`),
      );
      await steps.run(
        'two',
        async () => 'b',
        async (r) => void undone.push(`two:${r}`),
      );
      await steps.run('three', async () => {
        throw new Error('three failed');
      });
    });
    await expect(work).rejects.toThrow('three failed');
    expect(undone).toEqual(['two:b', 'one:a']);
  });

  it('reports every undo that fails, runs the others, and keeps the original error', async () => {
    const { deps, drift, tx } = setUp();
    tx.state.commitFails = true;
    const undone: string[] = [];
    const work = inTransactionWithIdentity(deps, async (_repos, steps) => {
      await steps.run(
        'one',
        async () => 1,
        async () => void undone.push('one'),
      );
      await steps.run(
        'two',
        async () => 2,
        async () => {
          throw new Error('undo two failed');
        },
      );
    });
    await expect(work).rejects.toThrow('could not commit');
    expect(drift).toEqual(['two']);
    expect(undone).toEqual(['one']);
  });

  it('undoes the steps before the transaction ends when the work fails, while it still holds its locks', async () => {
    // Prepare: a transaction that says when it ends (its rollback releases the row locks)
    const { deps } = setUp();
    const order: string[] = [];
    const transaction: typeof deps.transaction = async (work) => {
      try {
        return await deps.transaction(work);
      } finally {
        order.push('transaction ended');
      }
    };

    // Act
    const work = inTransactionWithIdentity({ ...deps, transaction }, async (_repos, steps) => {
      await steps.run(
        'one',
        async () => 1,
        async () => void order.push('undo one'),
      );
      throw new Error('the database refused');
    });

    // Assess: another change of the same user, waiting for the lock, finds the provider put back
    await expect(work).rejects.toThrow('the database refused');
    expect(order).toEqual(['undo one', 'transaction ended']);
  });

  it('undoes each step once, after the transaction, when only the commit fails', async () => {
    const { deps, tx } = setUp();
    tx.state.commitFails = true;
    const undone: string[] = [];
    const work = inTransactionWithIdentity(deps, (_repos, steps) =>
      steps.run(
        'one',
        async () => 1,
        async () => void undone.push('one'),
      ),
    );
    await expect(work).rejects.toThrow('could not commit');
    expect(undone).toEqual(['one']);
  });
});
