import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getCache } from '#shared/cache/get-cache';
import { getConfig } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { metrics, MetricUnit, publishMetrics } from '#shared/powertools';
import { postgresRevocationList } from '#shared/revocation/postgres-revocation-list';
import type { RevocationList } from '#shared/revocation/revocation-list';
import { cognitoMfaSettings } from '../adapters/cognito-mfa-settings';
import { cognitoSessions } from '../adapters/cognito-sessions';
import { postgresAuthUsers } from '../adapters/postgres-auth-users';
import { postgresGroupRoles } from '../adapters/postgres-group-roles';
import { postgresSignInAttempts } from '../adapters/postgres-sign-in-attempts';
import type { AuthEvents } from '../ports/auth-events';
import type { AuthUsers } from '../ports/auth-users';
import type { GroupRoles } from '../ports/group-roles';
import type { MfaSettings } from '../ports/mfa-settings';
import type { Sessions } from '../ports/sessions';
import type { SignInAttempts } from '../ports/sign-in-attempts';

export interface TriggerDependencies {
  readonly attempts: SignInAttempts;
  readonly users: AuthUsers;
  /** A Cognito group's role stored, audited, where `users.role` is still null. */
  readonly roles: GroupRoles;
  readonly events: AuthEvents;
  readonly mfa: MfaSettings;
  readonly sessions: Sessions;
  /**
   * The API's token revocation (users.tokens_valid_after, and the cached standing forgotten). On
   * AWS the triggers run outside the VPC and reach no Valkey (their cache is their own, in
   * memory): the API's cached entry then ends by itself within its 30 s.
   */
  readonly revocations: RevocationList;
}

let cached: TriggerDependencies | undefined;
let overrides: Partial<TriggerDependencies> = {};

/** The triggers' adapters, built on first use (cold start) from the process configuration. */
export function triggerDependencies(): TriggerDependencies {
  if (cached) return cached;
  const db = getSql();
  const config = getConfig();
  const pool = {
    userPoolId: config.COGNITO_USER_POOL_ID,
    region: config.AWS_REGION,
    endpoint: config.COGNITO_ENDPOINT,
  };
  cached = {
    mfa: cognitoMfaSettings(pool),
    sessions: cognitoSessions(pool),
    revocations: postgresRevocationList(db, getCache),
    attempts: postgresSignInAttempts(db),
    // A new user's quota is null: their role's default (CHAT_QUOTA_<ROLE>) until an admin sets one.
    users: postgresAuthUsers(db),
    roles: postgresGroupRoles(db),
    events: {
      audit: (event) => postgresAuditLog(db).record(event),
      lockout() {
        metrics.addMetric('Lockouts', MetricUnit.Count, 1);
        // Triggers have no Middy metrics middleware: flush now, the invocation is short.
        publishMetrics();
      },
    },
    ...overrides,
  };
  return cached;
}

/** Replaces some adapters (tests: the identity provider is the edge they cannot run). */
export function setTriggerDependencies(next: Partial<TriggerDependencies>): void {
  overrides = next;
  cached = undefined;
}

/** For tests that change the configuration between cases. */
export function resetTriggerDependencies(): void {
  cached = undefined;
}
