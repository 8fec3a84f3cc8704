import type { AuditEvent, AuditLog } from '#shared/audit/audit-log';

/** An audit log that keeps what it was given; `failing` makes the next record throw. */
export function fakeAuditLog() {
  const events: AuditEvent[] = [];
  const state = { failing: false };
  const log: AuditLog = {
    async record(event) {
      if (state.failing) throw new Error('audit log unavailable');
      events.push(event);
    },
  };
  return { log, events, state };
}
