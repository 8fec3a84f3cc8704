/** One entry of the append-only audit trail. */
export interface AuditEvent {
  readonly actorId: string | null;
  /** Dotted verb, e.g. `auth.sign-in`, `conversation.delete`, `user.role-change`. */
  readonly action: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly requestId?: string;
  /**
   * The caller's address and user agent. @default what the API noted for `requestId` (see
   * request-origin.ts); for a Cognito trigger, what Cognito tells it, else null
   */
  readonly sourceIp?: string | null;
  readonly userAgent?: string | null;
  /** Metadata only: never message content, tokens or passwords. */
  readonly details?: Record<string, unknown>;
}

/** The audit trail port: appends, never changes or removes (the table itself refuses both). */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}
