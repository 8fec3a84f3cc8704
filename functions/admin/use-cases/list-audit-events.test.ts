import { describe, expect, it } from 'vitest';
import type { AuditQuery } from '../ports/audit-trail';
import { makeListAuditEvents } from './list-audit-events';

describe('listAuditEvents', () => {
  it('passes the filters to the trail', async () => {
    const seen: AuditQuery[] = [];
    const list = makeListAuditEvents({
      trail: {
        list: async (query) => {
          seen.push(query);
          return { items: [], nextCursor: null };
        },
      },
    });
    await list({ limit: 5, actor: 'root', action: 'user.invite' });
    expect(seen).toEqual([{ limit: 5, actor: 'root', action: 'user.invite' }]);
  });
});
