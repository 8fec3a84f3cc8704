import type { IdentityProvider } from '../ports/identity-provider';
import type { AdminTransaction, AuditedUsers } from '../ports/user-admin';

/** Told when an identity change could not be undone: Cognito and the database now disagree. */
export type DriftReporter = (problem: { readonly step: string; readonly error: unknown }) => void;

export interface IdentityChangeDeps {
  readonly transaction: AdminTransaction;
  readonly identity: IdentityProvider;
  readonly reportDrift?: DriftReporter;
  readonly now?: () => Date;
}

/** Identity-provider changes made inside a database transaction, each with its undo. */
export interface IdentitySteps {
  /** Runs `change` now; if the transaction then fails to commit, `undo` runs (newest first). */
  run<T>(step: string, change: () => Promise<T>, undo?: (result: T) => Promise<void>): Promise<T>;
}

/**
 * Keeps the identity provider and the database from drifting apart. The work changes the
 * database (and writes its audit event) in one transaction and calls the identity provider
 * inside it, once nothing is left to refuse the change, before the commit (a write that must
 * come after the calls, such as a revocation's instant, follows them): a failed call throws, so
 * the transaction rolls back. When the transaction fails after identity calls succeeded (a
 * later identity call, a statement, or the commit itself), their undos run. A failure that is not
 * the database's (a later identity call) is undone before the rollback, while the transaction
 * still holds its row locks: another admin's change of the same user, waiting for them, then reads
 * the database's values with the identity provider already put back, instead of building on this
 * change's half-made one (its undo, landing after, would leave the two apart unreported). A
 * failed statement or commit has released the locks already (PostgreSQL lets go of them when the
 * transaction aborts), so there the undos can still meet such a change. An undo that fails is
 * reported, never swallowed silently; the original error is what the caller sees. A step without
 * an undo (a global sign-out) cannot be taken back.
 */
export async function inTransactionWithIdentity<T>(
  deps: IdentityChangeDeps,
  work: (repositories: AuditedUsers, steps: IdentitySteps) => Promise<T>,
): Promise<T> {
  const undos: { step: string; undo: () => Promise<void> }[] = [];
  const steps: IdentitySteps = {
    async run(step, change, undo) {
      const result = await change();
      if (undo) undos.push({ step, undo: () => undo(result) });
      return result;
    },
  };
  /** Runs the undos not yet run, newest first. */
  const undoAll = async () => {
    for (const { step, undo } of undos.splice(0).reverse()) {
      try {
        await undo();
      } catch (undoError) {
        deps.reportDrift?.({ step, error: undoError });
      }
    }
  };
  try {
    return await deps.transaction(async (repositories) => {
      try {
        return await work(repositories, steps);
      } catch (error) {
        await undoAll();
        throw error;
      }
    });
  } catch (error) {
    await undoAll();
    throw error;
  }
}
