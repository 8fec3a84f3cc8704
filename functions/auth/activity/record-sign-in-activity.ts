import { logger } from '#shared/powertools';
import {
  activityAuditId,
  decodeSubscriptionPayload,
  parseActivityEvent,
  signInActivityAuditEvent,
} from './sign-in-activity';
import type { SignInActivityLog } from './sign-in-activity-log';

/** What one batch came to. */
export interface ActivitySummary {
  /** Sign-ins appended to the audit trail now. */
  readonly recorded: number;
  /** Sign-ins already there (the batch, or part of it, was delivered before). */
  readonly duplicates: number;
  /** Other user activity (sign-up, password change, ...). */
  readonly ignored: number;
  /** Records that could not be read: skipped, logged and counted, never thrown. */
  readonly malformed: number;
}

/**
 * Appends one `auth.sign-in-activity` audit event per sign-in of a CloudWatch Logs subscription
 * batch of Cognito's user-activity export. Malformed input is skipped (logged with its reason,
 * never its content); a database failure throws, so the invocation is retried, and the retry
 * adds only what is missing.
 */
export async function recordSignInActivity(
  payload: unknown,
  log: SignInActivityLog,
): Promise<ActivitySummary> {
  const counts = { recorded: 0, duplicates: 0, ignored: 0, malformed: 0 };
  const batch = decodeSubscriptionPayload(payload);
  if (batch.kind === 'control') return counts;
  if (batch.kind === 'malformed') {
    logger.warn('sign-in activity batch skipped', { reason: batch.reason });
    return { ...counts, malformed: 1 };
  }
  counts.malformed += batch.malformed;
  if (batch.malformed > 0)
    logger.warn('log events skipped', { count: batch.malformed, reason: 'no message' });
  for (const logEvent of batch.logEvents) {
    const parsed = parseActivityEvent(logEvent);
    if (parsed.kind === 'malformed') {
      counts.malformed += 1;
      logger.warn('sign-in activity record skipped', { reason: parsed.reason, logEventId: logEvent.id });
    } else if (parsed.kind === 'ignored') {
      counts.ignored += 1;
    } else {
      const appended = await log.recordOnce(
        activityAuditId(parsed.activity.eventId),
        signInActivityAuditEvent(parsed.activity),
      );
      counts[appended ? 'recorded' : 'duplicates'] += 1;
    }
  }
  return counts;
}
