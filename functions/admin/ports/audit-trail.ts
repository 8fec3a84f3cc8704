import type { Keyset, Page } from '#shared/pagination/cursor';
import type { AuditEntry } from '../domain/audit-entry';

export interface AuditQuery {
  readonly limit: number;
  readonly cursor?: Keyset;
  /** The actor's id, or their e-mail (exact, any case). */
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  /** First day, `YYYY-MM-DD` (UTC), included. */
  readonly from?: string;
  /** Last day, `YYYY-MM-DD` (UTC), included. */
  readonly to?: string;
}

/** Reads the append-only audit trail, newest first. */
export interface AuditTrail {
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
}
