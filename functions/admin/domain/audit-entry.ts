/** One audit event as admins and auditors read it: metadata only, never message content. */
export interface AuditEntry {
  readonly id: string;
  readonly occurredAt: string;
  readonly actorId: string | null;
  /** The actor's e-mail as it is now; null: no actor, or none left (erased). */
  readonly actorEmail: string | null;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  /** A target user's e-mail as it is now; null: the target is no user, or none left (erased). */
  readonly targetEmail: string | null;
  readonly requestId: string | null;
  /** The caller's address and user agent, when known. */
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  readonly details: Record<string, unknown>;
}
