import type { AuditEvent } from '#shared/audit/audit-log';

/** Where the triggers report: the audit log and the `Lockouts` metric. */
export interface AuthEvents {
  audit(event: AuditEvent): Promise<void>;
  lockout(): void;
}
