import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getConfig } from '#shared/config';
import { getSql } from '#shared/db/sql-database';
import { metrics, MetricUnit, publishMetrics } from '#shared/powertools';
import { cognitoMfaSettings } from '../adapters/cognito-mfa-settings';
import { postgresAuthUsers } from '../adapters/postgres-auth-users';
import { postgresSignInAttempts } from '../adapters/postgres-sign-in-attempts';
import type { AuthEvents } from '../ports/auth-events';
import type { AuthUsers } from '../ports/auth-users';
import type { MfaSettings } from '../ports/mfa-settings';
import type { SignInAttempts } from '../ports/sign-in-attempts';

export interface TriggerDependencies {
  readonly attempts: SignInAttempts;
  readonly users: AuthUsers;
  readonly events: AuthEvents;
  readonly mfa: MfaSettings;
}

let cached: TriggerDependencies | undefined;
let overrides: Partial<TriggerDependencies> = {};

/** The triggers' adapters, built on first use (cold start) from the process configuration. */
export function triggerDependencies(): TriggerDependencies {
  if (cached) return cached;
  const db = getSql();
  const config = getConfig();
  cached = {
    mfa: cognitoMfaSettings({
      userPoolId: config.COGNITO_USER_POOL_ID,
      region: config.AWS_REGION,
      endpoint: config.COGNITO_ENDPOINT,
    }),
    attempts: postgresSignInAttempts(db),
    // A new user's quota is null: their role's default (CHAT_QUOTA_<ROLE>) until an admin sets one.
    users: postgresAuthUsers(db),
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
