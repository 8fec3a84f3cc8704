import type { RevocationList } from '#shared/revocation/revocation-list';
import { SessionsNotEndedError } from '../domain/identity-drift';
import type { AuthEvents } from '../ports/auth-events';
import type { AuthUser, AuthUsers } from '../ports/auth-users';
import type { Sessions } from '../ports/sessions';
import { makeProvisionUser, type CognitoIdentity } from './complete-sign-in';

export interface CompletePasswordResetDeps {
  readonly users: AuthUsers;
  readonly events: AuthEvents;
  readonly sessions: Sessions;
  /** The API's revocation of access tokens, as an admin's sign-out uses it. */
  readonly revocations: Pick<RevocationList, 'revokeTokens'>;
  readonly now?: () => Date;
}

/**
 * Post-confirmation after "Forgot your password?" (ConfirmForgotPassword): whoever held a session
 * before the reset, with the old password or a stolen token, loses it. Cognito keeps refresh
 * tokens through a reset, so they are revoked (global sign-out), and the access tokens issued
 * before now are refused by the API (users.tokens_valid_after). Audited as `auth.password-reset`.
 *
 * Cognito first, then the revocation's instant (as an admin's sign-out): a stolen refresh token
 * used while the global sign-out runs (up to 2 s) mints an access token issued before that
 * instant, which the API then refuses. When the sign-out fails the access tokens are still
 * refused, and the reset fails unaudited with SessionsNotEndedError, which the trigger reports as
 * identity drift: the refresh tokens live on until someone signs the user out everywhere.
 */
export function makeCompletePasswordReset(deps: CompletePasswordResetDeps) {
  const provision = makeProvisionUser(deps);
  return async function completePasswordReset(
    identity: CognitoIdentity & { readonly username: string },
  ): Promise<AuthUser> {
    const user = await provision(identity);
    const signedOut = await deps.sessions.signOutEverywhere(identity.username).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await deps.revocations.revokeTokens(user.id);
    if (!signedOut.ok) throw new SessionsNotEndedError(user.id, { cause: signedOut.error });
    await deps.events.audit({
      actorId: user.id,
      action: 'auth.password-reset',
      targetType: 'user',
      targetId: user.id,
    });
    return user;
  };
}
