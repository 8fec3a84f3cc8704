import { randomUUID } from 'node:crypto';
import type { Role } from '#shared/domain/roles';
import { encodeCursor } from '#shared/pagination/cursor';
import {
  EmailTakenError,
  IdentityMissingError,
  InvitationAcceptedError,
  type AdminUser,
} from '#admin/domain/admin-user';
import type { IdentityProvider } from '#admin/ports/identity-provider';
import { fakeAuditLog } from './audit-log';
import type { AdminTransaction, UserAdminRepository } from '#admin/ports/user-admin';

/** A user as the admin views hold it, with defaults for what a test does not care about. */
export function adminUser(overrides: Partial<AdminUser> = {}): AdminUser {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    email: `user-${id.slice(0, 8)}@example.test`,
    displayName: `User ${id.slice(0, 8)}`,
    kind: 'user',
    role: 'members',
    status: 'active',
    mfaEnabled: false,
    locked: false,
    lockedUntil: null,
    monthlyTokens: 200_000,
    quotaIsDefault: true,
    usedTokens: 0,
    createdAt: new Date().toISOString(),
    disabledAt: null,
    lastSignInAt: null,
    ...overrides,
  };
}

/** An in-memory UserAdminRepository; `attempts` maps a lower-cased e-mail to its lockout end. */
export function fakeUserAdmin(initial: AdminUser[] = []) {
  const rows = new Map(initial.map((u) => [u.id, u]));
  const attempts = new Map<string, string>();
  const revoked: string[] = [];
  /** What each user owns, as `erase` counts it. */
  const owned = new Map<string, { conversations: number; messages: number }>();
  const withLock = (user: AdminUser, now: Date): AdminUser => {
    const until = attempts.get(user.email.toLowerCase());
    const locked = until !== undefined && until > now.toISOString();
    return { ...user, locked, lockedUntil: locked ? (until ?? null) : null };
  };
  /** The addresses `holdEmail` was asked to hold, in order. */
  const held: string[] = [];
  const hasEmail = (email: string) =>
    [...rows.values()].some((u) => u.email.toLowerCase() === email.toLowerCase());
  const repository: UserAdminRepository = {
    // Every filter of the real list (postgres-user-admin), with its rule: a test of the list's
    // callers must not pass on a filter the fake ignores (the contract test holds them together).
    async list({ limit, cursor, q, role, status, inactiveDays, mfaEnabled, lockedNow }, now) {
      const time = (iso: string) => new Date(iso).getTime();
      const since = inactiveDays === undefined ? undefined : now.getTime() - inactiveDays * 86_400_000;
      const all = [...rows.values()]
        .map((u) => withLock(u, now))
        .filter(
          (u) =>
            !q ||
            u.email.toLowerCase().includes(q.toLowerCase()) ||
            u.displayName.toLowerCase().includes(q.toLowerCase()),
        )
        .filter((u) => !role || u.role === role)
        .filter((u) => !status || u.status === status)
        .filter((u) => since === undefined || time(u.lastSignInAt ?? u.createdAt) < since)
        .filter((u) => mfaEnabled === undefined || u.mfaEnabled === mfaEnabled)
        .filter((u) => !lockedNow || u.locked)
        .sort((a, b) => time(b.createdAt) - time(a.createdAt) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
        .filter(
          (u) =>
            !cursor ||
            time(u.createdAt) < time(cursor.at) ||
            (time(u.createdAt) === time(cursor.at) && u.id < cursor.id),
        );
      const items = all.slice(0, limit);
      const last = items.at(-1);
      return {
        items,
        nextCursor: all.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
      };
    },
    async get(id, now) {
      const user = rows.get(id);
      return user && withLock(user, now);
    },
    async holdEmail(email) {
      held.push(email);
      return { taken: hasEmail(email) };
    },
    async insert(user) {
      if (hasEmail(user.email)) throw new EmailTakenError();
      rows.set(user.id, adminUser({ ...user, status: 'active' }));
    },
    async update(id, changes, now) {
      const user = rows.get(id);
      if (!user) return undefined;
      const updated: AdminUser = {
        ...user,
        ...(changes.role === undefined ? {} : { role: changes.role }),
        ...(changes.status === undefined
          ? {}
          : {
              status: changes.status,
              disabledAt: changes.status === 'disabled' ? new Date().toISOString() : null,
            }),
        // null: back to the role's default, 200,000 here.
        ...(changes.monthlyTokens === undefined
          ? {}
          : changes.monthlyTokens === null
            ? { monthlyTokens: 200_000, quotaIsDefault: true }
            : { monthlyTokens: changes.monthlyTokens, quotaIsDefault: false }),
        ...(changes.mfaEnabled === undefined ? {} : { mfaEnabled: changes.mfaEnabled }),
      };
      rows.set(id, updated);
      return withLock(updated, now);
    },
    async lockActiveAdmins() {
      return [...rows.values()]
        .filter((u) => u.role === 'admins' && u.status === 'active')
        .map((u) => u.id)
        .sort();
    },
    async clearSignInAttempts(email) {
      attempts.delete(email.toLowerCase());
    },
    async revokeTokens(id) {
      revoked.push(id);
    },
    async erase(id, email) {
      rows.delete(id);
      attempts.delete(email.toLowerCase());
      return owned.get(id) ?? { conversations: 0, messages: 0 };
    },
  };
  return { repository, rows, attempts, revoked, held, owned };
}

/**
 * A transaction over the fakes with the real guarantees: when the work throws, or the commit
 * fails (`state.commitFails`, checked after the work succeeded), rows, lockouts and audit events
 * are restored, as a rollback would.
 */
export function fakeAdminTransaction(
  users: ReturnType<typeof fakeUserAdmin>,
  audit: ReturnType<typeof fakeAuditLog>,
) {
  const state = { commitFails: false };
  const transaction: AdminTransaction = async (work) => {
    const rows = new Map(users.rows);
    const attempts = new Map(users.attempts);
    const events = audit.events.length;
    try {
      const result = await work({ users: users.repository, audit: audit.log });
      if (state.commitFails) throw new Error('could not commit');
      return result;
    } catch (error) {
      users.rows.clear();
      for (const [k, v] of rows) users.rows.set(k, v);
      users.attempts.clear();
      for (const [k, v] of attempts) users.attempts.set(k, v);
      audit.events.splice(events);
      throw error;
    }
  };
  return { transaction, state };
}

interface IdentityUser {
  readonly id: string;
  enabled: boolean;
  groups: Set<Role>;
  totp: boolean;
  /** Signed in at least once (Cognito: no longer FORCE_CHANGE_PASSWORD). */
  signedIn: boolean;
  /** Invitations sent: the first one, then each sent again. */
  invitations: number;
}

/**
 * An in-memory identity provider (Cognito's part of each change), by user name (e-mail). Each
 * call is logged in `calls`; a method named in `failing` throws instead of doing anything.
 */
export function fakeIdentityProvider() {
  const users = new Map<string, IdentityUser>();
  const calls: string[] = [];
  const failing = new Set<keyof IdentityProvider>();
  const signedOut: string[] = [];
  const user = (username: string) => {
    const found = users.get(username);
    if (!found) throw new IdentityMissingError();
    return found;
  };
  const step = (name: keyof IdentityProvider, ...args: unknown[]) => {
    calls.push([name, ...args].join(' '));
    if (failing.has(name)) throw new Error(`identity provider: ${name} failed`);
  };
  const provider: IdentityProvider = {
    async createUser(email) {
      step('createUser', email);
      if (users.has(email)) throw new EmailTakenError();
      const id = randomUUID();
      users.set(email, {
        id,
        enabled: true,
        groups: new Set(),
        totp: false,
        signedIn: false,
        invitations: 1,
      });
      return { id };
    },
    async findUnclaimed(email) {
      step('findUnclaimed', email);
      const found = users.get(email);
      if (!found || found.signedIn || !found.enabled) return undefined;
      return { id: found.id, groups: [...found.groups] };
    },
    async resendInvitation(username) {
      step('resendInvitation', username);
      const found = user(username);
      if (found.signedIn) throw new InvitationAcceptedError();
      found.invitations += 1;
    },
    async deleteUser(username) {
      step('deleteUser', username);
      user(username);
      users.delete(username);
    },
    async addToGroup(username, group) {
      step('addToGroup', username, group);
      user(username).groups.add(group);
    },
    async removeFromGroup(username, group) {
      step('removeFromGroup', username, group);
      user(username).groups.delete(group);
    },
    async enableUser(username) {
      step('enableUser', username);
      user(username).enabled = true;
    },
    async signOut(username) {
      step('signOut', username);
      user(username);
      signedOut.push(username);
    },
    async setTotpMfa(username, enabled) {
      step('setTotpMfa', username, enabled);
      user(username).totp = enabled;
    },
  };
  /** Registers a user the identity provider already knows (as a fake of what Cognito holds). */
  const add = (
    email: string,
    options: { id?: string; role?: Role | null; totp?: boolean; signedIn?: boolean; enabled?: boolean } = {},
  ) => {
    const entry: IdentityUser = {
      id: options.id ?? randomUUID(),
      enabled: options.enabled ?? true,
      groups: new Set(options.role ? [options.role] : []),
      totp: options.totp ?? false,
      signedIn: options.signedIn ?? true,
      invitations: 1,
    };
    users.set(email, entry);
    return entry;
  };
  return { provider, users, calls, failing, signedOut, add };
}

/**
 * The world of the single-user admin commands (unlock, sign-out, reset MFA): an admin caller, a
 * person `ada` (with TOTP) and a service account `robot`, with fakes of every port they touch.
 */
export function fakeAdminWorld(now = new Date('2026-03-10T12:00:00.000Z')) {
  const ada = adminUser({ id: 'ada', email: 'ada@example.test', mfaEnabled: true });
  const robot = adminUser({ id: 'robot', kind: 'service' });
  const repo = fakeUserAdmin([ada, robot]);
  const audit = fakeAuditLog();
  const tx = fakeAdminTransaction(repo, audit);
  const identity = fakeIdentityProvider();
  identity.add('ada@example.test', { id: 'ada', role: 'members', totp: true });
  const deps = { transaction: tx.transaction, identity: identity.provider, now: () => now };
  const caller = { userId: 'root', kind: 'user', role: 'admins' } as const;
  return { caller, repo, audit, tx, identity, deps };
}
