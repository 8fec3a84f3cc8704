import type { AuditLog } from '#shared/audit/audit-log';
import type { Role, UserStatus } from '#shared/domain/roles';
import type { InTransaction } from '#shared/domain/transaction';
import type { Page } from '#shared/pagination/cursor';
import type { AdminUser, ErasedData } from '../domain/admin-user';

/** Keyset of the users list: newest first by (createdAt, id); ids are text (service accounts). */
export interface UserKeyset {
  readonly at: string;
  readonly id: string;
}

export interface UserListOptions {
  readonly limit: number;
  readonly cursor?: UserKeyset;
  /** Case-insensitive, literal match on e-mail or display name. */
  readonly q?: string;
  readonly role?: Role;
  readonly status?: UserStatus;
  /** Only those with no sign-in for this many days (never: since the row was created). */
  readonly inactiveDays?: number;
  /** Only those with two-factor sign-in set up (true) or not (false). */
  readonly mfaEnabled?: boolean;
  /** true: only those whose sign-in is locked at `now` by failed attempts (the sign-in's own rule). */
  readonly lockedNow?: boolean;
}

export interface NewManagedUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
}

export interface StoredChanges {
  readonly role?: Role;
  readonly status?: UserStatus;
  /** null: the role's default applies. */
  readonly monthlyTokens?: number | null;
  readonly mfaEnabled?: boolean;
}

/** Users as admins manage them. Inside a transaction, `get` locks the row until commit. */
export interface UserAdminRepository {
  list(options: UserListOptions, now: Date): Promise<Page<AdminUser>>;
  get(id: string, now: Date): Promise<AdminUser | undefined>;
  /**
   * Holds the address until the transaction ends (another invitation of the same address waits
   * for this one to commit or roll back), then says whether a user already has it.
   */
  holdEmail(email: string): Promise<{ readonly taken: boolean }>;
  /** Throws EmailTakenError when the e-mail is already in use. */
  insert(user: NewManagedUser): Promise<void>;
  /**
   * Writes the changes and answers the user as they are after them (undefined: no such user). A
   * role or status change also refuses the user's tokens issued until this statement.
   */
  update(id: string, changes: StoredChanges, now: Date): Promise<AdminUser | undefined>;
  /**
   * The ids of the active admins, people only, locked in id order until commit: two admins
   * demoting each other at once wait for one another instead of both succeeding and leaving no
   * admin. A service account with the admins role is not one: it is refused on every admin route.
   */
  lockActiveAdmins(): Promise<string[]>;
  /** Forgets the failed sign-ins (and any lockout) of this e-mail address. */
  clearSignInAttempts(email: string): Promise<void>;
  /**
   * Refuses the user's access tokens issued until now, from the next request on (a role or
   * status change through `update` does this by itself).
   */
  revokeTokens(id: string): Promise<void>;
  /**
   * Deletes the user and everything that is theirs: conversations, messages, feedback and the
   * failed sign-ins of their address. Their usage stays, pseudonymised (no user), and is counted
   * in what this answers. The audit trail keeps its events (append-only).
   */
  erase(id: string, email: string): Promise<ErasedData>;
}

/** What a change that must be audited writes to, in one transaction. */
export interface AuditedUsers {
  readonly users: UserAdminRepository;
  readonly audit: AuditLog;
}

export type AdminTransaction = InTransaction<AuditedUsers>;
