/**
 * Cognito and the `users` table disagree in a way that no retry of the person's own mends: an
 * operator has to act (the runbook's `IdentityDrift` alarm). The triggers log it as an error naming
 * the situation and the ids involved (never an e-mail), count it, and show Cognito only the generic
 * "unavailable" message.
 */
export abstract class IdentityDriftError extends Error {
  /** Ids only (Cognito `sub`s, `users.id`): what an operator needs to find the rows, no personal data. */
  abstract readonly ids: Readonly<Record<string, string | null>>;
}

/**
 * A password reset whose global sign-out failed: the access tokens issued before the reset are
 * refused, but the refresh tokens Cognito keeps through a reset still mint new ones until someone
 * signs the user out everywhere.
 */
export class SessionsNotEndedError extends IdentityDriftError {
  readonly ids: { readonly userId: string };
  constructor(userId: string, options: { readonly cause: unknown }) {
    super('password reset: the refresh tokens were not revoked (global sign-out failed)', options);
    this.name = 'SessionsNotEndedError';
    this.ids = { userId };
  }
}

/**
 * A Cognito user whose e-mail belongs to another `users` row: typically the account was deleted
 * and created again in Cognito (a new `sub`) outside the admin API. The row is never handed to the
 * new identity by itself (it would give the old account's conversations to whoever holds the new
 * one): an administrator decides.
 */
export class EmailOfAnotherUserError extends IdentityDriftError {
  /** `existingUserId` is null when that row was gone by the time it was looked up. */
  readonly ids: { readonly userId: string; readonly existingUserId: string | null };
  constructor(userId: string, existingUserId: string | null) {
    super("the Cognito user's e-mail belongs to another users row (re-created in Cognito with a new sub?)");
    this.name = 'EmailOfAnotherUserError';
    this.ids = { userId, existingUserId };
  }
}
