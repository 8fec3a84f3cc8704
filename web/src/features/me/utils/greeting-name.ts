import type { Me } from '@/features/me/api/get-me';

/**
 * The name to greet someone by: their display name when they have one of their own, else nothing.
 * Without a given name the API falls back to the e-mail's local part ("aud" for aud@example.com),
 * which reads as a typo in a greeting, so that fallback is not used here.
 */
export function greetingName(me: Pick<Me, 'displayName' | 'email'>): string | null {
  const name = me.displayName?.trim();
  if (!name) return null;
  const localPart = me.email.split('@')[0]?.trim() ?? '';
  if (name === localPart || name === me.email) return null;
  return name;
}
