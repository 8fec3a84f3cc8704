import type { Role } from '../domain/roles';

/**
 * Revocation of access tokens before they expire. Cognito access tokens stay valid for their whole
 * life (an hour) after a disable, a role change or a sign-out everywhere; each of those records an
 * instant, and tokens issued before it are refused on the next request.
 */
export interface TokenStanding {
  /** Tokens issued before this are refused; null when nothing was revoked. */
  readonly validAfter: Date | null;
  readonly disabled: boolean;
  /** Whether the user's TOTP is on (`users.mfa_enabled`); absent when not known. */
  readonly mfaEnabled?: boolean;
  /**
   * The user's stored role (`users.role`), which a person's token must carry when it is set;
   * absent when not known (no row, or a standing cached before it was kept).
   */
  readonly role?: Role | null;
}

export interface RevocationList {
  standingOf(userId: string): Promise<TokenStanding>;
  /** Refuses the user's current tokens from now on (and forgets any cached standing). */
  revokeTokens(userId: string): Promise<void>;
}

/** How far a token's `iat` may be ahead of our clock before it is refused as forged or skewed. */
export const CLOCK_SKEW_SECONDS = 300;

export type TokenVerdict = 'valid' | 'revoked' | 'disabled' | 'issued-in-future' | 'role-changed';

/**
 * Whether a token issued at `issuedAt` (seconds, the `iat` claim) is still good. Compared in whole
 * seconds: a token from the very second of a revocation is still accepted, so a user who signs in
 * again right after a sign-out everywhere is not refused.
 *
 * `tokenRole` (a person's token: the role its groups give, null for none) must also be the stored
 * role when one is set. The whole second above lets through a token refreshed while a role change
 * was still committing (its instant recorded, the old role still the committed one that
 * pre-token-generation read): that token carries the old role, and is refused here instead of
 * serving it for its hour. Undefined (a machine client, whose role is read from its account) skips
 * the check.
 */
export function tokenVerdict(
  issuedAt: number,
  standing: TokenStanding,
  now: Date,
  tokenRole?: Role | null,
): TokenVerdict {
  if (issuedAt > Math.floor(now.getTime() / 1000) + CLOCK_SKEW_SECONDS) return 'issued-in-future';
  if (standing.disabled) return 'disabled';
  if (standing.validAfter && issuedAt < Math.floor(standing.validAfter.getTime() / 1000)) return 'revoked';
  if (tokenRole !== undefined && standing.role && tokenRole !== standing.role) return 'role-changed';
  return 'valid';
}
