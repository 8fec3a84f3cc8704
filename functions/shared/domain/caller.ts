import type { Role } from './roles';

/**
 * Who a use case acts for: a person or a machine client's service account. Use cases take this
 * and nothing of HTTP; the API builds it from a verified access token.
 */
export interface Caller {
  /** Cognito `sub` for people; the app client id for machine clients. */
  readonly userId: string;
  readonly kind: 'user' | 'service';
  /** Cognito user name (people only). */
  readonly username?: string;
  /** The caller's one role, or null when in no group. */
  readonly role: Role | null;
}
