import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as ConfigModule from '#shared/config';
import type * as SqlDatabaseModule from '#shared/db/sql-database';
import type { SqlDatabase } from '#shared/db/sql';
import { logger, metrics, MetricUnit } from '#shared/powertools';
import type { IdentityProvider } from './ports/identity-provider';
import { adminDeps, setAdminDependencies } from './wiring';

// The admin group's wiring with a database that answers every statement with no rows (no
// network): what is under test is the drift reporter the wiring gives the use cases, which their
// own tests replace with one of theirs.
vi.mock('#shared/config', async (importOriginal) => ({
  ...(await importOriginal<typeof ConfigModule>()),
  getConfig: () => ({}),
}));
vi.mock('#shared/db/sql-database', async (importOriginal) => {
  const tx = { query: async <Row extends object>() => ({ rows: [] as Row[], rowCount: 0 }) };
  const db: SqlDatabase = {
    ...tx,
    // Committed when the work resolves, rolled back (its error thrown) when it throws.
    transaction: (work) => work(tx),
    destroy: () => Promise.resolve(),
  };
  return { ...(await importOriginal<typeof SqlDatabaseModule>()), getSql: () => db };
});

afterEach(() => {
  vi.restoreAllMocks();
});

const refused = (what: string) => () => Promise.reject(new Error(`${what} refused`));

/** Cognito that creates the user, then refuses everything else (the group, and the undo). */
const cognito: IdentityProvider = {
  createUser: () => Promise.resolve({ id: '00000000-0000-4000-8000-0000000000d1' }),
  findUnclaimed: () => Promise.resolve(undefined),
  deleteUser: refused('AdminDeleteUser'),
  addToGroup: refused('AdminAddUserToGroup'),
  removeFromGroup: refused('AdminRemoveUserFromGroup'),
  enableUser: refused('AdminEnableUser'),
  signOut: refused('AdminUserGlobalSignOut'),
  resendInvitation: refused('AdminCreateUser'),
  setTotpMfa: refused('AdminSetUserMFAPreference'),
};

describe("the admin group's drift reporter", () => {
  it('logs an error naming the step and counts IdentityDrift once when an undo fails', async () => {
    // Prepare: the invitation creates the user, then fails; deleting the user again fails too
    setAdminDependencies({ identity: () => cognito });
    const error = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const admin = { userId: 'admin-1', kind: 'user', role: 'admins' } as const;

    // Act
    const invited = adminDeps().inviteUser(admin, { email: 'grace@example.test', role: 'members' }, 'req-1');

    // Assess: the caller sees the first failure; the drift is paged once
    await expect(invited).rejects.toThrow('AdminAddUserToGroup refused');
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      expect.stringContaining('Cognito and the database disagree'),
      expect.objectContaining({ step: 'create user', error: new Error('AdminDeleteUser refused') }),
    );
    expect(addMetric.mock.calls).toEqual([['IdentityDrift', MetricUnit.Count, 1]]);
  });
});
