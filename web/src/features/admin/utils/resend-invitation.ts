import type { AdminUser } from '@/features/admin/api/admin-user-schema';

/**
 * Whether to offer "Resend invitation": only for a person who never signed in. Cognito resends
 * only to a user still waiting to set their password and answers 409 for everyone else, whatever
 * their MFA (someone signed in without TOTP where the pool does not require it); a service account
 * has no invitation at all.
 */
export function canResendInvitation(user: Pick<AdminUser, 'kind' | 'lastSignInAt' | 'mfaEnabled'>): boolean {
  return user.kind === 'user' && user.lastSignInAt === null;
}
