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
 * the transaction rolls back. When the transaction fails after identity calls succeeded (the
 * commit itself, or a later step), their undos run. An undo that fails is reported, never
 * swallowed silently; the original error is what the caller sees. A step without an undo (a
 * global sign-out) cannot be taken back.
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
  try {
    return await deps.transaction((repositories) => work(repositories, steps));
  } catch (error) {
    for (const { step, undo } of undos.reverse()) {
      try {
        await undo();
      } catch (undoError) {
        deps.reportDrift?.({ step, error: undoError });
      }
    }
    throw error;
  }
}
