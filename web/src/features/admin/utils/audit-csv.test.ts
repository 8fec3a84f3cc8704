import { describe, expect, it } from 'vitest';

import type { AuditEvent } from '@/features/admin/api/list-audit-events';
import { AUDIT_CSV_COLUMNS, auditCsv, auditFileName } from './audit-csv';

const event = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  id: 'e1',
  occurredAt: '2026-03-10T12:00:00.000Z',
  actorId: 'admin-1',
  actorEmail: 'admin@example.test',
  action: 'user.disable',
  targetType: 'user',
  targetId: 'u-2',
  targetEmail: 'ada@example.test',
  requestId: 'req-1',
  sourceIp: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
  details: { before: { status: 'active' }, after: { status: 'disabled' } },
  ...overrides,
});

/** RFC 4180 rows back into fields (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

describe('auditCsv', () => {
  it('writes a header and one row per event, with a byte-order mark and CRLF lines', () => {
    // Act
    const text = auditCsv([
      event(),
      event({ id: 'e2', actorId: null, actorEmail: null, details: {}, sourceIp: null, userAgent: null }),
      event({ id: 'e3', actorId: 'gone-1', actorEmail: null, targetEmail: null }),
    ]);

    // Assess
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows[1]).toEqual([
      '2026-03-10T12:00:00.000Z',
      'admin@example.test',
      'admin-1',
      'user.disable',
      'user',
      'u-2',
      'ada@example.test',
      'req-1',
      '203.0.113.7',
      'Mozilla/5.0 (X11; Linux x86_64)',
      '{"before":{"status":"active"},"after":{"status":"disabled"}}',
    ]);
    expect(rows[2]).toEqual([
      '2026-03-10T12:00:00.000Z',
      '',
      '',
      'user.disable',
      'user',
      'u-2',
      'ada@example.test',
      'req-1',
      '',
      '',
      '',
    ]);
    // Erased since: the ids stay, the e-mails are empty.
    expect(rows[3]?.slice(1, 7)).toEqual(['', 'gone-1', 'user.disable', 'user', 'u-2', '']);
    expect(rows).toHaveLength(4);
  });

  it('keeps hostile values in their own field, inert, and reads them back whole', () => {
    const agent = "=cmd|' /C calc'!A0,\"\r\nforged,row";
    const rows = parseCsv(
      auditCsv([event({ userAgent: agent, details: { username: '@evil, "x"' } })]).slice(1),
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]?.[9]).toBe(`'${agent}`);
    expect(rows[1]?.[10]).toBe('{"username":"@evil, \\"x\\""}');
  });
});

describe('auditFileName', () => {
  const today = new Date('2026-03-10T23:59:00Z');

  it('names the days the filters cover, the open ends by the start and today', () => {
    expect(auditFileName({}, today)).toBe('parley-audit-start-to-2026-03-10.csv');
    expect(auditFileName({ from: '2026-03-01', to: '2026-03-07' }, today)).toBe(
      'parley-audit-2026-03-01-to-2026-03-07.csv',
    );
  });

  it('never puts anything but a day in the name', () => {
    expect(auditFileName({ from: '../../etc/passwd', to: '2026-03-07\u0000' }, today)).toBe(
      'parley-audit-start-to-2026-03-10.csv',
    );
  });
});
