import * as z from 'zod/mini';

import type { ApiClient } from '@/lib/api-client';
import { allPages } from '@/features/admin/api/all-pages';

export const auditEventSchema = z.object({
  id: z.string(),
  occurredAt: z.string(),
  actorId: z.nullable(z.string()),
  /** The actor's e-mail now; null: no actor, or erased since. */
  actorEmail: z.nullable(z.string()),
  action: z.string(),
  targetType: z.nullable(z.string()),
  targetId: z.nullable(z.string()),
  /** A target user's e-mail now; null: not a user, or erased since. */
  targetEmail: z.nullable(z.string()),
  requestId: z.nullable(z.string()),
  /** The caller's address and user agent, when known. */
  sourceIp: z.nullable(z.string()),
  userAgent: z.nullable(z.string()),
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
  /** The actor's id or e-mail (any case). */
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly from?: string;
  readonly to?: string;
}

export const AUDIT_PAGE_SIZE = 50;
/** The most events one download holds, and the API's largest page (`limit` up to 200). */
export const AUDIT_DOWNLOAD_MAX = 10_000;
const AUDIT_DOWNLOAD_PAGE = 200;

/** The audit trail, newest first, one keyset page at a time. */
export function listAuditEvents(
  api: ApiClient,
  filters: AuditFilters,
  cursor: string | undefined,
  signal?: AbortSignal,
  limit = AUDIT_PAGE_SIZE,
): Promise<AuditPage> {
  return api.request('/admin/audit', auditPageSchema, {
    query: { ...filters, limit, cursor },
    signal,
  });
}

export interface AuditDownload {
  readonly events: readonly AuditEvent[];
  /** False when the filters match more than `max` events: the download holds the newest. */
  readonly complete: boolean;
}

/** Every event the filters match, newest first, up to `max` (see allPages). */
export async function allAuditEvents(
  api: ApiClient,
  filters: AuditFilters,
  options: { readonly max?: number; readonly signal?: AbortSignal; onProgress?(count: number): void } = {},
): Promise<AuditDownload> {
  const { items, complete } = await allPages(
    (cursor, limit) => listAuditEvents(api, filters, cursor, options.signal, limit),
    { max: options.max ?? AUDIT_DOWNLOAD_MAX, pageSize: AUDIT_DOWNLOAD_PAGE, onProgress: options.onProgress },
  );
  return { events: items, complete };
}
