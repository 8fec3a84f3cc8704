import * as z from 'zod';
import { ok } from '#shared/http/responses';
import { cursorParam, limitParam } from '#shared/pagination/cursor';
import { daysBetween } from '../domain/dates';
import { defineRoute } from './define';
import { dateParam, filterText, OVERSIGHT } from './schemas';

const auditEntry = z.object({
  id: z.uuid(),
  occurredAt: z.iso.datetime(),
  actorId: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  requestId: z.string().nullable(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
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
        actor: filterText(128).optional(),
        action: filterText(100).optional(),
        target: filterText(128).optional(),
        from: dateParam.optional(),
        to: dateParam.optional(),
        limit: limitParam(50, 200),
        cursor: cursorParam.optional(),
      })
      .superRefine((query, ctx) => {
        if (query.from && query.to && daysBetween(query.from, query.to) < 0)
          ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
      }),
    responses: {
      200: {
        description: 'A page of audit events',
        schema: z.object({ items: z.array(auditEntry), nextCursor: z.string().nullable() }),
      },
    },
  },
  async ({ query }, { listAuditEvents }) => ok(await listAuditEvents(query)),
);
