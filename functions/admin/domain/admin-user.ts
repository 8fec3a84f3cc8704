import type { Role, UserStatus } from '#shared/domain/roles';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '#shared/errors';

/** Highest monthly token quota an admin may set (the column is a 32-bit integer). */
export const MAX_MONTHLY_TOKENS = 1_000_000_000;

/** A user as admins see them: account, role, status, MFA, lockout and this month's usage. */
export interface AdminUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly kind: 'user' | 'service';
  readonly role: Role | null;
  readonly status: UserStatus;
  readonly mfaEnabled: boolean;
  /**
   * Locked out of sign-in now by failed attempts: sign_in_attempts.locked_until is still ahead, the
   * rule sign-in applies (`isLocked`, in SQL `signInLockedAt`).
   */
  readonly locked: boolean;
  readonly lockedUntil: string | null;
  /** The monthly tokens that apply: the user's own quota, else their role's default. */
  readonly monthlyTokens: number;
  /** True when monthlyTokens is the role's default (the user has no quota of their own). */
  readonly quotaIsDefault: boolean;
  /** Prompt and completion tokens used since the first of this month (UTC). */
  readonly usedTokens: number;
  readonly createdAt: string;
  /**
   * Since when a disabled user's tokens are refused (the disable, or a later sign-out or role
   * change); null for an active user. Erasing waits an access token's life after it.
   */
  readonly disabledAt: string | null;
  /** The last completed sign-in; null: never (or before it was recorded). */
  readonly lastSignInAt: string | null;
}

/** What an admin may change about a user in one request. */
export interface UserChanges {
  readonly role?: Role;
  readonly status?: UserStatus;
  /** The user's own quota; null puts them back on their role's default. */
  readonly monthlyTokens?: number | null;
}

export class AdminUserNotFoundError extends NotFoundError {
  constructor() {
    super('No such user.');
  }
}

export class EmailTakenError extends ConflictError {
  constructor() {
    super('A user with this e-mail address already exists.');
  }
}

/** An admin who demoted or disabled themself could lock everyone out of administration. */
export class SelfChangeError extends ConflictError {
  constructor(what: 'demote' | 'disable' | 'erase') {
    super(`You cannot ${what} yourself: ask another admin.`);
  }
}

/**
 * The caller was an admin when the request was let in, but another admin's change that committed
 * while it waited demoted or disabled them.
 */
export class NoLongerAdminError extends ForbiddenError {
  constructor() {
    super('Your role does not allow this: you are no longer an active admin.');
  }
}

export class LastAdminError extends ConflictError {
  constructor() {
    super('This is the last active admin: promote another admin first.');
  }
}

/** Service accounts (machine clients) have no Cognito user: no sessions, no MFA. */
export class ServiceAccountError extends ConflictError {
  constructor(what: string) {
    super(`A service account has no ${what}.`);
  }
}

/** Erasing is for people who left: disable them first, so nothing of theirs is erased by a slip. */
export class NotDisabledError extends ConflictError {
  constructor() {
    super('Disable the user first: only a disabled user can be erased.');
  }
}

/**
 * Until every access token issued before the disable has expired (they are verified offline), a
 * token of an erased user would still pass the signature check with no row left to refuse it.
 */
export class ErasureTooSoonError extends ConflictError {
  constructor(readonly erasableAt: Date) {
    // The minute named is the first whole one at or after the instant: cut down to its minute, a
    // time of 12:01:42 would read 12:01, when erasing is still refused.
    const from = new Date(Math.ceil(erasableAt.getTime() / 60_000) * 60_000);
    super(
      `The user was disabled less than an hour ago; their last access token expires first. Erase them from ${from.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    );
  }
}

/**
 * The usage an erased person leaves behind, kept without them: their `usage_daily` rows stay for
 * the reports (and the invoice they must match), their user set to none.
 */
export interface KeptUsage {
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Estimated cost in US dollars (from the stored micro-dollars). */
  readonly costUsd: number;
}

/** What erasing a user took with them, and kept (the audit event records these, nothing else). */
export interface ErasedData {
  readonly conversations: number;
  readonly messages: number;
  /** Their usage, all days, now in the reports as an erased user's. Absent: not counted. */
  readonly usageKept?: KeptUsage;
}

/** The first day of `now`'s month (UTC) as `YYYY-MM-DD`. */
export function monthStart(now: Date): string {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

/** The database knows the user but the identity provider does not: they must be reconciled. */
export class IdentityMissingError extends ConflictError {
  constructor() {
    super('The user is missing from the identity provider; nothing was changed.');
  }
}

/** Why Cognito sent no invitation (see InvitationNotSentError). */
export type InvitationFailure = 'email-limit' | 'undeliverable';

const INVITATION_NOT_SENT: Record<InvitationFailure, { detail: string; retryAfterSeconds: number }> = {
  'email-limit': {
    detail:
      "The user pool's daily e-mail limit is reached, so no invitation was sent. " +
      "An operator can raise the limit by sending the pool's e-mail through Amazon SES.",
    // Cognito counts its e-mail by the day and does not say when the count falls.
    retryAfterSeconds: 3600,
  },
  undeliverable: {
    detail:
      'The invitation could not be delivered to this address. Check the address; ' +
      "if it is right, an operator should check the pool's e-mail sending (Amazon SES).",
    retryAfterSeconds: 300,
  },
};

/**
 * 503: Cognito refused to send the invitation e-mail (its daily limit, or delivery failed). For a
 * new invitation, the user it had created for it was deleted again, so nobody was invited and the
 * address can be invited later; a resent invitation leaves the user as they were.
 */
export class InvitationNotSentError extends DomainError {
  readonly status = 503;
  readonly slug = 'invitation-not-sent';
  readonly title = 'Invitation not sent';
  override readonly retryAfterSeconds: number;
  /** Its details are ours, written for the admin. */
  override get expose(): boolean {
    return true;
  }
  constructor(readonly failure: InvitationFailure) {
    super(INVITATION_NOT_SENT[failure].detail);
    this.retryAfterSeconds = INVITATION_NOT_SENT[failure].retryAfterSeconds;
  }
}

/**
 * A disabled person cannot sign in (the triggers refuse them after the password), so an invitation
 * sent to them would only lead to a refusal, and reach an address the organisation turned away.
 */
export class DisabledInvitationError extends ConflictError {
  constructor() {
    super('This user is disabled, so they could not sign in with an invitation: enable them first.');
  }
}

/** Cognito sends an invitation again only to someone who has not yet signed in with it. */
export class InvitationAcceptedError extends ConflictError {
  constructor() {
    super(
      'This user has already signed in, so there is no invitation to send again. If they forgot their password, they can reset it from the sign-in page.',
    );
  }
}
