import type { AuditEvent } from '#shared/audit/audit-log';
import { cleanOriginPart } from '#shared/audit/request-origin';
import type { AuthEvents } from '../ports/auth-events';

/** The parts of a trigger event that may say where the sign-in came from. */
interface TriggerRequest {
  readonly userContextData?: { readonly ipAddress?: unknown } | null;
  readonly clientMetadata?: Record<string, unknown> | null;
  readonly validationData?: Record<string, unknown> | null;
}

/**
 * Where a sign-in came from, as far as Cognito tells a trigger: the address in `userContextData`
 * (sent when the app passes context data, threat protection's input), the user agent the app put
 * in its client metadata; null for what it does not say.
 */
export function triggerOrigin(request: unknown): Pick<AuditEvent, 'sourceIp' | 'userAgent'> {
  const r = (request ?? {}) as TriggerRequest;
  return {
    sourceIp: cleanOriginPart(r.userContextData?.ipAddress),
    userAgent: cleanOriginPart(r.clientMetadata?.userAgent ?? r.validationData?.userAgent),
  };
}

/** The events port with every audit event marked with that origin. */
export function withOrigin(
  events: AuthEvents,
  origin: Pick<AuditEvent, 'sourceIp' | 'userAgent'>,
): AuthEvents {
  return {
    audit: (event) => events.audit({ ...event, ...origin }),
    lockout: () => events.lockout(),
  };
}
