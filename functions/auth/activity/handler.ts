import type { CloudWatchLogsEvent } from 'aws-lambda';

import { getSql } from '#shared/db/sql-database';
import { metrics, MetricUnit, publishMetrics, withInvocationContext } from '#shared/powertools';
import { type ActivitySummary, recordSignInActivity } from './record-sign-in-activity';
import { postgresSignInActivityLog, type SignInActivityLog } from './sign-in-activity-log';

let override: SignInActivityLog | undefined;

/** Replaces the audit trail (tests that need a failing one); undefined restores the database. */
export function setSignInActivityLog(log: SignInActivityLog | undefined): void {
  override = log;
}

/**
 * Subscription of Cognito's user-activity log group: records each sign-in, with the address
 * and device Cognito saw, in the audit trail. Invoked asynchronously by CloudWatch Logs, which
 * retries a failed batch; the records stay in the log group for its retention, so a batch can
 * also be replayed by hand (docs/security.md): both add only what is missing.
 */
export const handler = withInvocationContext(async (event: CloudWatchLogsEvent): Promise<ActivitySummary> => {
  const log = override ?? postgresSignInActivityLog(getSql());
  try {
    const summary = await recordSignInActivity(event, log);
    metrics.addMetric('SignInActivityRecorded', MetricUnit.Count, summary.recorded);
    metrics.addMetric('SignInActivityDuplicates', MetricUnit.Count, summary.duplicates);
    metrics.addMetric('SignInActivityMalformed', MetricUnit.Count, summary.malformed);
    return summary;
  } finally {
    // No Middy metrics middleware here: flush now, the invocation is short.
    publishMetrics();
  }
});
