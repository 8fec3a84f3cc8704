import { attemptKey } from '../domain/attempt-key';
import { displayNameFor } from '#shared/domain/display-name';
import { SignInBlockedError } from '../domain/sign-in';
import type { AuthEvents } from '../ports/auth-events';
import type { AuthUser, AuthUsers, CognitoProfile } from '../ports/auth-users';
import type { MfaSettings } from '../ports/mfa-settings';
import type { SignInAttempts } from '../ports/sign-in-attempts';

export interface CognitoIdentity {
  readonly sub: string;
  readonly email: string;
  readonly name?: string | undefined;
  /** Cognito's user name, to ask the identity provider about the user's MFA. */
  readonly username?: string | undefined;
}

export interface CompleteSignInDeps {
  readonly attempts: SignInAttempts;
  readonly users: AuthUsers;
  readonly events: AuthEvents;
  /** Where `users.mfa_enabled` comes from (Cognito): what `/me` shows and the API enforces. */
  readonly mfa?: MfaSettings;
  readonly now?: () => Date;
}

/**
 * Post-authentication: provisions/refreshes the row (with whether TOTP is on), resets the lockout
 * counter, notes the time of the sign-in, audits. A user
 * disabled in `users` is refused (SignInBlockedError) with the counter left as it is: the right
 * password of a disabled account is no successful sign-in (pre-authentication already counted and
 * audited the attempt).
 */
export function makeCompleteSignIn(deps: CompleteSignInDeps) {
  const now = deps.now ?? (() => new Date());
  return async function completeSignIn(identity: CognitoIdentity): Promise<AuthUser> {
    const at = now();
    const mfaEnabled = identity.username ? await deps.mfa?.totpEnabled(identity.username) : undefined;
    const { user } = await deps.users.upsert({ ...profileOf(identity), mfaEnabled }, at);
    if (user.status === 'disabled') throw new SignInBlockedError('disabled');
    await deps.attempts.reset(attemptKey(identity.email), at);
    await deps.users.recordSignIn(user.id, at);
    await deps.events.audit({
      actorId: user.id,
      action: 'auth.sign-in',
      targetType: 'user',
      targetId: user.id,
    });
    return user;
  };
}

export interface ProvisionUserDeps {
  readonly users: AuthUsers;
  readonly events: AuthEvents;
  readonly now?: () => Date;
}

/** Post-confirmation: the `users` row exists afterwards (idempotent; audited once, on creation). */
export function makeProvisionUser(deps: ProvisionUserDeps) {
  const now = deps.now ?? (() => new Date());
  return async function provisionUser(identity: CognitoIdentity): Promise<AuthUser> {
    const { user, created } = await deps.users.upsert(profileOf(identity), now());
    if (created) {
      await deps.events.audit({
        actorId: user.id,
        action: 'user.provisioned',
        targetType: 'user',
        targetId: user.id,
      });
    }
    return user;
  };
}

function profileOf(identity: CognitoIdentity): CognitoProfile {
  return {
    id: identity.sub,
    email: identity.email.trim(),
    displayName: displayNameFor(identity.email, identity.name),
  };
}
