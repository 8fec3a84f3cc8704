import { promptSettingsOf } from '#chat/domain/system-prompt';
import { postgresFeedback } from '#feedback/adapters/postgres-feedback';
import { makeListFeedback } from '#feedback/use-cases/list-feedback';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getCache } from '#shared/cache/get-cache';
import { profileKey } from '#shared/cache/keys';
import { forgetMonthlyUsage } from '#shared/cache/monthly-usage';
import { refreshServiceRole } from '#shared/http/service-account-roles';
import { getConfig, roleQuota } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import type { Role } from '#shared/domain/roles';
import { logger, metrics, MetricUnit } from '#shared/powertools';
import { refreshStanding } from '#shared/revocation/postgres-revocation-list';
import { onConfiguredUserPool } from '#shared/aws/configured-cognito';
import { cognitoIdentityProvider } from './adapters/cognito-identity-provider';
import { postgresAuditTrail } from './adapters/postgres-audit-trail';
import { postgresUsageReports } from './adapters/postgres-usage-reports';
import { postgresUserAdmin } from './adapters/postgres-user-admin';
import type { IdentityProvider } from './ports/identity-provider';
import type { AdminTransaction } from './ports/user-admin';
import { makeEraseUser } from './use-cases/erase-user';
import { makeGetUsage } from './use-cases/get-usage';
import type { DriftReporter } from './use-cases/identity-transaction';
import { makeInviteUser } from './use-cases/invite-user';
import { makeListAuditEvents } from './use-cases/list-audit-events';
import { makeListUsers } from './use-cases/list-users';
import { makeResendInvitation } from './use-cases/resend-invitation';
import { makeResetUserMfa } from './use-cases/reset-user-mfa';
import { makeSignOutUser } from './use-cases/sign-out-user';
import { makeUnlockUser } from './use-cases/unlock-user';
import { makeUpdateUser } from './use-cases/update-user';

export interface AdminDependencies {
  /** The identity provider (Cognito). Tests put a fake here: AWS is the edge they cannot run. */
  readonly identity: () => IdentityProvider;
}

let dependencies: AdminDependencies = { identity: onConfiguredUserPool(cognitoIdentityProvider) };

/** Replaces the admin group's edges (tests); read on every call, so it applies at once. */
export function setAdminDependencies(overrides: Partial<AdminDependencies>): void {
  dependencies = { ...dependencies, ...overrides };
}

/** Every call goes to the identity provider configured at that moment. */
const identity: IdentityProvider = {
  createUser: (email) => dependencies.identity().createUser(email),
  findUnclaimed: (email) => dependencies.identity().findUnclaimed(email),
  deleteUser: (username) => dependencies.identity().deleteUser(username),
  addToGroup: (username, group) => dependencies.identity().addToGroup(username, group),
  removeFromGroup: (username, group) => dependencies.identity().removeFromGroup(username, group),
  enableUser: (username) => dependencies.identity().enableUser(username),
  signOut: (username) => dependencies.identity().signOut(username),
  resendInvitation: (username) => dependencies.identity().resendInvitation(username),
  setTotpMfa: (username, enabled) => dependencies.identity().setTotpMfa(username, enabled),
};

/** An undo that failed leaves Cognito and the database apart: page someone (metric + error log). */
const reportDrift: DriftReporter = ({ step, error }) => {
  logger.error('Cognito change not undone after a failed transaction: Cognito and the database disagree', {
    step,
    error: error as Error,
  });
  metrics.addMetric('IdentityDrift', MetricUnit.Count, 1);
};

/** The admin group's use cases on PostgreSQL and Cognito (built once, on the first request). */
export function adminDeps() {
  const config = getConfig();
  const db = getSql();
  const quotaOf = (role: Role | null) => roleQuota(config, role);
  // An erasure charges the person's abandoned replies first, estimated as the chat sends a reply.
  const prompt = promptSettingsOf(config);
  const transaction: AdminTransaction = async (work) => {
    const changed = new Set<string>();
    const result = await db.transaction((tx) =>
      work({
        users: postgresUserAdmin(tx, quotaOf, (id) => changed.add(id), prompt),
        audit: postgresAuditLog(tx),
      }),
    );
    // After the commit: every instance reads the new standing (written over what a request may have
    // cached meanwhile), profile and quota on its next request.
    await Promise.all(
      [...changed].flatMap((id) => [
        refreshStanding(db, getCache(), id),
        refreshServiceRole(db, getCache(), id),
        forgetMonthlyUsage(getCache(), id, new Date()),
        getCache()
          .delete(profileKey(id))
          .catch(() => undefined),
      ]),
    );
    return result;
  };
  const changes = { transaction, identity, reportDrift };
  return {
    listUsers: makeListUsers({ users: postgresUserAdmin(db, quotaOf) }),
    inviteUser: makeInviteUser(changes),
    updateUser: makeUpdateUser(changes),
    unlockUser: makeUnlockUser({ transaction }),
    signOutUser: makeSignOutUser(changes),
    resetUserMfa: makeResetUserMfa(changes),
    resendInvitation: makeResendInvitation(changes),
    eraseUser: makeEraseUser(changes),
    getUsage: makeGetUsage({ usage: postgresUsageReports(db) }),
    listAuditEvents: makeListAuditEvents({ trail: postgresAuditTrail(db) }),
    listFeedback: makeListFeedback({ feedback: postgresFeedback(db) }),
  };
}

export type AdminDeps = ReturnType<typeof adminDeps>;
