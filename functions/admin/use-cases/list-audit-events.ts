import type { Page } from '#shared/pagination/cursor';
import type { AuditEntry } from '../domain/audit-entry';
import type { AuditQuery, AuditTrail } from '../ports/audit-trail';

/** The audit trail, newest first, filtered by actor, action, target and days. */
export const makeListAuditEvents =
  (deps: { trail: AuditTrail }) =>
  (query: AuditQuery): Promise<Page<AuditEntry>> =>
    deps.trail.list(query);
