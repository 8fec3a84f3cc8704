import type { Role } from '#shared/domain/roles';

export interface UserProfile {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role | null;
  readonly status: 'active' | 'disabled';
  readonly mfaEnabled: boolean;
  /** The user's own monthly token quota; null when their role's default applies. */
  readonly monthlyTokens: number | null;
}

export interface NewProfile {
  readonly id: string;
  readonly email: string;
  readonly role: Role | null;
  readonly kind: 'user' | 'service';
}

export interface UserDirectory {
  find(id: string): Promise<UserProfile | undefined>;
  /**
   * Inserts the row, audited as done by `requestId`, or returns the existing one when another
   * request got there first.
   */
  provision(user: NewProfile, requestId: string): Promise<UserProfile>;
  /** Prompt and completion tokens used from the first of `now`'s month (UTC). */
  tokensUsedSince(id: string, now: Date): Promise<number>;
}
