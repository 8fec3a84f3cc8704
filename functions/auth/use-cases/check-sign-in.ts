import { attemptKey } from '../domain/attempt-key';
import { SignInBlockedError } from '../domain/sign-in';
import type { AuthEvents } from '../ports/auth-events';
import type { AuthUsers } from '../ports/auth-users';
import type { SignInAttempts } from '../ports/sign-in-attempts';

export interface CheckSignInDeps {
  readonly attempts: SignInAttempts;
  readonly users: AuthUsers;
  readonly events: AuthEvents;
  readonly now?: () => Date;
}

export interface SignInAttempt {
  /** The name as typed (an e-mail), or Cognito's user name when the e-mail is unknown. */
  readonly username: string;
  readonly sub?: string | undefined;
  readonly email?: string | undefined;
}

/**
 * Pre-authentication: refuses a locked account (SignInBlockedError), otherwise counts the attempt —
 * Cognito has no failure trigger, so each attempt counts until a success resets it — and locks the
 * account when the attempt reaches the threshold (that attempt still goes on).
 *
 * A disabled account is not refused here: it is counted and audited like any attempt and goes on
 * to the password check, so a wrong password gets Cognito's own "Incorrect username or password."
 * exactly as for an active or unknown account (refusing here would answer differently and tell
 * the world the account exists). The right password gets no further: post-authentication and
 * pre-token-generation refuse a disabled user.
 */
export function makeCheckSignIn(deps: CheckSignInDeps) {
  const now = deps.now ?? (() => new Date());
  return async function checkSignIn(attempt: SignInAttempt): Promise<void> {
    const at = now();
    const key = attemptKey(attempt.email ?? attempt.username);
    const user =
      attempt.sub || attempt.email ? await deps.users.find({ id: attempt.sub, email: attempt.email }) : null;
    // A known person is named by id (targetId), which the audit listing turns into their address
    // as it is now and into "erased user" after an erasure; the trail is append-only, so an
    // address written into it would outlive their erasure. Only a name no account has is kept as
    // typed, to show what was tried.
    const targetId = user?.id ?? attempt.sub;
    const typed = targetId === undefined ? { username: key } : {};
    const blocked = async (reason: 'locked' | 'disabled'): Promise<never> => {
      await deps.events.audit({
        actorId: user?.id ?? null,
        action: 'auth.sign-in-blocked',
        targetType: 'user',
        targetId,
        details: { reason, ...typed },
      });
      throw new SignInBlockedError(reason);
    };

    const decision = await deps.attempts.register(key, at);
    if (decision.kind === 'blocked') return blocked('locked');
    if (user?.status === 'disabled') {
      await deps.events.audit({
        actorId: user.id,
        action: 'auth.sign-in-blocked',
        targetType: 'user',
        targetId: user.id,
        details: { reason: 'disabled' },
      });
    }
    if (decision.lockedNow) {
      deps.events.lockout();
      await deps.events.audit({
        actorId: user?.id ?? null,
        action: 'auth.account-locked',
        targetType: 'user',
        targetId,
        details: {
          ...typed,
          attempts: decision.next.failedCount,
          lockedUntil: decision.next.lockedUntil?.toISOString(),
        },
      });
    }
  };
}
