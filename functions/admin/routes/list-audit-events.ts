import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import * as z from '#shared/zod';
import { defineRoute } from './define';
import { dateParam, daysInOrder, filterText, OVERSIGHT } from './schemas';

const auditEntry = z.object({
  id: z.uuid(),
  occurredAt: z.iso.datetime(),
  actorId: z.nullable(z.string()),
  action: z.string(),
  targetType: z.nullable(z.string()),
  targetId: z.nullable(z.string()),
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
    summary: 'The append-only audit trail, newest first (metadata only, never message content)',
    access: OVERSIGHT,
    query: z
      .strictObject({
        actor: z.optional(filterText(128)),
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
