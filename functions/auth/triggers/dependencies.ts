import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getConfig } from '#shared/config';
import { getDatabase } from '#shared/db/database';
import { metrics, MetricUnit } from '#shared/powertools';
import { postgresAuthUsers } from '../adapters/postgres-auth-users';
import { postgresSignInAttempts } from '../adapters/postgres-sign-in-attempts';
import type { AuthEvents } from '../ports/auth-events';
import type { AuthUsers } from '../ports/auth-users';
import type { SignInAttempts } from '../ports/sign-in-attempts';

export interface TriggerDependencies {
  readonly attempts: SignInAttempts;
  readonly users: AuthUsers;
  readonly events: AuthEvents;
}

let cached: TriggerDependencies | undefined;

/** The triggers' adapters, built on first use (cold start) from the process configuration. */
export function triggerDependencies(): TriggerDependencies {
  if (cached) return cached;
  const db = getDatabase();
  cached = {
    attempts: postgresSignInAttempts(db),
    users: postgresAuthUsers(db, { defaultMonthlyTokens: getConfig().DEFAULT_MONTHLY_TOKENS }),
    events: {
      audit: (event) => postgresAuditLog(db).record(event),
      lockout() {
        metrics.addMetric('Lockouts', MetricUnit.Count, 1);
        // Triggers have no Middy metrics middleware: flush now, the invocation is short.
        metrics.publishStoredMetrics();
      },
    },
  };
  return cached;
}

/** For tests that change the configuration between cases. */
export function resetTriggerDependencies(): void {
  cached = undefined;
}
