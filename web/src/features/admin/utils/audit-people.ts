import type { AuditEvent } from '@/features/admin/api/list-audit-events';

/** How the audit page names an event's actor or target: its text, muted when it is no address. */
export interface PersonLabel {
  readonly text: string;
  /** true: a description ("erased user"), not an address or an id. */
  readonly muted: boolean;
  /** The id behind the text, for a tooltip. */
  readonly id?: string;
}

type People = Pick<AuditEvent, 'actorId' | 'actorEmail' | 'targetType' | 'targetId' | 'targetEmail'>;
type Actor = Pick<AuditEvent, 'actorId' | 'actorEmail' | 'action' | 'details'>;

/**
 * The actor: their e-mail as it is now, "erased user" once their row is gone (the trail keeps
 * their id). Without one: a sign-in event (`auth.*`: blocked, locked, Cognito's sign-in activity)
 * is an outsider's, a name that matches no account, shown with the name as typed; anything else
 * is the system's own (the retention run, a role taken from a Cognito group).
 */
export function actorLabel(event: Actor): PersonLabel {
  if (event.actorId === null) {
    if (!event.action.startsWith('auth.')) return { text: 'system', muted: true };
    const typed = event.details.username;
    return { text: typeof typed === 'string' ? `unknown (typed: ${typed})` : 'unknown', muted: true };
  }
  if (event.actorEmail !== null) return { text: event.actorEmail, muted: false, id: event.actorId };
  return { text: 'erased user', muted: true, id: event.actorId };
}

/**
 * The target: a user by their e-mail ("erased user" once their row is gone), anything else by its
 * id; null when the event has none.
 */
export function targetLabel(event: People): PersonLabel | null {
  if (event.targetId === null) return null;
  if (event.targetType !== 'user') return { text: event.targetId, muted: false };
  if (event.targetEmail !== null) return { text: event.targetEmail, muted: false, id: event.targetId };
  return { text: 'erased user', muted: true, id: event.targetId };
}
