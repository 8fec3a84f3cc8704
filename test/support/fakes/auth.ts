import type { AuditEvent } from '#shared/audit/audit-log';
import { decideAttempt, NO_ATTEMPTS, type AttemptState } from '#auth/domain/lockout';
import type { AuthEvents } from '#auth/ports/auth-events';
import type { AuthUser, AuthUsers } from '#auth/ports/auth-users';
import type { SignInAttempts } from '#auth/ports/sign-in-attempts';

/** Hand-written fakes of the auth ports, for unit tests. */
export function fakeAttempts(): SignInAttempts & { readonly state: Map<string, AttemptState> } {
  const state = new Map<string, AttemptState>();
  return {
    state,
    async register(key, now) {
      const decision = decideAttempt(state.get(key) ?? NO_ATTEMPTS, now);
      if (decision.kind === 'allowed') state.set(key, decision.next);
      return decision;
    },
    async reset(key) {
      if (state.has(key)) state.set(key, NO_ATTEMPTS);
    },
  };
}

export function fakeUsers(
  initial: AuthUser[] = [],
): AuthUsers & { readonly rows: Map<string, AuthUser>; readonly signIns: Map<string, Date> } {
  const rows = new Map(initial.map((u) => [u.id, u]));
  /** The last sign-in noted of each user. */
  const signIns = new Map<string, Date>();
  return {
    rows,
    signIns,
    async recordSignIn(id, at) {
      signIns.set(id, at);
    },
    async find({ id, email }) {
      if (id && rows.has(id)) return rows.get(id) ?? null;
      return [...rows.values()].find((u) => email && u.email.toLowerCase() === email.toLowerCase()) ?? null;
    },
    async upsert(profile) {
      const existing = rows.get(profile.id);
      const user: AuthUser = existing
        ? { ...existing, email: profile.email }
        : { id: profile.id, email: profile.email, role: null, status: 'active' };
      rows.set(user.id, user);
      return { user, created: !existing };
    },
  };
}

export function fakeEvents(): AuthEvents & { readonly audited: AuditEvent[]; lockouts: number } {
  const events = {
    audited: [] as AuditEvent[],
    lockouts: 0,
    async audit(event: AuditEvent) {
      events.audited.push(event);
    },
    lockout() {
      events.lockouts += 1;
    },
  };
  return events;
}

/** MFA settings as the identity provider would report them, by user name; `failing` answers undefined. */
export function fakeMfaSettings(enabled: Record<string, boolean> = {}) {
  const state = { failing: false, asked: [] as string[] };
  return {
    state,
    async totpEnabled(username: string): Promise<boolean | undefined> {
      state.asked.push(username);
      return state.failing ? undefined : (enabled[username] ?? false);
    },
  };
}

/** Sessions at the identity provider: who was signed out everywhere; `failing` makes it throw. */
export function fakeSessions() {
  const state = { failing: false, signedOut: [] as string[] };
  return {
    state,
    async signOutEverywhere(username: string): Promise<void> {
      if (state.failing)
        throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
      state.signedOut.push(username);
    },
  };
}
