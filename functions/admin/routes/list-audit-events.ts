import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { dateParam, daysInOrder, filterText, OVERSIGHT } from './schemas';

const auditEntry = z.object({
  id: z.uuid(),
  occurredAt: z.iso.datetime(),
  actorId: z.nullable(z.string()),
  /** The actor's e-mail now; null: no actor (a system event, or a name matching no account), or erased. */
  actorEmail: z.nullable(z.string()),
  action: z.string(),
  targetType: z.nullable(z.string()),
  targetId: z.nullable(z.string()),
  /** For a target of type `user`, their e-mail now; null otherwise, or once erased. */
  targetEmail: z.nullable(z.string()),
  requestId: z.nullable(z.string()),
  sourceIp: z.nullable(z.string()),
  userAgent: z.nullable(z.string()),
  details: z.record(z.string(), z.unknown()),
});

export const listAuditEvents = defineRoute(
  {
    id: 'admin.audit.list',
    method: 'GET',
    path: '/api/admin/audit',
    summary:
      'The append-only audit trail, newest first, with the e-mail of the actor and of a target user (metadata only, never message content); actor: an id or an e-mail (any case)',
    access: OVERSIGHT,
    query: z
      .strictObject({
        // An id, or an e-mail (up to 254 characters, RFC 5321's longest path).
        actor: z.optional(filterText(254)),
        action: z.optional(filterText(100)),
        target: z.optional(filterText(128)),
        from: z.optional(dateParam),
        to: z.optional(dateParam),
        limit: limitParam(50, 200),
        cursor: z.optional(cursorParam),
      })
      .check(daysInOrder),
    responses: {
      200: {
        description: 'A page of audit events',
        schema: z.object({ items: z.array(auditEntry), nextCursor: z.nullable(z.string()) }),
      },
    },
  },
  async ({ query }, { listAuditEvents }) => ok(await listAuditEvents(query)),
);
