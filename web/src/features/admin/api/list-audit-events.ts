import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';

export const auditEventSchema = z.object({
  id: z.string(),
  occurredAt: z.string(),
  actorId: z.nullable(z.string()),
  action: z.string(),
  targetType: z.nullable(z.string()),
  targetId: z.nullable(z.string()),
  requestId: z.nullable(z.string()),
  details: z.record(z.string(), z.unknown()),
});

export const auditPageSchema = z.object({
  items: z.array(auditEventSchema),
  nextCursor: z.nullable(z.string()),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditPage = z.infer<typeof auditPageSchema>;

/** Exact filters; days as `YYYY-MM-DD` (UTC). */
export interface AuditFilters {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly from?: string;
  readonly to?: string;
}

export const AUDIT_PAGE_SIZE = 50;

/** The audit trail, newest first, one keyset page at a time. */
export function listAuditEvents(
  api: ApiClient,
  filters: AuditFilters,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<AuditPage> {
  return api.request('/admin/audit', auditPageSchema, {
    query: { ...filters, limit: AUDIT_PAGE_SIZE, cursor },
    signal,
  });
}
