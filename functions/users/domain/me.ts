import type { Role } from '#shared/domain/roles';

/** `GET /me`: who the caller is and how much of this month's token quota is used. */
export interface Me {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role | null;
  readonly mfaEnabled: boolean;
  readonly quota: {
    readonly monthlyTokens: number;
    readonly usedTokens: number;
    /** True when the quota is the role's default, false when an admin set the user's own. */
    readonly isDefault: boolean;
  };
  /** Who answers chats: OpenAI (or a compatible server) or the built-in offline model. */
  readonly model: ModelInfo;
}

export interface ModelInfo {
  readonly provider: 'openai' | 'offline';
  /** The models a message may name; the first is the default. */
  readonly models: readonly string[];
}

/** The first day of the caller's current month, UTC, as `YYYY-MM-DD`. */
export function monthStart(now: Date): string {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
}
