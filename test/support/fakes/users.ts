import type { NewProfile, UserDirectory, UserProfile } from '#users/ports/user-directory';
import type { Sessions } from '#users/ports/sessions';

/** An in-memory UserDirectory; `used` holds each user's tokens this month. */
export function fakeUserDirectory(initial: UserProfile[] = []) {
  const rows = new Map(initial.map((u) => [u.id, u]));
  const used = new Map<string, number>();
  const directory: UserDirectory = {
    async find(id) {
      return rows.get(id);
    },
    async provision(user: NewProfile) {
      const existing = rows.get(user.id);
      if (existing) return existing;
      const profile: UserProfile = {
        id: user.id,
        email: user.email,
        displayName: user.email.split('@')[0] ?? user.email,
        role: user.role,
        status: 'active',
        mfaEnabled: false,
        monthlyTokens: null,
      };
      rows.set(user.id, profile);
      return profile;
    },
    async tokensUsedSince(id) {
      return used.get(id) ?? 0;
    },
  };
  return { directory, rows, used };
}

/** Cognito's sessions as the users group sees them: `signedOut` holds each user name signed out. */
export function fakeSessions() {
  const signedOut: string[] = [];
  const sessions: Sessions = {
    async signOutEverywhere(username) {
      signedOut.push(username);
    },
  };
  return { sessions, signedOut };
}
