import type { AdminUser } from '@/features/admin/api/admin-user-schema';

/** What the quota form holds: the role's default, or a number of tokens as typed. */
export interface QuotaChoice {
  readonly useDefault: boolean;
  readonly tokens: string;
}

export type QuotaDecision =
  | { readonly send: true; readonly monthlyTokens: number | null }
  | { readonly send: false; readonly reason: 'unchanged' | 'invalid' };

/**
 * What saving the quota form asks of the API. `null` puts the user back on their role's default;
 * a number gives them a quota of their own, even one equal to today's default (it then stays when
 * the default changes). Nothing is sent when the choice is what the user already has, so saving
 * an untouched form never turns a default into a quota of their own.
 */
export function decideQuotaChange(
  user: Pick<AdminUser, 'monthlyTokens' | 'quotaIsDefault'>,
  choice: QuotaChoice,
): QuotaDecision {
  if (choice.useDefault) {
    return user.quotaIsDefault ? { send: false, reason: 'unchanged' } : { send: true, monthlyTokens: null };
  }
  const text = choice.tokens.trim();
  const tokens = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(tokens)) return { send: false, reason: 'invalid' };
  if (!user.quotaIsDefault && tokens === user.monthlyTokens) return { send: false, reason: 'unchanged' };
  return { send: true, monthlyTokens: tokens };
}
