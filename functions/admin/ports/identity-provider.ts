import type { Role } from '#shared/domain/roles';

/** A user in the identity provider that no `users` row claims yet (see `findUnclaimed`). */
export interface UnclaimedIdentity {
  readonly id: string;
  /** Every group the user is in, Parley's roles or not. */
  readonly groups: readonly string[];
}

/**
 * The user directory that signs people in (Cognito). Every method takes the user's Cognito user
 * name, which for Parley's pool is the e-mail address. Each change has an inverse, so a change
 * whose database transaction does not commit can be undone.
 */
export interface IdentityProvider {
  /**
   * Creates the user and sends the invitation; resolves to the new user's id (`sub`). Fails with
   * EmailTakenError for a user name in use, and with InvitationNotSentError when no invitation
   * could be sent (no user is then kept).
   */
  createUser(email: string): Promise<{ readonly id: string }>;
  /**
   * The user Cognito holds under this address when nobody has claimed it: enabled, never signed
   * in (FORCE_CHANGE_PASSWORD), with the groups it is in. That is what an invitation leaves when
   * Cognito created the user but the invitation did not finish (a timeout hid the answer, or the
   * database did not commit and the undo failed too), or a user made by hand in Cognito.
   * undefined for an unknown address, and for a user who has signed in or was disabled.
   */
  findUnclaimed(email: string): Promise<UnclaimedIdentity | undefined>;
  /**
   * Sends the invitation again, with a new temporary password, to a user who has not signed in
   * (the first one expired, or was lost). InvitationAcceptedError for someone who has.
   */
  resendInvitation(username: string): Promise<void>;
  /** Removes a user created by `createUser` (the undo of an invitation). */
  deleteUser(username: string): Promise<void>;
  addToGroup(username: string, group: Role): Promise<void>;
  removeFromGroup(username: string, group: Role): Promise<void>;
  /**
   * Makes sure Cognito lets the user sign in. Parley never disables users in Cognito (see
   * update-user): this only undoes a disable made there by hand.
   */
  enableUser(username: string): Promise<void>;
  /** Revokes every refresh token of the user (cannot be undone). */
  signOut(username: string): Promise<void>;
  /** Turns the user's TOTP MFA off (`enabled: false`) or back on. */
  setTotpMfa(username: string, enabled: boolean): Promise<void>;
}
