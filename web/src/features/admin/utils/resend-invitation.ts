import type { AdminUser } from '@/features/admin/api/admin-user-schema';

/**
 * Whether to offer "Resend invitation": only for an active person who never signed in. Cognito
 * resends only to a user still waiting to set their password and answers 409 for everyone else,
 * whatever their MFA (someone signed in without TOTP where the pool does not require it); a
 * disabled person could not sign in with it (409 too: enable them first); a service account has
 * no invitation at all.
 */
export function canResendInvitation(
  user: Pick<AdminUser, 'kind' | 'lastSignInAt' | 'mfaEnabled' | 'status'>,
): boolean {
  return user.kind === 'user' && user.lastSignInAt === null && user.status === 'active';
}
