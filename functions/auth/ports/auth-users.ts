import type { Role, UserStatus } from '#shared/domain/roles';

export interface AuthUser {
  readonly id: string;
  readonly email: string;
  readonly role: Role | null;
  readonly status: UserStatus;
}

export interface CognitoProfile {
  /** Cognito `sub`. */
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  /** Whether TOTP is on, when known (left as stored otherwise). */
  readonly mfaEnabled?: boolean | undefined;
}

/**
 * The `users` rows as the Cognito triggers see them. They never store a role: a Cognito group's
 * is adopted, audited, at token generation (GroupRoles), and an admin's by the admin API.
 */
export interface AuthUsers {
  /** By id (`sub`) when given, else by e-mail (case-insensitive). */
  find(by: {
    readonly id?: string | undefined;
    readonly email?: string | undefined;
  }): Promise<AuthUser | null>;
  /**
   * Creates the row (without a role), or refreshes its e-mail; `created` tells which. Throws
   * EmailOfAnotherUserError when the e-mail is another row's (another `sub`).
   */
  upsert(profile: CognitoProfile, now: Date): Promise<{ readonly user: AuthUser; readonly created: boolean }>;
  /** Notes a completed sign-in (what admins see as the last one). */
  recordSignIn(id: string, at: Date): Promise<void>;
}
