import { describe, expect, it } from 'vitest';

import { canResendInvitation } from './resend-invitation';

describe('canResendInvitation', () => {
  it('offers it to a person who never signed in', () => {
    expect(
      canResendInvitation({ kind: 'user', lastSignInAt: null, mfaEnabled: false, status: 'active' }),
    ).toBe(true);
  });

  it('does not offer it to someone who has signed in, with or without MFA, nor to a service account', () => {
    const signedIn = '2026-03-01T09:00:00.000Z';
    // Signed in without TOTP (a pool where it is optional): Cognito would answer 409.
    expect(
      canResendInvitation({ kind: 'user', lastSignInAt: signedIn, mfaEnabled: false, status: 'active' }),
    ).toBe(false);
    expect(
      canResendInvitation({ kind: 'user', lastSignInAt: signedIn, mfaEnabled: true, status: 'active' }),
    ).toBe(false);
    expect(
      canResendInvitation({ kind: 'service', lastSignInAt: null, mfaEnabled: false, status: 'active' }),
    ).toBe(false);
  });

  it('does not offer it to a disabled person: they could not sign in with it (the API answers 409)', () => {
    expect(
      canResendInvitation({ kind: 'user', lastSignInAt: null, mfaEnabled: false, status: 'disabled' }),
    ).toBe(false);
    expect(
      canResendInvitation({ kind: 'user', lastSignInAt: null, mfaEnabled: false, status: 'active' }),
    ).toBe(true);
  });
});
